"""What the station's tools may print of personal data: never a full mobile
number, never a tracking token, at any depth of a document.

The full number is shown only through the audited reveal in the staff
terminal; a token only ever leaves the station inside the printed QR code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kiosk.text import MOBILE_IN_WRITING
from kiosk.tickets import mask_mobile

# A mainland mobile number anywhere in a text (a resident may type one into
# a description), and the token of a tracking link.
MOBILE_IN_TEXT = MOBILE_IN_WRITING
TOKEN_IN_LINK = re.compile(r"([?&]k=)[A-Za-z0-9_-]+")
SECRET_KEYS = frozenset({"token", "tracking_token", "pin", "pin_hash"})
MOBILE_KEYS = frozenset({"contact_mobile", "mobile"})
HIDDEN = "（已隐去）"


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret:
            shown = mask_mobile(secret) if secret.isdigit() else HIDDEN
            text = text.replace(secret, shown)
    text = TOKEN_IN_LINK.sub(rf"\g<1>{HIDDEN}", text)
    return MOBILE_IN_TEXT.sub(lambda found: mask_mobile(found.group()), text)


def redact(value: object, secrets: Iterable[str] = ()) -> object:
    """``value`` (a JSON-like document) without tokens or full mobile numbers:
    secret keys dropped, mobile fields masked, ``secrets`` (a ticket's token)
    and any mobile number inside a text hidden, at every depth."""
    secret_list = [secret for secret in secrets if secret]
    if isinstance(value, dict):
        cleaned: dict[object, object] = {}
        for key, item in value.items():
            if str(key).lower() in SECRET_KEYS:
                continue
            if str(key).lower() in MOBILE_KEYS and isinstance(item, str):
                cleaned[key] = mask_mobile(item) if item else ""
                continue
            cleaned[key] = redact(item, secret_list)
        return cleaned
    if isinstance(value, list | tuple):
        return [redact(item, secret_list) for item in value]
    if isinstance(value, str):
        return redact_text(value, secret_list)
    return value
