"""Optional contact details, with the personal-data notice and consent."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label, Static

from kiosk.text import NAME_LIMIT, clean_text
from kiosk.tickets import TicketInputError, normalize_mobile
from screens.resident.base import KioskScreen
from screens.widgets.inputs import DigitsInput
from screens.widgets.writing_pad import WritingPad


class ContactScreen(KioskScreen):
    TITLE_KEY = "contact.title"
    HINT_KEY = "contact.hint"
    ENTER_KEY = "key.done"
    BINDINGS = [Binding("enter", "forward", "Done", id="done", show=False)]
    DEFAULT_CSS = """
    ContactScreen .field { height: auto; }
    ContactScreen .field Label { width: 14; padding: 1 1 0 0; }
    ContactScreen .field Input { width: 1fr; max-width: 40; }
    ContactScreen #mobile-error { color: $error; text-style: bold; height: auto; }
    """

    def compose_body(self) -> ComposeResult:
        draft = self.kiosk.draft
        with Horizontal(classes="field"):
            yield Label(Content(self.t("contact.mobile")))
            yield DigitsInput(
                value=draft.contact_mobile,
                placeholder="13800000000",
                max_length=11,
                restrict=r"[0-9]*",
                id="mobile",
            )
        yield Static(id="mobile-error")
        with Horizontal(classes="field"):
            yield Label(Content(self.t("contact.name")))
            yield WritingPad(
                draft.contact_name,
                limit=NAME_LIMIT,
                language=self.kiosk.language,
                translate=self.t,
                placeholder=self.t("contact.name_placeholder"),
                input_id="name",
            )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#mobile", Input).focus()

    def save_inputs(self) -> None:
        draft = self.kiosk.draft
        draft.contact_mobile = self.query_one("#mobile", Input).value.strip()
        draft.contact_name = clean_text(
            self.query_one("#name", Input).value, NAME_LIMIT
        )

    def show_error(self, key: str) -> None:
        self.query_one("#mobile-error", Static).update(Content(self.t(key)))
        self.query_one("#mobile", Input).focus()

    @on(Input.Submitted)
    def action_forward(self) -> None:
        self.save_inputs()
        draft = self.kiosk.draft
        if not draft.contact_mobile and not draft.contact_name:
            draft.consent = False
            self.go_back()
            return
        if not draft.contact_mobile:
            self.show_error("error.mobile_needed")
            return
        try:
            draft.contact_mobile = normalize_mobile(draft.contact_mobile)
        except TicketInputError as error:
            self.show_error(error.message_key)
            return
        self.query_one("#mobile-error", Static).update("")
        if self.focused is self.query_one("#mobile", Input) and not draft.contact_name:
            self.query_one("#name", Input).focus()  # Enter goes on to the name
            return
        # the next screen loads on first use (start-up)
        from screens.resident.consent import ConsentScreen

        self.go_to(ConsentScreen(), self.consent_given)

    def consent_given(self, agreed: bool | None) -> None:
        draft = self.kiosk.draft
        if agreed:
            draft.consent = True
        else:
            draft.contact_name = draft.contact_mobile = ""
            draft.consent = False
        self.go_back()
