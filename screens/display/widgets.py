"""The TV's very large queue number."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from screens.widgets.bigtext import GLYPH_HEIGHT, big_rows


class HugeNumber(Widget):
    """A queue number in block letters, each pixel ``scale`` cells wide and
    half as many rows tall (a terminal cell is about twice as tall as wide),
    so that it reads across a waiting room."""

    DEFAULT_CSS = """
    HugeNumber {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        text: str = "",
        *,
        scale: int = 4,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.scale = scale
        self.text = text
        self._rows = self._draw(text)

    def _draw(self, text: str) -> list[str]:
        repeat = max(1, self.scale // 2)
        return [row for row in big_rows(text, self.scale) for _ in range(repeat)]

    def update(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self._rows = self._draw(text)
            self.refresh(layout=True)

    def fit(self, columns: int, rows: int, characters: int = 4) -> None:
        """The largest scale at which ``characters`` fit in columns x rows.

        A character is 3 pixels and a gap 1 pixel wide, each pixel ``scale``
        cells; 5 pixels tall, each ``scale // 2`` rows."""
        count = max(characters, len(self.text))
        by_width = columns // (4 * count - 1)
        by_height = (rows // GLYPH_HEIGHT) * 2 + 1
        scale = max(1, min(by_width, by_height))
        if scale != self.scale:
            self.scale = scale
            self._rows = self._draw(self.text)
            self.refresh(layout=True)

    def get_content_width(self, container, viewport) -> int:  # type: ignore[no-untyped-def]
        return max((len(row) for row in self._rows), default=0)

    def get_content_height(self, container, viewport, width) -> int:  # type: ignore[no-untyped-def]
        return GLYPH_HEIGHT * max(1, self.scale // 2)

    def render_line(self, y: int) -> Strip:
        if y >= len(self._rows):
            return Strip.blank(self.size.width, self.rich_style)
        style = self.rich_style + Style(bold=True)
        return Strip([Segment(self._rows[y], style)]).adjust_cell_length(
            self.size.width, self.rich_style
        )
