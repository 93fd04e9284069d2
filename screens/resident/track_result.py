"""A tracked ticket: its status, its timeline in plain words, what comes next."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from kiosk.tracking import Tracked
from screens.resident.base import FLOW_CSS, KioskScreen


class TrackResultScreen(KioskScreen):
    CSS_PATH = FLOW_CSS
    ENTER_KEY = "key.finish"
    BINDINGS = [Binding("enter", "forward", "Finish", id="finish", show=False)]

    def __init__(self, tracked: Tracked) -> None:
        super().__init__()
        self.tracked = tracked

    def compose_body(self) -> ComposeResult:
        ticket = self.tracked[self.kiosk.language]
        yield Static(
            Content(
                self.t(
                    "track.status",
                    ticket_no=ticket.ticket_no,
                    category=ticket.category_label,
                    item=ticket.item_label,
                    status=ticket.status_label,
                )
            ),
            id="track-status",
        )
        lines = [
            Content.assemble((f"{entry.at:%m-%d %H:%M}  ", "bold"), entry.text)
            for entry in ticket.timeline
        ]
        yield Static(Content("\n").join(lines), id="track-timeline")
        yield Static(Content(ticket.next_step), id="track-next")

    def keypad_hints(self) -> list[tuple[str, str, str]]:
        return [
            ("Enter", self.t("key.finish"), "screen.forward"),
            ("Esc/-", self.t("key.back"), "screen.back"),
            ("*", self.t("key.language"), "app.toggle_language"),
            ("/", self.t("key.large_text"), "app.toggle_large_text"),
        ]

    def action_forward(self) -> None:
        self.kiosk.reset_flow()

    def action_back(self) -> None:
        self.kiosk.reset_flow()
