"""Optional contact details, with the personal-data notice and consent.

Leaving with Enter checks what was typed and asks for consent; leaving with
`-` or Esc keeps the contact as it was before this screen: the draft only
ever holds a valid, consented contact, which is what review shows.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Input, Label, Static

from kiosk.text import NAME_LIMIT, clean_text
from kiosk.tickets import TicketInputError, normalize_mobile
from screens.resident.base import FLOW_CSS, KioskScreen
from screens.widgets.inputs import DigitsInput
from screens.widgets.writing_pad import WritingPad


class ContactScreen(KioskScreen):
    CSS_PATH = FLOW_CSS
    TITLE_KEY = "contact.title"
    HINT_KEY = "contact.hint"
    ENTER_KEY = "key.done"
    NEXT_FIELD_KEY = "key.next_field"
    HAS_FIELDS = True
    BINDINGS = [
        Binding("enter", "forward", "Done", id="done", show=False),
        Binding("plus", "next_field", "Next field", id="next-field", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        # What the fields hold, kept across a relabel (None: the draft's).
        self.typed: tuple[str, str] | None = None
        self.checked = ("", "")  # a valid mobile and the name, awaiting consent

    def compose_body(self) -> ComposeResult:
        draft = self.kiosk.draft
        mobile, name = self.typed or (draft.contact_mobile, draft.contact_name)
        with Horizontal(classes="field"):
            yield Label(Content(self.t("contact.mobile")))
            yield DigitsInput(
                value=mobile,
                placeholder=self.t("contact.mobile_placeholder"),
                max_length=11,
                restrict=r"[0-9]*",
                id="mobile",
            )
        yield Static(id="mobile-error")
        yield Static(id="paste-note")
        with Horizontal(classes="field"):
            yield Label(Content(self.t("contact.name")))
            yield WritingPad(
                name,
                limit=NAME_LIMIT,
                language=self.kiosk.language,
                translate=self.t,
                placeholder=self.t("contact.name_placeholder"),
                input_id="name",
                plus_for_digits=False,  # + goes back to the mobile
                person_name=True,
            )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#mobile", Input).focus()

    def save_inputs(self) -> None:
        """Kept on the screen for a relabel; the draft changes only on Enter."""
        self.typed = (
            self.query_one("#mobile", Input).value,
            self.query_one("#name", Input).value,
        )

    def show_error(self, key: str) -> None:
        self.query_one("#mobile-error", Static).update(Content(self.t(key)))
        self.query_one("#mobile", Input).focus()

    @on(Input.Submitted)
    def action_forward(self) -> None:
        if not self.is_active:
            return
        mobile = self.query_one("#mobile", Input).value.strip()
        name = clean_text(self.query_one("#name", Input).value, NAME_LIMIT)
        draft = self.kiosk.draft
        if not mobile and not name:
            draft.contact_mobile = draft.contact_name = ""
            draft.consent = False
            self.go_back()
            return
        if not mobile:
            self.show_error("error.mobile_needed")
            return
        try:
            mobile = normalize_mobile(mobile)
        except TicketInputError as error:
            self.show_error(error.message_key)
            return
        self.query_one("#mobile-error", Static).update("")
        self.checked = (mobile, name)
        # the next screen loads on first use (start-up)
        from screens.resident.consent import ConsentScreen

        self.go_to(ConsentScreen(), self.consent_given)

    def consent_given(self, agreed: bool | None) -> None:
        draft = self.kiosk.draft
        if agreed:
            draft.contact_mobile, draft.contact_name = self.checked
            draft.consent = True
        else:
            draft.contact_name = draft.contact_mobile = ""
            draft.consent = False
        self.go_back()
