"""The station box's session, checked for ``kiosk doctor``.

On a box (deploy/box/install puts foot.ini in /etc/station-kiosk), the
doctor also checks what the resident sees and uses, as far as a program can
tell without a person in front of the screen:

- the terminal's font (foot.ini's ``font=``, through fontconfig) is
  installed and has a glyph for every character the kiosk can show: its
  texts in both languages, the catalog, the station's names, the writing
  dictionary's candidates, the QR's half blocks and the borders;
- the screen (sway's outputs, else the kernel's DRM connectors) at that
  font's cell size gives the kiosk 80x24 to 120x40 cells, so that the
  ticket's QR fits;
- keyboards (the numeric keypad and the USB scanner are both keyboards:
  they cannot be told apart) are connected;
- a sound card is there for the voice.

Each check gives a line (ok, WARN or FAIL) with what was found.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kiosk.config import Settings

BOX_CONFIG_DIR = Path("/etc/station-kiosk")
# The kiosk's layout (screens/resident): at least 80x24 (the ticket's QR
# needs it), and laid out up to 120x40.
SMALLEST_GRID = (80, 24)
LARGEST_GRID = (120, 40)
# Drawn by the kiosk besides its texts: the QR's half block, Textual's
# round, heavy and thick borders, scroll bars, the writing pad's marks.
DRAWING_CHARACTERS = "▀▄█▌▐─│╭╮╰╯━┃┏┓┗┛▁▔▏▕…·•→←↑↓✓✔✕×"
# foot draws box drawing and block elements itself, not from a font
# (box-drawings-uses-font-glyphs=no, its default).
FOOT_DRAWS = range(0x2500, 0x25A0)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Check:
    """One line of ``kiosk doctor``: ``level`` is ok, WARN or FAIL."""

    level: str
    what: str
    detail: str

    def line(self) -> str:
        return f"{self.level:<4} {self.what}: {self.detail}"


@dataclass(frozen=True)
class TerminalFont:
    """The font foot.ini asks for, as fontconfig resolves it."""

    requested: str  # the family asked for
    pixel_size: float
    family: str  # the family fontconfig found
    path: Path
    index: int
    charset: frozenset[int]

    @property
    def installed(self) -> bool:
        wanted = self.requested.casefold()
        return any(wanted == name.strip().casefold() for name in self.family.split(","))

    def cell_size(self) -> tuple[int, int]:
        """foot's cell in pixels: the space's advance, and the larger of
        the line height and ascent plus descent, each rounded up as foot's
        font library (fcft) does."""
        # Pillow is the kiosk's own dependency (the ticket's picture); loaded
        # here only, when the doctor checks a box.
        from PIL import ImageFont

        # Measured at 64 times the size: the 26.6 fixed point FreeType keeps.
        font = ImageFont.truetype(
            str(self.path), round(self.pixel_size * 64), index=self.index
        )
        width = round(font.getlength(" ") / 64)
        height = max(
            math.ceil(font.font.height / 64),
            math.ceil(font.font.ascent / 64) + math.ceil(font.font.descent / 64),
        )
        return max(width, 1), max(height, 1)


def box_config_dir(explicit: Path | None = None) -> Path | None:
    """The folder of the session's foot.ini, when this is a box."""
    for folder in (explicit, _env_path("KIOSK_BOX_CONFIG"), BOX_CONFIG_DIR):
        if folder is not None and (folder / "foot.ini").is_file():
            return folder
    return None


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


def foot_font_setting(foot_ini: Path) -> str:
    """foot.ini's ``[main] font=`` (KIOSK_FOOT_FONT overrides it, as in
    deploy/box/terminal)."""
    override = os.environ.get("KIOSK_FOOT_FONT", "").strip()
    if override:
        return override
    section = ""
    for raw in foot_ini.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section in ("", "main") and re.match(r"font\s*=", line):
            return line.split("=", 1)[1].strip()
    return "monospace:size=8"  # foot's own default


def parse_charset(text: str) -> frozenset[int]:
    """fontconfig's charset ("20-7e a0-17f 192 …") as code points."""
    points: set[int] = set()
    for part in text.split():
        first, _, last = part.partition("-")
        try:
            start = int(first, 16)
            end = int(last, 16) if last else start
        except ValueError:
            continue
        points.update(range(start, end + 1))
    return frozenset(points)


