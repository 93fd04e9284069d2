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


class QRPicture:
    """A QR code's cells and the lines that draw them, made once.

    Made where the code is made, off the UI thread (the review screen draws
    the next ticket's code while the resident reads): after Submit, the
    ticket screen only swaps its lines in.
    """

    __slots__ = ("rows", "strips")

    def __init__(self, rows: QRRows) -> None:
        self.rows = rows
        self.strips = [_strip(cells) for cells in rows]

    @classmethod
    def of(cls, data: str) -> QRPicture:
        return cls(screen_rows(data))


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
        picture: QRPicture | None = None,
        *,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self.data = data
        picture = picture if picture is not None else QRPicture.of(data)
        self._rows = picture.rows
        self._strips = picture.strips

    def update(self, data: str, picture: QRPicture | None = None) -> None:
        """Show the code of ``data`` instead (the same size when it is the
        same kind of link, as every ticket's is)."""
        size = (len(self._rows[0]), len(self._rows))
        self.data = data
        picture = picture if picture is not None else QRPicture.of(data)
        self._rows = picture.rows
        self._strips = picture.strips
        self.refresh(layout=size != (len(self._rows[0]), len(self._rows)))

    def clear(self) -> None:
        """Light cells only, the same size: no code is kept once the
        ticket's holder has gone."""
        blank = [(False, False)] * len(self._rows[0])
        self.data = ""
        self._rows = [blank] * len(self._rows)
        self._strips = [_strip(blank)] * len(self._rows)
        self.refresh()

    def get_content_width(self, container, viewport) -> int:  # type: ignore[no-untyped-def]
        return len(self._rows[0])

    def get_content_height(self, container, viewport, width) -> int:  # type: ignore[no-untyped-def]
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        if y >= len(self._strips):
            return Strip.blank(self.size.width)
        return self._strips[y]


_CELL_STYLES = {
    (top, bottom): Style(
        color=DARK if top else LIGHT, bgcolor=DARK if bottom else LIGHT
    )
    for top in (False, True)
    for bottom in (False, True)
}


def _strip(cells: list[tuple[bool, bool]]) -> Strip:
    """One row of cells; the code never changes, so each row is built once."""
    return Strip([Segment(UPPER_HALF, _CELL_STYLES[cell]) for cell in cells]).simplify()
