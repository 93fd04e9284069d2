"""Input fields that keep the keypad contract (screens/resident/keypad.py):
in a field, the keypad's `-`, `*`, `/` and `+` keep their meaning for the
screen, and `.` deletes the last character (the keypad has no Backspace)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

# Keys a field leaves to its screen: back, language, large text, next field.
SCREEN_KEYS = frozenset({"minus", "asterisk", "slash", "plus"})
DELETE_KEY = "full_stop"


class KeypadTextInput(Input):
    """Text from a keyboard, if the kiosk has one; the keypad's keys as on
    every screen."""

    takes_text = True  # letters here may be a person's (scanner detection)

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
