"""Finding a real CJK font for printed tickets, and checking its glyphs."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont

# Debian packages that provide one (either is enough).
FONT_PACKAGES = ("fonts-noto-cjk", "fonts-wqy-microhei")
_PROBE_TEXT = "受理编号查询二维码"
# A code point no font draws: what "missing" looks like in a given font.
_MISSING = "\U000f0000"


class FontError(Exception):
    """No usable CJK font; the message says how to install one."""


@dataclass(frozen=True)
class FontSpec:
    path: str
    index: int = 0

    def load(self, size: int) -> ImageFont.FreeTypeFont:
        return _load(self.path, self.index, size)


@cache
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def missing_glyphs(font: ImageFont.FreeTypeFont, text: str) -> set[str]:
    """Characters of ``text`` that ``font`` would draw as its missing-glyph box."""
    missing_mask = font.getmask(_MISSING)
    missing_shape = (missing_mask.size, bytes(missing_mask))
    absent = set()
    for char in set(text):
        if char.isspace():
            continue
        mask = font.getmask(char)
        if mask.size[0] == 0 or (mask.size, bytes(mask)) == missing_shape:
            absent.add(char)
    return absent


def _fc_match() -> FontSpec | None:
    if shutil.which("fc-match") is None:
        return None
    for pattern in (
        "Noto Sans CJK SC:lang=zh-cn",
        "WenQuanYi Micro Hei",
        ":lang=zh-cn",
    ):
        try:
            found = subprocess.run(
                ["fc-match", "--format=%{file}:%{index}", pattern],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
        path, _, index = found.rpartition(":")
        if path and Path(path).is_file():
            spec = FontSpec(path, int(index or 0))
            if not missing_glyphs(spec.load(24), _PROBE_TEXT):
                return spec
    return None


@cache
def find_cjk_font(configured: str = "") -> FontSpec:
    """The configured font if it draws Chinese, else one found by fontconfig.

    ``configured`` is a path, optionally with ``:index`` for a collection.
    A font found is remembered for the life of the process; a failure is not,
    so installing a font takes effect without a restart.
    """
    if configured:
        path, _, index = configured.rpartition(":")
        if not path or not index.isdigit():
            path, index = configured, "0"
        spec = FontSpec(path, int(index))
        try:
            font = spec.load(24)
        except OSError as error:
            raise FontError(
                f"printer.font {configured!r} cannot be loaded: {error}"
            ) from error
        if missing_glyphs(font, _PROBE_TEXT):
            raise FontError(f"printer.font {configured!r} has no Chinese glyphs")
        return spec
    found = _fc_match()
    if found is None:
        raise FontError(
            "no Chinese (CJK) font found; install one with "
            f"`apt-get install {FONT_PACKAGES[0]}` (or {FONT_PACKAGES[1]}), "
            "or set printer.font to a font file"
        )
    return found
