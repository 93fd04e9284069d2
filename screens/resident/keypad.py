"""The keypad contract: what each key of the station's numeric keypad means
on every resident screen, text fields included. Defined here once; each
screen's bar shows the keys that act on it, and no other key acts.

    0-9        choose a numbered tile, or type a digit in a field
    Enter      go on (the screen's own word for it: next, done, submit...)
    -  (Esc)   back one step
    *          中文 / English
    /          large text
    .  (Del, Backspace)   delete the last character in a field
    +          the next field, or the next page of tiles

Outside the keypad, F12 (the box's one-key speaker button) turns reading
the screen aloud on and off (kiosk/read_aloud.py).

With NumLock off the keypad sends Ins, End, Down, PgDn, Left, Right, Home,
Up, PgUp and Del for 0-9 and `.`: they mean the same as with NumLock on.
"""

from __future__ import annotations

from textual import events

# Key names Textual gives the keypad's keys with NumLock off -> with it on.
NUMLOCK_OFF = {
    "insert": ("0", "0"),
    "end": ("1", "1"),
    "down": ("2", "2"),
    "pagedown": ("3", "3"),
    "left": ("4", "4"),
    "right": ("6", "6"),
    "home": ("7", "7"),
    "up": ("8", "8"),
    "pageup": ("9", "9"),
    "delete": ("full_stop", "."),
}
DELETE_KEYS = ("full_stop", "backspace")
BACK_KEYS = "escape,minus"
DIGITS = tuple("0123456789")


def keypad_key(event: events.Key) -> events.Key:
    """The key as the keypad means it: NumLock-off keys become their digit."""
    mapped = NUMLOCK_OFF.get(event.key)
    if mapped is None:
        return event
    key, character = mapped
    same = events.Key(key, character)
    same.time = event.time  # when it was pressed, not when it was mapped
    return same
