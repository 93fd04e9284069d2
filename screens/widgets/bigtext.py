"""Very large type for queue numbers, drawn with block characters."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

# A 3x5 pixel font: enough for queue numbers (catalog letters and digits).
_GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", ".##", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", ".#.", ".#.", ".#."),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    "A": (".#.", "#.#", "###", "#.#", "#.#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "C": (".##", "#..", "#..", "#..", ".##"),
    "D": ("##.", "#.#", "#.#", "#.#", "##."),
    "E": ("###", "#..", "##.", "#..", "###"),
    "F": ("###", "#..", "##.", "#..", "#.."),
    "G": (".##", "#..", "#.#", "#.#", ".##"),
    "H": ("#.#", "#.#", "###", "#.#", "#.#"),
    "J": ("..#", "..#", "..#", "#.#", ".#."),
    "K": ("#.#", "#.#", "##.", "#.#", "#.#"),
    "L": ("#..", "#..", "#..", "#..", "###"),
    "M": ("#.#", "###", "###", "#.#", "#.#"),
    "N": ("##.", "#.#", "#.#", "#.#", "#.#"),
    "P": ("##.", "#.#", "##.", "#..", "#.."),
    "R": ("##.", "#.#", "##.", "#.#", "#.#"),
    "S": (".##", "#..", ".#.", "..#", "##."),
    "T": ("###", ".#.", ".#.", ".#.", ".#."),
    "U": ("#.#", "#.#", "#.#", "#.#", "###"),
    "-": ("...", "...", "###", "...", "..."),
    " ": ("...", "...", "...", "...", "..."),
}
GLYPH_HEIGHT = 5


HALF_BLOCKS = {
    (True, True): "█",
    (True, False): "▀",
    (False, True): "▄",
    (False, False): " ",
}


def half_block_rows(text: str, scale: int = 2) -> list[str]:
    """The text in the same font, two pixel rows to a line (▀ ▄ █): three
    lines for its five pixel rows, where five lines do not fit (a tile)."""
    pixels = [
        (" " * scale).join(
            "".join(pixel * scale for pixel in _GLYPHS.get(char, _GLYPHS[" "])[line])
            for char in text.upper()
        )
        for line in range(GLYPH_HEIGHT)
    ]
    pixels.append("." * len(pixels[0]))  # an even number of pixel rows
    return [
        "".join(
            HALF_BLOCKS[(upper == "#", lower == "#")]
            for upper, lower in zip(top, bottom, strict=True)
        )
        for top, bottom in zip(pixels[0::2], pixels[1::2], strict=True)
    ]


def big_rows(text: str, scale: int = 2) -> list[str]:
    """The text as rows of block characters, each pixel ``scale`` cells wide."""
    rows = []
    for line in range(GLYPH_HEIGHT):
        parts = []
        for char in text.upper():
            glyph = _GLYPHS.get(char, _GLYPHS[" "])
            parts.append(
                "".join(("█" if pixel == "#" else " ") * scale for pixel in glyph[line])
            )
        rows.append((" " * scale).join(parts))
    return rows


class BigText(Widget):
    """A short text (a queue number) in 5-row block letters."""

    DEFAULT_CSS = """
    BigText {
        width: auto;
        height: 5;
    }
    """

    def __init__(self, text: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.text = text
        self._rows = big_rows(text)

    def update(self, text: str) -> None:
        if text != self.text:
            width = len(self._rows[0])
            self.text = text
            self._rows = big_rows(text)
            # its height is fixed: the screen is laid out again only when
            # its width changes (not from B001 to B002)
            self.refresh(layout=len(self._rows[0]) != width)

    def clear(self) -> None:
        """Blank, the same size: nothing of the text is kept, and the next
        text of the same length needs no new layout."""
        self.text = ""
        self._rows = [" " * len(row) for row in self._rows]
        self.refresh()

    def get_content_width(self, container, viewport) -> int:  # type: ignore[no-untyped-def]
        return len(self._rows[0])

    def get_content_height(self, container, viewport, width) -> int:  # type: ignore[no-untyped-def]
        return GLYPH_HEIGHT

    def render_line(self, y: int) -> Strip:
        if y >= len(self._rows):
            return Strip.blank(self.size.width, self.rich_style)
        style = self.rich_style + Style(bold=True)
        return Strip([Segment(self._rows[y], style)]).adjust_cell_length(
            self.size.width, self.rich_style
        )
