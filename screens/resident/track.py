"""Track my ticket: key in the ticket number's digits and the check code."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label, Static

from db import database
from kiosk.tracking import CHECK_CODE_DIGITS, ticket_no_from_digits, track_by_code
from screens.resident.base import KioskScreen
from screens.resident.messages import TrackFound
from screens.widgets.inputs import DigitsInput

# Wrong answers in a row before the kiosk makes the next resident wait a bit.
MAX_WRONG = 5
COOL_DOWN_SECONDS = 60.0


class TrackScreen(KioskScreen):
    TITLE_KEY = "track.title"
    HINT_KEY = "track.hint"
    ENTER_KEY = "key.search"
    BINDINGS = [Binding("enter", "forward", "Search", id="search", show=False)]
    DEFAULT_CSS = """
    TrackScreen .field { height: auto; }
    TrackScreen .field Label { width: 16; padding: 1 1 0 0; }
    TrackScreen .field Input { width: 1fr; max-width: 30; }
    TrackScreen #track-error { color: $error; text-style: bold; height: auto; }
    TrackScreen #track-how { margin-top: 1; color: $text-muted; height: auto; }
    """

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(Content(self.t("track.number")))
            yield DigitsInput(placeholder="261125007", max_length=10, id="number")
        with Horizontal(classes="field"):
            yield Label(Content(self.t("track.code")))
            yield DigitsInput(
                placeholder="123456", max_length=CHECK_CODE_DIGITS, id="code"
            )
        yield Static(id="track-error")
        yield Static(Content(self.t("track.how")), id="track-how")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#number", Input).focus()

    def show_error(self, key: str) -> None:
        self.query_one("#track-error", Static).update(Content(self.t(key)))

    @on(Input.Submitted, "#number")
    def number_done(self) -> None:
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    def action_forward(self) -> None:
        kiosk = self.kiosk
        if kiosk.clock() < kiosk.track_locked_until:
            self.show_error("track.wait")
            return
        number = self.query_one("#number", Input).value
        code = self.query_one("#code", Input).value
        ticket_no = ticket_no_from_digits(kiosk.settings, number)
        if ticket_no is None:
            self.show_error("track.bad_number")
            self.query_one("#number", Input).focus()
            return
        if len(code) != CHECK_CODE_DIGITS:
            self.show_error("track.bad_code")
            self.query_one("#code", Input).focus()
            return
        self.look_up(ticket_no, code)

    @work(thread=True, exclusive=True, exit_on_error=False, group="track")
    def look_up(self, ticket_no: str, code: str) -> None:
        try:
            with database.connection_context():
                found = track_by_code(ticket_no, code)
        except Exception:
            found = None
        self.post_message(TrackFound(found))

    @on(TrackFound)
    def track_found(self, message: TrackFound) -> None:
        message.stop()
        kiosk = self.kiosk
        if message.ticket is None:
            kiosk.track_wrong_answers += 1
            if kiosk.track_wrong_answers >= MAX_WRONG:
                kiosk.track_wrong_answers = 0
                kiosk.track_locked_until = kiosk.clock() + COOL_DOWN_SECONDS
            self.show_error("track.not_found")
            return
        kiosk.track_wrong_answers = 0
        kiosk.show_tracked(message.ticket)
