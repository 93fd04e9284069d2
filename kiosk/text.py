"""Cleaning text that a person typed before it is stored or shown."""

from __future__ import annotations

import re
import unicodedata

DESCRIPTION_LIMIT = 500
NAME_LIMIT = 30

# A mainland mobile number in what a person wrote: eleven digits that are not
# part of a longer number. Letters may touch it ("tel13812345678").
MOBILE_IN_WRITING = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST),
# DCS/SOS/PM/APC (ESC P/X/^/_ ... ST) and two-byte escapes; plus their 8-bit
# C1 forms. All are removed whole so no fragment reaches a terminal.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]             # CSI
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?  # OSC
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?     # DCS, SOS, PM, APC
    | \x1b[@-Z\\-_]                     # two-byte escapes
    | \x9b[0-?]*[ -/]*[@-~]             # 8-bit CSI
    | [\x90\x98\x9d\x9e\x9f][^\x9c\x07]*[\x9c\x07]?  # 8-bit string sequences
    """,
    re.VERBOSE,
)


# The parts of emoji sequences that a terminal draws as one cluster while
# Rich counts each part's cells: variation selectors (VS1-16, and the
# ideographic ones), skin tones and the keycap. Without them (and without
# the zero-width joiner, a format character dropped below) each emoji is
# drawn as wide as it is counted, so nothing pushes a border off its line.
_EMOJI_PARTS = re.compile(
    "[\ufe00-\ufe0f\U000e0100-\U000e01ef\U0001f3fb-\U0001f3ff\u20e3]"
)


def clean_text(text: str, limit: int, *, multiline: bool = False) -> str:
    """Strip escape sequences and control characters, squeeze blanks, cut to limit.

    Emoji sequences (joined, with a skin tone or a variation selector) are
    kept as their base emoji: see _EMOJI_PARTS.

    Line breaks become spaces unless ``multiline``; the result never holds a
    character that a terminal would act on.
    """
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = _EMOJI_PARTS.sub("", text)
    kept = []
    for char in text:
        if char == "\n" and multiline:
            kept.append(char)
        elif char in "\t\r\n":
            kept.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            kept.append(char)
    cleaned = "".join(kept)
    cleaned = re.sub(r"[ \u3000]+", " ", cleaned)
    if multiline:
        cleaned = re.sub(r" *\n *", "\n", cleaned)
        cleaned = re.sub(r"\n{3,}", "\n\n", cleaned)
    return cleaned.strip()[:limit].strip()
