"""Track my ticket: key in the ticket number's digits and the check code."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label, Static

from kiosk.tracking import CHECK_CODE_DIGITS, ticket_no_from_digits, track_by_code
from screens.resident.base import FLOW_CSS, KioskScreen
from screens.resident.messages import LookUpFailed, TrackFound
from screens.widgets.inputs import DigitsInput
from screens.workers import database_worker

# Wrong check codes in a row for one ticket number before the kiosk makes
# the next try for that number wait; other tickets are not held up.
MAX_WRONG = 5
COOL_DOWN_SECONDS = 60.0


class TrackScreen(KioskScreen):
    CSS_PATH = FLOW_CSS
    TITLE_KEY = "track.title"
    HINT_KEY = "track.hint"
    ENTER_KEY = "key.search"
    NEXT_FIELD_KEY = "key.next_field"
    HAS_FIELDS = True
    BINDINGS = [
        Binding("enter", "forward", "Search", id="search", show=False),
        Binding("plus", "next_field", "Next field", id="next-field", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.asked = ""  # the ticket number of the last look-up

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(Content(self.t("track.number")))
            yield DigitsInput(
                value=self.kiosk.track_digits,
                placeholder=self.t("track.number_placeholder"),
                max_length=10,
                id="number",
            )
        with Horizontal(classes="field"):
            yield Label(Content(self.t("track.code")))
            yield DigitsInput(
                placeholder=self.t("track.code_placeholder"),
                max_length=CHECK_CODE_DIGITS,
                id="code",
            )
        yield Static(id="track-error")
        yield Static(id="paste-note")
        yield Static(Content(self.t("track.how")), id="track-how")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#number", Input).focus()

    def save_inputs(self) -> None:
        # the digits stay for the next visit (until the resident leaves)
        self.kiosk.track_digits = self.query_one("#number", Input).value

    def show_error(self, key: str) -> None:
        self.query_one("#track-error", Static).update(Content(self.t(key)))

    @on(Input.Submitted, "#number")
    def number_done(self) -> None:
        self.query_one("#code", Input).focus()

    @on(Input.Submitted, "#code")
    def action_forward(self) -> None:
        if not self.is_active:
            return
        kiosk = self.kiosk
        number = self.query_one("#number", Input).value
        code = self.query_one("#code", Input).value
        ticket_no = ticket_no_from_digits(kiosk.settings, number)
        if ticket_no is None:
            self.show_error("track.bad_number")
            self.query_one("#number", Input).focus()
            return
        if kiosk.clock() < kiosk.track_locked_until.get(ticket_no, 0.0):
            self.show_error("track.wait")
            return
        if len(code) != CHECK_CODE_DIGITS:
            self.show_error("track.bad_code")
            self.query_one("#code", Input).focus()
            return
        self.asked = ticket_no
        self.look_up(ticket_no, code)

    @database_worker(
        group="track",
        description="tracking look-up by check code",
        failed=LookUpFailed,
    )
    def look_up(self, ticket_no: str, code: str) -> None:
        self.post_message(TrackFound(track_by_code(ticket_no, code)))

    @on(LookUpFailed)
    def look_up_failed(self, message: LookUpFailed) -> None:
        message.stop()
        self.show_error("track.failed")

    @on(TrackFound)
    def track_found(self, message: TrackFound) -> None:
        message.stop()
        kiosk = self.kiosk
        if message.ticket is None:
            misses = kiosk.track_wrong_answers.get(self.asked, 0) + 1
            kiosk.track_wrong_answers[self.asked] = misses
            if misses >= MAX_WRONG:
                kiosk.track_wrong_answers.pop(self.asked, None)
                kiosk.track_locked_until[self.asked] = kiosk.clock() + COOL_DOWN_SECONDS
            self.show_error("track.not_found")
            code = self.query_one("#code", Input)
            code.value = ""  # a wrong code is typed again from the start
            code.focus()
            return
        kiosk.track_wrong_answers.pop(self.asked, None)
        kiosk.show_tracked(message.ticket)
