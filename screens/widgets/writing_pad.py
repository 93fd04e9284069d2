"""Writing without an input method: pinyin (or English words) from the
numeric keypad or an on-screen letter keyboard, and phrase chips.

``WritingPad`` wraps an ``Input`` (its id is the field's id, so a screen reads
and submits it as before) and adds: the spelling line, the candidate bar (the
phrases when nothing is spelled), the rule for the keypad in the current mode,
and a tappable keyboard with digits and punctuation one tap away. The state
lives in a ``kiosk.writing.composer.Composer``; the dictionary is read in a
thread worker the first time a pad is shown.

Keypad keys (digits, ``.``, ``+``, Enter while something is spelled) belong
to the pad; other printable keys from a real keyboard are typed as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.cells import cell_len
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from kiosk.writing.composer import PAGE, Composer, Mode, Outcome
from kiosk.writing.dictionary import WritingDictionary, load_dictionary
from screens.widgets.inputs import KeypadTextInput

KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm")
PUNCTUATION = {"zh-CN": ("，", "。", "？", "、"), "en": (",", ".", "?", "-")}
# Keypad keys by Textual key name: what the composer calls them.
PAD_KEYS = {
    **{str(digit): str(digit) for digit in range(10)},
    "full_stop": ".",
    "decimal": ".",
    "plus": "+",
    "enter": "enter",
}

Translate = Callable[[str], str]


class PadKey(Static):
    """A tappable key of the pad: a letter, a digit, a candidate, a command."""

    DEFAULT_CSS = """
    PadKey { width: auto; min-width: 5; height: 1; padding: 0 1;
             background: $boost; margin: 0 1 0 0; content-align: center middle; }
    PadKey:hover { background: $accent 40%; }
    """

    def __init__(
        self,
        label: Content | str,
        kind: str,
        value: str = "",
        *,
        id: str | None = None,  # noqa: A002
        classes: str | None = None,
    ) -> None:
        content = label if isinstance(label, Content) else Content(label)
        super().__init__(content, id=id, classes=classes)
        self.kind = kind
        self.value = value

    class Tapped(Message):
        """A key of the pad was tapped: its kind and value."""

        def __init__(self, kind: str, value: str) -> None:
            super().__init__()
            self.kind = kind
            self.value = value

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Tapped(self.kind, self.value))


class KeyRow(Static):
    """One row of the touch keyboard, drawn as one widget (a keyboard of 44
    widgets took most of the description screen's first opening): a tap
    finds its key by where it landed."""

    DEFAULT_CSS = """
    KeyRow { height: 1; width: auto; }
    """
    GAP = 1

    def __init__(self, keys: list[tuple[str, str, str, str]]) -> None:
        # (label, kind, value, name); name is for tests and tools: "key-q"
        self.keys = keys
        self.spans: list[tuple[int, int]] = []
        parts: list[Content | str] = []
        at = 0
        for label, *_ in keys:
            width = max(5, cell_len(label) + 2)
            pad = width - cell_len(label)
            face = " " * (pad // 2) + label + " " * (pad - pad // 2)
            parts.extend([Content.styled(face, "reverse"), " " * self.GAP])
            self.spans.append((at, at + width))
            at += width + self.GAP
        super().__init__(Content.assemble(*parts))

    def offset_of(self, name: str) -> int | None:
        """The x of the key called ``name`` in this row, if it is here."""
        for (start, _), (_, _, _, key_name) in zip(self.spans, self.keys, strict=True):
            if key_name == name:
                return start + 1
        return None

    def on_click(self, event: events.Click) -> None:
        event.stop()
        for (start, end), (_, kind, value, _) in zip(
            self.spans, self.keys, strict=True
        ):
            if start <= event.x < end:
                self.post_message(PadKey.Tapped(kind, value))
                return


class WritingInput(KeypadTextInput):
    """The text itself. Keypad keys go to the pad around it first; what the
    pad leaves keeps the keypad contract (``-`` back, ``*`` language, ``/``
    large text act for the screen, as on every screen)."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        pad = self.parent
        if key == "plus" and isinstance(pad, WritingPad) and not pad.plus_for_digits:
            return False  # the screen's: the next field
        if key in PAD_KEYS and key != "enter":
            return True
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        pad = self.parent
        if isinstance(pad, WritingPad) and pad.take_key(event):
            event.stop()
            event.prevent_default()  # not typed, and no binding fires
            return
        await super()._on_key(event)


class WritingPad(Vertical):
    """A writing field for the keypad and the touchscreen."""

    DEFAULT_CSS = """
    WritingPad { height: auto; }
    WritingPad > #writing-spelling { height: 1; color: $text-muted; }
    WritingPad > #writing-candidates { grid-size: 3; grid-gutter: 0 1;
        height: auto; grid-rows: 1; }
    WritingPad > #writing-candidates PadKey { width: 1fr; content-align: left middle; }
    WritingPad.-choosing > #writing-candidates PadKey { background: $accent 30%; }
    WritingPad > #writing-rule { height: auto; color: $text-muted; }
    WritingPad > #writing-keyboard { height: auto; padding-top: 1; }
    WritingPad.-idle > #writing-rule, WritingPad.-idle > #writing-keyboard,
    WritingPad.-idle > #writing-spelling { display: none; }
    """

    class Loaded(Message):
        """The dictionary is ready (posted by the loading worker)."""

        def __init__(self, dictionary: WritingDictionary) -> None:
            super().__init__()
            self.dictionary = dictionary

    def __init__(
        self,
        value: str,
        *,
        limit: int,
        language: str,
        translate: Translate,
        phrases: Sequence[str] = (),
        placeholder: str = "",
        input_id: str,
        plus_for_digits: bool = True,
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        # `+` switches to writing digits as digits; on a screen with more
        # than one field it keeps its keypad meaning (the next field).
        self.plus_for_digits = plus_for_digits
        self.t = translate
        self.composer = Composer(
            limit=limit, language=language, phrases=tuple(phrases), text=value
        )
        self._value = value
        self._placeholder = placeholder
        self._input_id = input_id

    # -- composing ----------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield WritingInput(
            value=self._value,
            placeholder=self._placeholder,
            max_length=self.composer.limit,
            id=self._input_id,
        )
        yield Static(id="writing-spelling")
        with Grid(id="writing-candidates"):
            for number in range(1, PAGE + 1):
                yield PadKey(
                    "",
                    "candidate",
                    str(number),
                    id=f"candidate-{number}",
                    classes="candidate",
                )
        yield Static(id="writing-rule")
        with Vertical(id="writing-keyboard"):
            for row in KEYBOARD_ROWS:
                keys = [
                    (key, "letter" if key.isalpha() else "insert", key, f"key-{key}")
                    for key in row
                ]
                if row == KEYBOARD_ROWS[-1]:
                    keys.append((self.t("writing.delete"), "delete", "", "key-delete"))
                yield KeyRow(keys)
            marks = PUNCTUATION["en" if self.composer.english else "zh-CN"]
            yield KeyRow(
                [
                    *(
                        (mark, "insert", mark, f"key-mark-{number}")
                        for number, mark in enumerate(marks)
                    ),
                    (self.t("writing.space"), "insert", " ", "key-space"),
                    (self.t("writing.more"), "page", "", "key-page"),
                    (self.t("writing.done"), "enter", "", "key-enter"),
                ]
            )

    def on_mount(self) -> None:
        self.show()
        self.load()
        self.call_after_refresh(self._take_focus)

    def _take_focus(self) -> None:
        """Composed again (a language switch) with nothing focused: the
        keypad would reach nothing, so the field takes the focus."""
        if self.is_attached and self.screen.focused is None:
            self.input.focus()
        self._show_focus()

    # The rule, the spelling and the keyboard show while the field has focus:
    # a class, not :focus-within, so that Textual restyles the children.
    def on_descendant_focus(self) -> None:
        self.call_after_refresh(self._show_focus)

    def on_descendant_blur(self) -> None:
        self.call_after_refresh(self._show_focus)

    def _show_focus(self) -> None:
        if self.is_attached:
            self.set_class(not self.has_focus_within, "-idle")

    @work(thread=True, exit_on_error=False, group="writing-dictionary")
    def load(self) -> None:
        """Read the dictionary off the UI thread (once per process)."""
        self.post_message(self.Loaded(load_dictionary()))

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        message.stop()
        self.composer.dictionary = message.dictionary
        self.show()

    @property
    def input(self) -> Input:
        return self.query_one(WritingInput)

    @property
    def value(self) -> str:
        return self.input.value

    # -- keys and taps --------------------------------------------------------

    def take_key(self, event: events.Key) -> bool:
        """A key for the pad? Then it is done here (True)."""
        key = PAD_KEYS.get(event.key)
        if key == "+" and not self.plus_for_digits:
            return False  # the screen's: the next field
        if key is None and event.key == "backspace" and self.composer.keys:
            key = "."
        if key is None:
            return False
        self._from_input()
        outcome = self.composer.press(key)
        if outcome is Outcome.FINISH:
            return False  # Enter with nothing to choose: the Input submits
        self._to_input()
        return True

    @on(PadKey.Tapped)
    def tapped(self, message: PadKey.Tapped) -> None:
        message.stop()
        key = message
        self._from_input()
        composer = self.composer
        if key.kind == "letter":
            composer.type_letter(key.value)
        elif key.kind == "insert":
            composer.keys = ""
            composer.insert(key.value)
        elif key.kind == "candidate":
            composer.choose(int(key.value))
        elif key.kind == "delete":
            composer.delete()
        elif key.kind == "page":
            composer.page = (composer.page + 1) % composer.page_count()
        elif key.kind == "enter":
            if composer.press("enter") is Outcome.FINISH:
                self.input.focus()
                # From the Input's own pump: a message sent from here would
                # stop at this pad (Textual stops a message at its sender).
                self.input.call_later(self.input.action_submit)
                return
        self._to_input()
        self.input.focus()

    def _from_input(self) -> None:
        """The field may have been typed in directly (a real keyboard)."""
        self.composer.text = self.input.value[: self.composer.limit]

    def _to_input(self) -> None:
        field = self.input
        if field.value != self.composer.text:
            field.value = self.composer.text
        field.cursor_position = len(field.value)
        self.show()

    # -- showing the state ----------------------------------------------------

    def show(self) -> None:
        composer = self.composer
        self.set_class(composer.mode is Mode.CHOOSE, "-choosing")
        self.query_one("#writing-spelling", Static).update(self._spelling_line())
        self.query_one("#writing-rule", Static).update(
            Content(self.t(composer.hint_key()))
        )
        shown = composer.shown()
        self.query_one("#writing-candidates", Grid).display = bool(shown)
        for number, key in enumerate(self.query(".candidate").results(PadKey), 1):
            if number <= len(shown):
                key.update(
                    Content.assemble(
                        (str(number), "bold reverse"), " ", shown[number - 1].text
                    )
                )
            key.display = number <= len(shown)

    def _spelling_line(self) -> Content:
        composer = self.composer
        if composer.mode is Mode.DIGITS:
            return Content.styled(self.t("writing.digits_mode"), "bold")
        if not composer.keys:
            if composer.phrases:
                return Content.styled(self.t("writing.phrases"), "bold")
            return Content("")
        if composer.dictionary is None:
            return Content(self.t("writing.loading"))
        spellings = " / ".join(composer.spellings())
        pages = composer.page_count()
        page = f"  {composer.page + 1}/{pages}" if pages > 1 else ""
        if not composer.candidates():
            return Content.assemble(
                (composer.keys, "bold"), "  ", self.t("writing.none")
            )
        return Content.assemble(
            (self.t("writing.pinyin"), "bold"),
            "  ",
            spellings,
            ("" if composer.by_letters else f"  [{composer.keys}]", "dim"),
            (page, "dim"),
        )


__all__ = ["PAGE", "KeyRow", "PadKey", "WritingInput", "WritingPad"]
