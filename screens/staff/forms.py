"""Small modal forms for the ticket actions: pick one, type a text, confirm."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option


class ChoiceForm(ModalScreen[str | None]):
    """Pick one of a few options; Enter chooses, Esc cancels."""

    DEFAULT_CLASSES = "staff-form"

    BINDINGS = [Binding("escape", "cancel", "取消", id="cancel")]

    def __init__(
        self, title: str, options: list[tuple[str, str]], selected: str = ""
    ) -> None:
        super().__init__()
        self.form_title = title
        self.options = options
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.form_title), classes="form-title")
            yield OptionList(
                *(
                    Option(Content(f"{index}. {label}"), id=value)
                    for index, (value, label) in enumerate(self.options, start=1)
                ),
                id="choices",
            )
            yield Static(
                Content("↑↓ 或数字选择 · Enter 确定 · Esc 取消"), classes="form-hint"
            )
        yield Footer()

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        values = [value for value, _ in self.options]
        choices.highlighted = (
            values.index(self.selected) if self.selected in values else 0
        )
        choices.focus()

    def on_key(self, event: events.Key) -> None:
        # Only the ASCII digits choose: an IME's ② or a ² is ignored.
        key = event.character or ""
        if len(key) == 1 and "1" <= key <= "9" and int(key) <= len(self.options):
            event.stop()
            self.dismiss(self.options[int(key) - 1][0])

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(message.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextForm(ModalScreen[str | None]):
    """One line of text; Enter saves (refused while empty if required).
    With ``picks``, a list under the field offers values to choose instead
    of typing (↓ reaches it, Enter takes one)."""

    DEFAULT_CLASSES = "staff-form"

    BINDINGS = [
        Binding("escape", "cancel", "取消", id="cancel"),
        Binding("down", "to_picks", "选择", id="to-picks", show=False),
    ]

    def __init__(
        self,
        title: str,
        placeholder: str,
        *,
        required: bool = True,
        what: str = "",
        value: str = "",
        error: str = "",
        picks: list[tuple[str, str]] | None = None,
        picks_title: str = "",
    ) -> None:
        super().__init__()
        self.form_title = title
        self.placeholder = placeholder
        self.required = required
        self.what = what or placeholder
        self.value = value  # what was typed before (kept after a failed save)
        self.error = error
        self.picks = picks or []
        self.picks_title = picks_title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.form_title), classes="form-title")
            yield Input(
                self.value, placeholder=self.placeholder, id="text", max_length=500
            )
            yield Static(Content(self.error), classes="form-error", id="form-error")
            if self.picks:
                yield Static(Content(self.picks_title), classes="form-hint")
                yield OptionList(
                    *(Option(Content(label), id=value) for value, label in self.picks),
                    id="picks",
                )
            hint = "Enter 保存 · Esc 取消" + ("" if self.required else " · 可留空")
            if self.picks:
                hint = "Enter 保存 · ↓ 从列表选择 · Esc 取消"
            yield Static(Content(hint), classes="form-hint")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "to_picks":
            return bool(self.picks) and isinstance(self.focused, Input)
        return True

    def action_to_picks(self) -> None:
        """From the field down into the list of picks."""
        self.query_one("#picks", OptionList).focus()

    @on(Input.Submitted, "#text")
    def submitted(self, message: Input.Submitted) -> None:
        text = message.value.strip()
        if self.required and not text:
            self.query_one("#form-error", Static).update(Content(f"请填写{self.what}"))
            return
        self.dismiss(text)

    @on(OptionList.OptionSelected, "#picks")
    def picked(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(message.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmForm(ModalScreen[bool]):
    """A question; Enter or y confirms, Esc or n cancels."""

    DEFAULT_CLASSES = "staff-form"

    BINDINGS = [
        Binding("enter,y", "answer(True)", "确定", id="confirm"),
        Binding("escape,n", "answer(False)", "取消", id="cancel"),
    ]

    def __init__(self, title: str, question: str) -> None:
        super().__init__()
        self.form_title = title
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.form_title), classes="form-title")
            yield Static(Content(self.question))
            yield Static(Content("Enter 确定 · Esc 取消"), classes="form-hint")
        yield Footer()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class InfoForm(ModalScreen[None]):
    """Something to read (the revealed mobile number); any key closes it."""

    DEFAULT_CLASSES = "staff-form"

    BINDINGS = [Binding("escape,enter", "close", "关闭", id="close")]

    def __init__(self, title: str, text: str, hint: str = "") -> None:
        super().__init__()
        self.form_title = title
        self.text = text
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Content(self.form_title), classes="form-title")
            yield Static(Content(self.text), id="info-text")
            if self.hint:
                yield Static(Content(self.hint), classes="form-hint")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)
