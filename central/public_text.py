"""A resident's description as Open311 may show it to anyone, once the
resident said yes at the kiosk (docs/open311-public.md): without the numbers
that reach a person (mobile and landline numbers, id card numbers: any run of
seven digits or more, spaces and dashes between them included) and without
the contact's name where the description repeats it."""

from __future__ import annotations

import re

# Seven digits or more, possibly grouped (138 1234 5678, 010-6765-4321), and
# an id card number's final X.
LONG_NUMBER = re.compile(r"\d(?:[ \-\u00a0]?\d){6,}[Xx]?")
HIDDEN = "***"
# A name this short is as likely a word of the description as the name.
SHORTEST_NAME = 2


def public_text(description: str, contact_name: str | None = None) -> str:
    text = LONG_NUMBER.sub(HIDDEN, description)
    name = (contact_name or "").strip()
    if len(name) >= SHORTEST_NAME:
        text = text.replace(name, HIDDEN)
    return text
