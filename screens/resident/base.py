"""The base of every resident screen: frame, keypad keys, language switch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import ScreenResume
from textual.screen import Screen
from textual.widgets import Input, Static

from screens.widgets.chrome import KeypadBar, KioskHeader
from screens.widgets.inputs import KeypadTextInput

if TYPE_CHECKING:
    from screens.resident.app import KioskApp


# The styles of the screens past the first steps (writing, contact, consent,
# tracking, idle): not read at start-up. The kiosk reads them as a request
# starts (KioskApp.read_flow_styles); else Textual reads them as the first
# such screen opens, which then waits for every style to be parsed again.
FLOW_CSS = Path(__file__).with_name("flow.tcss").resolve()


class KioskScreen(Screen[None]):
    """A resident screen: header, a titled body and the keypad bar."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back", show=False),
        Binding("minus", "back", "Back", id="back-minus", show=False),
        Binding(
            "asterisk", "app.toggle_language", "Language", id="language", show=False
        ),
        Binding(
            "slash", "app.toggle_large_text", "Large text", id="large-text", show=False
        ),
    ]
    ESCAPE_TO_MINIMIZE = False
    TITLE_KEY = ""
    HINT_KEY = ""
    # Whether this screen offers "Enter" as a key of its own in the keypad bar.
    ENTER_KEY = ""
    # The word for `+` (the next field) on screens with two fields.
    NEXT_FIELD_KEY = ""
    # Screens with a field: `.` deletes its last character.
    HAS_FIELDS = False

    def __init__(self) -> None:
        super().__init__()
        self._composed_language = ""
        self._composed_large = False
        # What its styles came from when it was last shown (style_source).
        self._styled_from: tuple[object, ...] | None = None

    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)

    def t(self, key: str, **values: object) -> str:
        return self.kiosk.t(key, **values)

    def compose(self) -> ComposeResult:
        self._composed_language = self.kiosk.language
        self._composed_large = self.kiosk.large_text
        yield KioskHeader(self.kiosk.station_label())
        with Vertical(id="body"):
            if self.TITLE_KEY:
                yield Static(
                    Content(self.t(self.TITLE_KEY, **self.title_values())), id="title"
                )
            if self.HINT_KEY:
                yield Static(Content(self.hint()), id="hint")
            yield from self.compose_body()
        yield KeypadBar(self.keypad_hints())

    def hint(self) -> str:
        return self.t(self.HINT_KEY)

    def title_values(self) -> dict[str, object]:
        return {}

    def compose_body(self) -> ComposeResult:
        yield from ()

    def keypad_hints(self) -> list[tuple[str, str, str]]:
        hints = []
        if self.ENTER_KEY:
            hints.append(("Enter", self.t(self.ENTER_KEY), "screen.forward"))
        if self.NEXT_FIELD_KEY:
            hints.append(("+", self.t(self.NEXT_FIELD_KEY), "screen.next_field"))
        if self.HAS_FIELDS:
            hints.append((".", self.t("key.delete"), "screen.delete"))
        hints.append(("Esc/-", self.t("key.back"), "screen.back"))
        hints.append(("*", self.t("key.language"), "app.toggle_language"))
        hints.append(("/", self.t("key.large_text"), "app.toggle_large_text"))
        return hints

    def on_mount(self) -> None:
        self.kiosk.refresh_frame(self)
        self.kiosk.screen_shown(self)

    def style_source(self) -> tuple[object, ...]:
        """What the styles of this screen's widgets follow, besides their own
        classes (which restyle them when they change): the app's classes
        (large text, ``-large``), its theme and its stylesheet (the flow's
        styles are added to it once, as the first request starts)."""
        app = self.app
        return (
            frozenset(app.classes),
            app.theme,
            len(app.stylesheet.source),
            self._composed_language,
        )

    def on_screen_resume(self, event: ScreenResume) -> None:
        # Runs before Textual's own handler (subclass first): a screen shown
        # again (the ticket screen, kept for every ticket) is not styled
        # again from nothing when nothing its styles follow has changed
        # since it was last shown. Styling its twenty widgets again was
        # about 4 ms of the time from Submit to the QR on screen.
        source = self.style_source()
        if event.refresh_styles and source == self._styled_from:
            event.refresh_styles = False
        self._styled_from = source
        if self.app.screen is not self or self not in self.app.screen_stack:
            return  # passed through while the flow was reset to the start
        kiosk = self.kiosk
        if self._composed_language and (
            self._composed_language != kiosk.language
            or self._composed_large != kiosk.large_text
        ):
            self.relabel()
        else:
            self.kiosk.refresh_frame(self)
            self.kiosk.screen_shown(self)

    def relabel(self) -> None:
        """Compose again in the current language, keeping what was entered."""
        self.save_inputs()
        self.refresh(recompose=True)
        self.call_after_refresh(self.after_relabel)

    def after_relabel(self) -> None:
        self.kiosk.refresh_frame(self)
        self.kiosk.screen_shown(self)

    def save_inputs(self) -> None:
        """Copy typed fields into the draft (screens with inputs override)."""

    def go_back(self) -> None:
        """One screen back, if this screen is still the one on top: a key
        or message meant for it never moves the screen that follows."""
        if self.is_active:
            self.app.pop_screen()

    def go_to(
        self, screen: Screen[Any], callback: Callable[[Any], None] | None = None
    ) -> None:
        """Open ``screen`` over this one, if this one is still on top."""
        if self.is_active:
            self.app.push_screen(screen, callback)

    def action_back(self) -> None:
        self.save_inputs()
        self.go_back()

    def action_forward(self) -> None:
        """Enter: go on (screens override)."""

    @on(KeypadTextInput.Pasted)
    def paste_changed(self, message: KeypadTextInput.Pasted) -> None:
        """Tell the resident what became of a paste."""
        key = "paste.cut" if message.cut else "paste.cleaned"
        for note in self.query("#paste-note").results(Static):
            note.update(Content(self.t(key, kept=message.kept)))

    def action_next_field(self) -> None:
        """`+`: the next field (screens with two fields)."""
        self.focus_next(Input)

    def action_delete(self) -> None:
        """`.` in the bar, tapped: delete in the field that has the focus."""
        focused = self.focused
        if isinstance(focused, Input):
            focused.action_delete_left()
