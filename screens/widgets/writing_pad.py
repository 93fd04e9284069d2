"""Writing without an input method: pinyin (or English words) from the
numeric keypad or an on-screen letter keyboard, and phrase chips.

``WritingPad`` wraps an ``Input`` (its id is the field's id, so a screen reads
and submits it as before) and adds: the spelling line, the candidate bar (the
phrases when nothing is spelled, or right after a word the words that
follow it: 联想), the rule for the keypad in the current mode,
and a tappable keyboard with digits and punctuation one tap away. The state
lives in a ``kiosk.writing.composer.Composer``. The dictionary is read once
per process, off the UI thread: the kiosk reads it as a resident starts a
request; a pad shown before that reads it in a thread worker.

Keypad keys (digits, ``.``, ``+``, Enter while something is spelled) belong
to the pad; other printable keys from a real keyboard are typed as they are.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from rich.cells import cell_len
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Input, Static

from kiosk.writing.composer import PAGE, Composer, Mode, Outcome
from kiosk.writing.dictionary import WritingDictionary, load_dictionary
from screens.widgets.inputs import KeypadTextInput

log = logging.getLogger(__name__)

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


class KeyStrip(Static):
    """Keys drawn as one widget, found by where a tap lands: composing,
    styling and laying out one widget per key (9 candidates, 44 keys) was
    most of the description screen's first opening. Each key has a name
    (``key-q``, ``candidate-2``) for tests and tools: ``offset_of``."""

    class Tapped(Message):
        """A key was tapped: its kind and value."""

        def __init__(self, kind: str, value: str) -> None:
            super().__init__()
            self.kind = kind
            self.value = value

    def key_spots(self) -> list[tuple[int, int, int, str, str, str]]:
        """Each key as (y, x from, x to, kind, value, name)."""
        raise NotImplementedError

    def offset_of(self, name: str) -> tuple[int, int] | None:
        """Where to tap the key called ``name``, if it is here."""
        for y, start, _, _, _, key_name in self.key_spots():
            if key_name == name:
                return (start + 1, y)
        return None

    def on_click(self, event: events.Click) -> None:
        event.stop()
        for y, start, end, kind, value, _ in self.key_spots():
            if y == event.y and start <= event.x < end:
                self.post_message(self.Tapped(kind, value))
                return


class Keyboard(KeyStrip):
    """The touch keyboard: rows of (label, kind, value, name)."""

    DEFAULT_CSS = """
    Keyboard { height: auto; width: auto; }
    """
    GAP = 1

    def __init__(
        self,
        rows: list[list[tuple[str, str, str, str]]],
        *,
        id: str | None = None,  # noqa: A002
    ) -> None:
        spots: list[tuple[int, int, int, str, str, str]] = []
        lines: list[Content] = []
        for y, keys in enumerate(rows):
            parts: list[Content | str] = []
            at = 0
            for label, kind, value, name in keys:
                width = max(5, cell_len(label) + 2)
                pad = width - cell_len(label)
                face = " " * (pad // 2) + label + " " * (pad - pad // 2)
                parts.extend([Content.styled(face, "reverse"), " " * self.GAP])
                spots.append((y, at, at + width, kind, value, name))
                at += width + self.GAP
            lines.append(Content.assemble(*parts))
        super().__init__(Content("\n").join(lines), id=id)
        self.spots = spots

    def key_spots(self) -> list[tuple[int, int, int, str, str, str]]:
        return self.spots


class CandidateBar(KeyStrip):
    """The candidates on offer, numbered 1-9, three to a line."""

    DEFAULT_CSS = """
    CandidateBar { height: auto; background: $boost; }
    """
    COLUMNS = 3
    GUTTER = 2

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.texts: tuple[str, ...] = ()

    def show(self, texts: Sequence[str]) -> None:
        texts = tuple(texts)
        if texts != self.texts:
            lines_before = -(-len(self.texts) // self.COLUMNS)
            self.texts = texts
            self.refresh(layout=-(-len(texts) // self.COLUMNS) != lines_before)

    def _column_width(self) -> int:
        width = self.content_region.width or self.size.width
        return max(6, (width - self.GUTTER * (self.COLUMNS - 1)) // self.COLUMNS)

    def key_spots(self) -> list[tuple[int, int, int, str, str, str]]:
        column = self._column_width()
        spots = []
        for index in range(len(self.texts)):
            y, x = divmod(index, self.COLUMNS)
            start = x * (column + self.GUTTER)
            number = str(index + 1)
            spots.append(
                (y, start, start + column, "candidate", number, f"candidate-{number}")
            )
        return spots

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return -(-len(self.texts) // self.COLUMNS)

    def render(self) -> Content:
        column = self._column_width()
        lines: list[Content] = []
        for first in range(0, len(self.texts), self.COLUMNS):
            parts: list[Content | str] = []
            for index in range(first, min(first + self.COLUMNS, len(self.texts))):
                if index > first:
                    parts.append(" " * self.GUTTER)
                number = str(index + 1)
                text = _cropped(self.texts[index], column - len(number) - 1)
                parts.extend([Content.styled(number, "bold reverse"), " ", text])
                parts.append(" " * (column - len(number) - 1 - cell_len(text)))
            lines.append(Content.assemble(*parts))
        return Content("\n").join(lines)


def _cropped(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` cells, with … if cut."""
    if cell_len(text) <= cells:
        return text
    kept = ""
    for character in text:
        if cell_len(kept + character) > cells - 1:
            break
        kept += character
    return kept + "…"


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
    WritingPad.-choosing > #writing-candidates { background: $accent 30%; }
    WritingPad > #writing-rule { height: auto; color: $text-muted; }
    WritingPad > #writing-keyboard { margin-top: 1; }
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
        person_name: bool = False,
        category: str = "",
        id: str | None = None,  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        # `+` switches to writing digits as digits; on a screen with more
        # than one field it keeps its keypad meaning (the next field).
        self.plus_for_digits = plus_for_digits
        self.t = translate
        # A person's name: surnames are offered first, then given names.
        self.composer = Composer(
            limit=limit,
            language=language,
            phrases=tuple(phrases),
            text=value,
            person_name=person_name,
            category=category,  # the request's own words come first
        )
        self.dictionary_missing = False  # it could not be read
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
        yield CandidateBar(id="writing-candidates")
        yield Static(id="writing-rule")
        # A name has no digits or punctuation: its keyboard is a row shorter,
        # so that all of it fits under the contact screen's two fields.
        name = self.composer.person_name
        rows = [
            [
                (key, "letter" if key.isalpha() else "insert", key, f"key-{key}")
                for key in row
            ]
            for row in (KEYBOARD_ROWS[1:] if name else KEYBOARD_ROWS)
        ]
        rows[-1].append((self.t("writing.delete"), "delete", "", "key-delete"))
        marks = () if name else PUNCTUATION["en" if self.composer.english else "zh-CN"]
        rows.append(
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
        yield Keyboard(rows, id="writing-keyboard")

    def on_mount(self) -> None:
        if load_dictionary.cache_info().currsize:  # read already (at the start)
            self.composer.dictionary = load_dictionary()
        else:
            self.load()
        self.show()
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

    class Unavailable(Message):
        """The dictionary could not be read (posted by the loading worker)."""

    @work(thread=True, exit_on_error=False, group="writing-dictionary")
    def load(self) -> None:
        """Read the dictionary off the UI thread (once per process). If it
        cannot be read, phrases and digits still work and the pad says so."""
        try:
            dictionary = load_dictionary()
        except Exception:  # a damaged or missing asset: logged, and shown
            log.exception("the writing dictionary cannot be read")
            self.post_message(self.Unavailable())
            return
        self.post_message(self.Loaded(dictionary))

    @on(Loaded)
    def loaded(self, message: Loaded) -> None:
        message.stop()
        self.composer.dictionary = message.dictionary
        self.show()

    @on(Unavailable)
    def unavailable(self, message: Unavailable) -> None:
        message.stop()
        self.dictionary_missing = True
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

    @on(KeyStrip.Tapped)
    def tapped(self, message: KeyStrip.Tapped) -> None:
        message.stop()
        key = message
        self._from_input()
        composer = self.composer
        if key.kind == "letter":
            composer.type_letter(key.value)
        elif key.kind == "insert":
            composer.insert_tapped(key.value)
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
        """The field may have been typed in directly (a real keyboard): then
        the word chosen last is no longer what the text ends with."""
        value = self.input.value[: self.composer.limit]
        if value != self.composer.text:
            self.composer.text = value
            self.composer.after = ""

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
        self._update("#writing-spelling", self._spelling_line())
        self._update("#writing-rule", Content(self.t(composer.hint_key())))
        shown = [candidate.text for candidate in composer.shown()]
        bar = self.query_one(CandidateBar)
        bar.show(shown)
        bar.display = bool(shown)

    def _update(self, selector: str, content: Content) -> None:
        """A line changed only if it shows something new (an update lays
        the pad out again)."""
        line = self.query_one(selector, Static)
        if line.content != content:
            line.update(content)

    def _spelling_line(self) -> Content:
        composer = self.composer
        if composer.mode is Mode.DIGITS:
            return Content.styled(self.t("writing.digits_mode"), "bold")
        pages = composer.page_count()
        page = f"  {composer.page + 1}/{pages}" if pages > 1 else ""
        if not composer.keys:
            if composer.following():
                return Content.assemble(
                    (self.t("writing.following"), "bold"),
                    "  ",
                    composer.after,
                    " →",
                    (page, "dim"),
                )
            if composer.phrases:
                return Content.styled(self.t("writing.phrases"), "bold")
            return Content("")
        if composer.dictionary is None:
            key = (
                "writing.unavailable" if self.dictionary_missing else "writing.loading"
            )
            return Content(self.t(key))
        spellings = " / ".join(composer.spellings())
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


__all__ = ["PAGE", "CandidateBar", "KeyStrip", "Keyboard", "WritingInput", "WritingPad"]
