"""A QR code drawn in half-block characters, dark on a light quiet zone."""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from kiosk.qr import QRRows, screen_rows

DARK = Color.from_rgb(0, 0, 0)
LIGHT = Color.from_rgb(255, 255, 255)
UPPER_HALF = "▀"


class QRCode(Widget):
    """The QR code of ``data``; colours are explicit so any theme scans."""

    DEFAULT_CSS = """
    QRCode {
        width: auto;
        height: auto;
    }
    """

    def __init__(
        self,
        data: str,
        rows: QRRows | None = None,
        *,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.data = data
        self._rows = rows if rows is not None else screen_rows(data)

    def get_content_width(self, container, viewport) -> int:  # type: ignore[no-untyped-def]
        return len(self._rows[0])

    def get_content_height(self, container, viewport, width) -> int:  # type: ignore[no-untyped-def]
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        if y >= len(self._rows):
            return Strip.blank(self.size.width)
        segments = [
            Segment(
                UPPER_HALF,
                Style(
                    color=DARK if top else LIGHT,
                    bgcolor=DARK if bottom else LIGHT,
                ),
            )
            for top, bottom in self._rows[y]
        ]
        return Strip(segments).simplify()
