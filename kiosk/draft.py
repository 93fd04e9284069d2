"""What a resident has entered so far (TicketDraft), without what issuing
needs: the resident app holds a draft from its first screen, while the
database, the clock and the report facts of kiosk.tickets load only once
the welcome screen is up."""

from __future__ import annotations

import secrets
import uuid as uuid_module
from dataclasses import dataclass, field

TOKEN_BYTES = 16  # 128 bits


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
    token: str = field(
        default_factory=lambda: secrets.token_urlsafe(TOKEN_BYTES), repr=False
    )

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_name or self.contact_mobile)
