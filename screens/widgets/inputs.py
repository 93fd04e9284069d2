"""Input fields for the numeric keypad."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class DigitsInput(Input):
    """Digits only; the keypad's minus, star and slash keys stay with the screen."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and character.isdigit()

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and not (event.character or "").isdigit():
            # Not ours: let the key bubble up to the screen's bindings.
            event.prevent_default()
