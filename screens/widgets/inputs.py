"""Input fields that keep the keypad contract (screens/resident/keypad.py):
in a field, the keypad's `-`, `*`, `/` and `+` keep their meaning for the
screen, and `.` deletes the last character (the keypad has no Backspace)."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

from kiosk.text import clean_text

PASTE_LIMIT = 100_000  # characters looked at in one paste

# Keys a field leaves to its screen: back, language, large text, next field.
SCREEN_KEYS = frozenset({"minus", "asterisk", "slash", "plus"})
DELETE_KEY = "full_stop"


class KeypadTextInput(Input):
    """Text from a keyboard, if the kiosk has one; the keypad's keys as on
    every screen."""

    takes_text = True  # letters here may be a person's (scanner detection)

    class Pasted(Message):
        """A paste was cleaned (lines joined, escape sequences and control
        characters removed) or cut to the room left in the field."""

        def __init__(self, field: KeypadTextInput, kept: int, cut: bool) -> None:
            super().__init__()
            self.field = field
            self.kept = kept
            self.cut = cut

        @property
        def control(self) -> KeypadTextInput:
            return self.field

    def clean_paste(self, text: str) -> str:
        """What of a paste may go in: one line of clean text."""
        return clean_text(text[:PASTE_LIMIT], PASTE_LIMIT)

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # not Input's: it keeps the first line only
        event.stop()
        cleaned = self.clean_paste(event.text)
        selection = self.selection
        start, end = sorted((selection.start, selection.end))
        room = len(cleaned)
        if self.max_length:
            room = max(0, self.max_length - len(self.value) + (end - start))
        kept = cleaned[:room]
        if kept:
            if selection.is_empty:
                self.insert_text_at_cursor(kept)
            else:
                self.replace(kept, start, end)
        if kept != event.text:
            self.post_message(self.Pasted(self, len(kept), len(kept) < len(cleaned)))

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if key in SCREEN_KEYS:
            return False
        if key == DELETE_KEY:
            return True
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if event.key in SCREEN_KEYS:
            event.prevent_default()  # not ours: up to the screen's bindings
        elif event.key == DELETE_KEY:
            event.prevent_default()
            event.stop()
            self.action_delete_left()


class DigitsInput(KeypadTextInput):
    """Digits only; `.` deletes, the other keys stay with the screen."""

    takes_text = False  # the keypad types here: letters are a scanner's

    def clean_paste(self, text: str) -> str:
        return "".join(char for char in text[:PASTE_LIMIT] if char.isdigit())

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if key == DELETE_KEY:
            return True
        return character is not None and character.isdigit()

    async def _on_key(self, event: events.Key) -> None:
        if event.key == DELETE_KEY:
            event.prevent_default()
            event.stop()
            self.action_delete_left()
        elif event.is_printable and not (event.character or "").isdigit():
            # Not ours: let the key bubble up to the screen's bindings.
            event.prevent_default()
