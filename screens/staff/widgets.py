"""Widgets shared by the staff terminal's screens."""

from __future__ import annotations

from datetime import datetime

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Checkbox, Footer, Static

# Below this many columns (a terminal over SSH is often 80x24) the staff
# screens show their compact forms.
NARROW_WIDTH = 100


class StaffHeader(Horizontal):
    """Station name, the person logged in, the number being served, the clock
    (with a warning when the box's clock cannot be trusted)."""

    DEFAULT_CSS = """
    StaffHeader {
        height: 1;
        dock: top;
        background: $primary;
        color: $text;
    }
    StaffHeader Static { width: auto; padding: 0 1; }
    StaffHeader #header-station { width: 1fr; text-style: bold; }
    StaffHeader #header-serving { color: $text; text-style: bold; }
    StaffHeader #header-clock-warning {
        display: none;
        background: $error;
        color: $text;
        text-style: bold;
    }
    StaffHeader #header-clock-warning.-shown { display: block; }
    """

    def __init__(self, station_name: str) -> None:
        super().__init__()
        self.station_name = station_name

    def compose(self) -> ComposeResult:
        yield Static(Content(f"{self.station_name} · 前台"), id="header-station")
        yield Static(id="header-serving")
        yield Static(id="header-user")
        yield Static(id="header-clock-warning")
        yield Static(id="header-clock")

    def show(
        self, user: str, serving: str, moment: datetime, clock_warning: str = ""
    ) -> None:
        for static in self.query("#header-user").results(Static):
            static.update(Content(user))
        for static in self.query("#header-serving").results(Static):
            static.update(Content(f"叫号 {serving}" if serving else ""))
        for static in self.query("#header-clock-warning").results(Static):
            static.update(Content(clock_warning))
            static.set_class(bool(clock_warning), "-shown")
        for static in self.query("#header-clock").results(Static):
            static.update(Content(f"{moment:%Y-%m-%d %H:%M}"))


class StaffFooter(Footer):
    """The keys that act now. In a narrow terminal it is compact and leaves
    out the palette's key (Ctrl+P still opens it), so that every action fits
    on the line at 80 columns."""

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_WIDTH
        if narrow != self.compact:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.refresh(recompose=True)


class PlainCheckbox(Checkbox):
    """A checkbox whose mark shows only while it is on: Textual's draws an X
    either way, dimmed when off, which reads as on."""

    BUTTON_INNER = " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "✓" if self.value else " "
        super().watch_value()