def resolve_font(setting: str) -> TerminalFont | None:
    """The first font of a foot ``font=`` value through fontconfig; None
    without fontconfig."""
    first = setting.split(",")[0].strip()
    family = first.split(":")[0].strip()
    size = re.search(r":pixelsize=([0-9.]+)", first)
    points = re.search(r":size=([0-9.]+)", first)
    if size:
        pixel_size = float(size.group(1))
    elif points:  # foot's default dpi-unaware size: points at 96 dpi
        pixel_size = float(points.group(1)) * 96 / 72
    else:
        pixel_size = 8 * 96 / 72
    if shutil.which("fc-match") is None:
        return None
    done = subprocess.run(
        ["fc-match", "--format", "%{family}\n%{file}\n%{index}\n%{charset}\n", first],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < 4 or not lines[1]:
        return None
    return TerminalFont(
        requested=family,
        pixel_size=pixel_size,
        family=lines[0],
        path=Path(lines[1]),
        index=int(lines[2] or 0),
        charset=parse_charset(lines[3]),
    )


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def kiosk_characters(settings: Settings) -> set[str]:
    """Every character the resident screen can show."""
    assets = resources.files("assets")
    texts: list[str] = [DRAWING_CHARACTERS]
    for language in ("zh-CN", "en"):
        table = tomllib.loads(
            assets.joinpath("i18n", f"{language}.toml").read_text(encoding="utf-8")
        )
        texts.extend(_strings(table))
    catalog = tomllib.loads(assets.joinpath("catalog.toml").read_text(encoding="utf-8"))
    texts.extend(_strings(catalog))
    station = settings.station
    texts += [station.name, station.name_en, station.subdistrict]
    texts += [station.subdistrict_en]
    for grid in station.grids:
        texts += [grid.name, grid.name_en, *grid.buildings]
    # The writing dictionary's words are candidates on screen.
    for line in (
        assets.joinpath("pinyin", "zh.txt").read_text(encoding="utf-8").splitlines()
    ):
        if line and not line.startswith("#"):
            texts.append(line.split("\t", 1)[0])
    characters = set("".join(texts))
    # Placeholders ({name}) and blanks need no glyph of their own.
    return {char for char in characters if char.isprintable() and not char.isspace()}


def check_font(settings: Settings, foot_ini: Path) -> Check:
    setting = foot_font_setting(foot_ini)
    font = resolve_font(setting)
    if font is None:
        return Check(
            "FAIL", "screen font", f"fontconfig (fc-match) cannot find {setting!r}"
        )
    if not font.installed:
        return Check(
            "FAIL",
            "screen font",
            f"{font.requested!r} is not installed: fontconfig offers "
            f"{font.family.split(',')[0]!r} ({font.path}) instead "
            "(apt-get install fonts-wqy-microhei)",
        )
    characters = kiosk_characters(settings)
    not_in_font = sorted(
        char
        for char in characters
        if ord(char) not in font.charset and ord(char) not in FOOT_DRAWS
    )
    # foot takes a glyph its font lacks from fontconfig's fallback fonts.
    fallback = fallback_charset(setting) if not_in_font else frozenset()
    missing = [char for char in not_in_font if ord(char) not in fallback]
    if missing:
        return Check(
            "FAIL",
            "screen font",
            f"{font.requested} ({font.path}) and its fallback fonts have no glyph "
            f"for {len(missing)} of the {len(characters)} characters the kiosk "
            f"shows: {_some(missing)}",
        )
    borrowed = (
        f"; {len(not_in_font)} drawn from fallback fonts: {_some(not_in_font)}"
        if not_in_font
        else ""
    )
    return Check(
        "ok",
        "screen font",
        f"{font.requested} {font.pixel_size:g} px ({font.path}) draws the "
        f"{len(characters)} characters the kiosk shows{borrowed}",
    )


def _some(characters: list[str], count: int = 20) -> str:
    return "".join(characters[:count]) + ("…" if len(characters) > count else "")


def fallback_charset(setting: str) -> frozenset[int]:
    """Every code point of the fonts fontconfig falls back on for ``setting``."""
    first = setting.split(",")[0].strip()
    done = subprocess.run(
        ["fc-match", "-s", "--format", "%{charset}\n", first],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    return parse_charset(done.stdout.replace("\n", " "))


@dataclass(frozen=True)
class Screen:
    name: str
    width: int
    height: int
    scale: float = 1.0


def sway_screens() -> list[Screen]:
    """The outputs of the sway session this process can reach (SWAYSOCK,
    or a sway socket of this user's)."""
    if shutil.which("swaymsg") is None:
        return []
    env = dict(os.environ)
    if not env.get("SWAYSOCK"):
        runtime = Path(env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")
        sockets = sorted(runtime.glob("sway-ipc.*.sock")) if runtime.is_dir() else []
        if not sockets:
            return []
        env["SWAYSOCK"] = str(sockets[0])
    try:
        done = subprocess.run(
            ["swaymsg", "-r", "-t", "get_outputs"],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            env=env,
        )
        outputs = json.loads(done.stdout) if done.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []
    screens = []
    for output in outputs if isinstance(outputs, list) else []:
        mode = output.get("current_mode") or {}
        if output.get("active") and mode.get("width") and mode.get("height"):
            screens.append(
                Screen(
                    f"{output.get('name', '?')} (sway)",
                    int(mode["width"]),
                    int(mode["height"]),
                    float(output.get("scale") or 1.0),
                )
            )
    return screens


def drm_screens(root: Path = Path("/sys/class/drm")) -> list[Screen]:
    """Connected screens by the kernel, at their preferred (first) mode."""
    screens = []
    for connector in sorted(root.glob("card*-*")) if root.is_dir() else []:
        try:
            if (connector / "status").read_text().strip() != "connected":
                continue
            modes = (connector / "modes").read_text().split()
        except OSError:
            continue
        found = re.match(r"(\d+)x(\d+)", modes[0]) if modes else None
        if found:
            name = connector.name.split("-", 1)[1]
            screens.append(Screen(name, int(found.group(1)), int(found.group(2))))
    return screens


def grid_for(screen: Screen, cell: tuple[int, int]) -> tuple[int, int]:
    """The cells foot gives the kiosk on ``screen`` (at its scale)."""
    width, height = screen.width / screen.scale, screen.height / screen.scale
    return int(width // cell[0]), int(height // cell[1])


def check_screen(foot_ini: Path) -> Check:
    font = resolve_font(foot_font_setting(foot_ini))
    if font is None or not font.installed:
        return Check("WARN", "screen", "not checked: the screen font is missing")
    screens = sway_screens() or drm_screens()
    if not screens:
        return Check(
            "WARN",
            "screen",
            "no screen found (no sway session, no connected DRM output): "
            "connect one and run the doctor again",
        )
    cell = font.cell_size()
    results = []
    worst = "ok"
    for screen in screens:
        columns, rows = grid_for(screen, cell)
        text = (
            f"{screen.name} {screen.width}x{screen.height}"
            + (f" at scale {screen.scale:g}" if screen.scale != 1 else "")
            + f": {columns}x{rows} cells of {cell[0]}x{cell[1]} px"
        )
        if columns < SMALLEST_GRID[0] or rows < SMALLEST_GRID[1]:
            worst = "FAIL"
            text += (
                f", under {SMALLEST_GRID[0]}x{SMALLEST_GRID[1]}: the ticket's QR "
                "does not fit (a smaller pixelsize in foot.ini)"
            )
        elif columns > LARGEST_GRID[0] or rows > LARGEST_GRID[1]:
            worst = "WARN" if worst == "ok" else worst
            text += (
                f", over {LARGEST_GRID[0]}x{LARGEST_GRID[1]}: the text is small "
                "(a larger pixelsize in foot.ini)"
            )
        else:
            text += ", the QR fits"
        results.append(text)
    return Check(worst, "screen", "; ".join(results))


def keyboards(devices: Path = Path("/proc/bus/input/devices")) -> list[str]:
    """Input devices that send keys: the keypad and the scanner among them."""
    try:
        text = devices.read_text(errors="replace")
    except OSError:
        return []
    names = []
    for block in text.split("\n\n"):
        name = re.search(r'^N: Name="(.*)"$', block, re.M)
        handlers = re.search(r"^H: Handlers=(.*)$", block, re.M)
        events = re.search(r"^B: EV=([0-9a-f]+)$", block, re.M)
        if not (name and handlers and events):
            continue
        # EV_KEY and EV_REP with a kbd handler: a keyboard, not a button.
        is_keyboard = "kbd" in handlers.group(1).split()
        repeats = int(events.group(1), 16) & (1 << 20)
        if is_keyboard and repeats:
            names.append(name.group(1))
    return names


def check_keyboards() -> Check:
    found = keyboards()
    if not found:
        return Check(
            "WARN",
            "keypad and scanner",
            "no keyboard found (/proc/bus/input/devices): plug in the keypad and "
            "the scanner (both are USB keyboards)",
        )
    return Check(
        "ok",
        "keypad and scanner",
        f"{len(found)} keyboards: {', '.join(found)} (a keypad and a scanner "
        "cannot be told apart: scan a ticket to try the scanner)",
    )


def sound_cards(cards: Path = Path("/proc/asound/cards")) -> list[str]:
    try:
        text = cards.read_text(errors="replace")
    except OSError:
        return []
    return [
        match.group(1).strip()
        for match in re.finditer(r"^\s*\d+ \[[^\]]*\]: (.*)$", text, re.M)
    ]


def check_sound(voice_available: bool) -> Check:
    cards = sound_cards()
    if not cards:
        return Check(
            "FAIL",
            "sound",
            "no sound card (/proc/asound/cards): numbers are called and the "
            "screen read aloud without a sound",
        )
    if not voice_available:
        return Check(
            "WARN", "sound", f"{cards[0]}, but espeak-ng is not installed: no voice"
        )
    return Check(
        "ok",
        "sound",
        f"{', '.join(cards)} (hear it: speaker-test -t wav -c 2 -l 1)",
    )


def session_checks(
    settings: Settings, voice_available: bool, folder: Path | None = None
) -> list[Check]:
    """The box's checks, or one line saying that this is not a box."""
    found = box_config_dir(folder)
    if found is None:
        return [
            Check(
                "ok",
                "session",
                f"not a station box (no {BOX_CONFIG_DIR / 'foot.ini'}): the screen "
                "font, the screen, the keypad and the sound are not checked "
                "(kiosk doctor --box DIR checks them with DIR's foot.ini)",
            )
        ]
    foot_ini = found / "foot.ini"
    return [
        check_font(settings, foot_ini),
        check_screen(foot_ini),
        check_keyboards(),
        check_sound(voice_available),
    ]
