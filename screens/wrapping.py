"""Chinese line breaking (kinsoku) for the text of every app in screens/.

Textual wraps ``Content`` with Rich's ``divide_line``, which folds a run of
Chinese anywhere: a line may start with "。", "，" or "）", or end with "（".
Chinese typesetting never does that. ``kinsoku_offsets`` moves such a
break back (one character or a few go down to the next line with the
punctuation), and the rest of the text is wrapped again from there, so no
line is ever wider than before.

Textual 8.2.8 offers no hook for line breaking, so ``install`` replaces the
``divide_line`` that ``textual.content`` imported (private API), once, as
``screens`` is imported: every app of the project wraps the same way, in
whatever task or thread it renders.
"""

from __future__ import annotations

from collections.abc import Callable

import textual.content

# Never at the start of a line: closing brackets and quotes, stops, commas.
NO_LINE_START = frozenset(
    "）〕］｝〉》」』】〙〗〟’”｠»"
    "，。、；：？！…‥·・～ー—"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ々〻"
    ")]}>,.;:?!%"
)
# Never at the end of a line: opening brackets and quotes.
NO_LINE_END = frozenset("（〔［｛〈《「『【〘〖〝‘“｟«([{<")

DivideLine = Callable[..., list[int]]


def _bad_break(text: str, offset: int) -> bool:
    """A line would start with a closing mark (not after a space, where the
    mark stands alone: "· Enter") or the line before end with an opening one."""
    before = text[offset - 1]
    return (text[offset] in NO_LINE_START and not before.isspace()) or (
        before in NO_LINE_END
    )


def kinsoku_offsets(
    text: str, width: int, divide: DivideLine, fold: bool = True
) -> list[int]:
    """Break offsets for ``text`` at ``width``, from ``divide`` (Rich's
    divide_line), moved so that no line starts with NO_LINE_START or ends
    with NO_LINE_END."""
    offsets = divide(text, width, fold=fold)
    if not any(_bad_break(text, offset) for offset in offsets):
        return offsets  # the usual case: nothing to move, nothing to redo
    adjusted: list[int] = []
    start = 0
    while True:
        rest = divide(text[start:], width, fold=fold)
        if not rest:
            return adjusted
        natural = start + rest[0]
        offset = natural
        while offset - start > 1 and _bad_break(text, offset):
            offset -= 1
        if offset - start <= 1 or text[offset].isspace():
            offset = natural  # nothing better: a line of one piece
        adjusted.append(offset)
        start = offset


def install() -> None:
    """Wrap ``textual.content.divide_line`` once (see the module docstring)."""
    original: DivideLine = textual.content.divide_line
    if getattr(original, "kinsoku", False):
        return

    def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
        return kinsoku_offsets(text, width, original, fold)

    divide_line.kinsoku = True  # type: ignore[attr-defined]
    textual.content.divide_line = divide_line  # type: ignore[assignment]
