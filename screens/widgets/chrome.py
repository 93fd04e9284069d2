"""The kiosk's frame: the header with station and clock, the keypad bar, tiles."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult, RenderResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from screens.widgets.bigtext import half_block_rows


class KioskHeader(Horizontal):
    """Station name on the left; online dot, date and time on the right."""

    DEFAULT_CSS = """
    KioskHeader {
        height: 1;
        dock: top;
        background: $primary;
        color: $text;
    }
    KioskHeader #station-name { width: 1fr; padding: 0 1; text-style: bold; }
    KioskHeader #status { width: auto; padding: 0 1; }
    KioskHeader #clock { width: auto; padding: 0 1; }
    """

    def __init__(self, station_name: str) -> None:
        super().__init__()
        self.station_name = station_name

    def compose(self) -> ComposeResult:
        yield Static(Content(self.station_name), id="station-name")
        yield Static(id="status")
        yield Static(id="clock")

    def show_status(self, online: bool, label: str) -> None:
        # Offline: the header's own colour ("grey50" is not a Textual colour;
        # it was dropped after a failed parse on every start).
        dot = Content.styled("●", "green") if online else Content("●")
        for status in self.query("#status").results(Static):
            status.update(Content.assemble(dot, " ", label))

    def show_time(self, moment: datetime, weekday: str) -> None:
        # query(), not query_one(): while a screen recomposes, its header may
        # not have children yet; the screen refreshes it once it has.
        for clock in self.query("#clock").results(Static):
            clock.update(Content(f"{moment:%Y-%m-%d} {weekday} {moment:%H:%M}"))


class Tile(Static):
    """A numbered choice: pressing its digit or tapping it chooses it.

    In large text (``large``) its number is drawn in block letters three
    lines high, the label beside it, and the detail in full, wrapped beside
    and under the number: never dimmed, never cut to one line.

    No hover style: on the box's touchscreen the pointer stays where the
    last tap was, so the tile under it on the next screen would look chosen.
    """

    DEFAULT_CSS = """
    Tile {
        height: 1fr;
        width: 1fr;
        min-height: 3;
        border: round $primary;
        padding: 0 1;
        /* one-line and two-line tiles start on the same row */
        content-align: left top;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    Tile.-large { min-height: 5; }
    """

    def __init__(
        self,
        key: str,
        label: str,
        detail: str = "",
        *,
        large: bool = False,
        id: str | None = None,  # noqa: A002
    ) -> None:
        content = Content.assemble((key, "bold"), "  ", (label, "bold"))
        if detail:
            content = Content.assemble(content, "\n", (detail, "dim"))
        super().__init__(content, id=id, classes="-large" if large else "")
        self.key = key
        self.label = label
        self.detail = detail
        self.large = large

    def render(self) -> RenderResult:
        if not self.large:
            return super().render()
        return large_tile(self.key, self.label, self.detail, self.content_size.width)

    class Chosen(Message):
        """A numbered tile was clicked or tapped."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def on_click(self) -> None:
        self.post_message(self.Chosen(self.key))


def large_tile(key: str, label: str, detail: str, width: int) -> Content:
    """A large-text tile's lines at ``width`` cells: the number in block
    letters on the left; the label, then the detail wrapped, beside it."""
    number = half_block_rows(key)
    number_width = len(number[0])
    text_width = max(4, width - number_width - 2)
    lines = [Content(label).truncate(text_width, ellipsis=True).stylize("bold")]
    if detail:
        lines.extend(Content(detail).wrap(text_width))
    blank = " " * number_width
    rows = [
        Content.assemble(
            (number[y] if y < len(number) else blank, "bold"),
            "  ",
            lines[y] if y < len(lines) else "",
        )
        for y in range(max(len(number), len(lines)))
    ]
    return Content("\n").join(rows)


class KeyHint(Static):
    """One clickable key hint in the keypad bar."""

    DEFAULT_CSS = """
    KeyHint { width: auto; padding: 0 1; }
    """

    def __init__(self, key_label: str, text: str, action: str) -> None:
        super().__init__(Content.assemble((key_label, "bold reverse"), " ", text))
        self.key_label = key_label
        self.action = action

    async def on_click(self) -> None:
        await self.app.run_action(self.action, self.screen)


class KeypadBar(Horizontal):
    """The bottom line: what each keypad key does on this screen."""

    DEFAULT_CSS = """
    KeypadBar {
        height: 1;
        dock: bottom;
        background: $panel;
    }
    """

    def __init__(self, hints: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.hints = hints

    def compose(self) -> ComposeResult:
        for key_label, text, action in self.hints:
            yield KeyHint(key_label, text, action)
