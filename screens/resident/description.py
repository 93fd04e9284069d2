"""An optional short description, typed on the kiosk's keyboard if it has one."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Input, Static

from kiosk.text import DESCRIPTION_LIMIT, clean_text
from screens.resident.base import FLOW_CSS, KioskScreen
from screens.widgets.writing_pad import WritingPad


class DescriptionScreen(KioskScreen):
    CSS_PATH = FLOW_CSS
    TITLE_KEY = "description.title"
    HINT_KEY = "description.hint"
    ENTER_KEY = "key.done"
    HAS_FIELDS = True
    BINDINGS = [Binding("enter", "forward", "Done", id="done", show=False)]

    def compose_body(self) -> ComposeResult:
        yield WritingPad(
            self.kiosk.draft.description,
            limit=DESCRIPTION_LIMIT,
            language=self.kiosk.language,
            translate=self.t,
            phrases=self.common_details(),
            category=self.kiosk.draft.category or "",
            placeholder=self.t("description.placeholder"),
            input_id="description",
        )
        yield Static(id="counter")
        yield Static(id="paste-note")

    def common_details(self) -> tuple[str, ...]:
        """The chosen item's common details, offered as phrases (#12)."""
        draft = self.kiosk.draft
        try:
            item = self.kiosk.catalog.category(draft.category).item(draft.item)
        except KeyError:
            return ()
        return item.detail_phrases(self.kiosk.language)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#description", Input).focus()
        self.show_count()

    @on(Input.Changed, "#description")
    def show_count(self) -> None:
        used = len(self.query_one("#description", Input).value)
        self.query_one("#counter", Static).update(
            Content(self.t("description.count", used=used, limit=DESCRIPTION_LIMIT))
        )

    def save_inputs(self) -> None:
        value = self.query_one("#description", Input).value
        self.kiosk.draft.description = clean_text(value, DESCRIPTION_LIMIT)

    @on(Input.Submitted, "#description")
    def action_forward(self) -> None:
        if self.is_active:
            self.save_inputs()
            self.go_back()
