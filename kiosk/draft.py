"""What a resident has entered so far (TicketDraft), without what issuing
needs: the resident app holds a draft from its first screen, while the
database, the clock and the report facts of kiosk.tickets load only once
the welcome screen is up."""

from __future__ import annotations

import base64
import os
import uuid as uuid_module
from dataclasses import dataclass, field

TOKEN_BYTES = 16  # 128 bits


def new_token() -> str:
    """A tracking token: TOKEN_BYTES from the system's CSPRNG, URL-safe.

    What ``secrets.token_urlsafe(TOKEN_BYTES)`` returns, made the way it
    makes it; the secrets module would load hashlib and OpenSSL's digests
    into the resident kiosk before its first paint (about 1.5 ms), for
    nothing it uses.
    """
    return base64.urlsafe_b64encode(os.urandom(TOKEN_BYTES)).rstrip(b"=").decode()


@dataclass
class TicketDraft:
    """What a resident has entered so far; one draft is one ticket at most."""

    language: str = "zh-CN"
    draft_id: str = field(default_factory=lambda: str(uuid_module.uuid4()))
    category: str = ""
    item: str = ""
    building: str = ""
    description: str = ""
    contact_name: str = ""
    contact_mobile: str = ""
    consent: bool = False
    # The resident agreed that the description may be published (Open311
    # shows it to anyone, cleaned of phone numbers); no unless asked and said.
    publish_description: bool = False
    # The ticket's tracking token, drawn with the draft so that the QR code
    # can be made while the resident reads the review (ReviewScreen).
    token: str = field(default_factory=new_token, repr=False)

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name or self.contact_mobile)
