"""Following a ticket at the kiosk: check codes, scanned links, the timeline.

The check code printed under the QR is derived from the ticket's secret
token, so a ticket number alone reveals nothing and numbers cannot be walked
through. Whatever is wrong (unknown number, wrong code, wrong token) gets one
and the same answer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from db import Ticket
from kiosk.catalog import load_catalog
from kiosk.config import Settings
from kiosk.i18n import LANGUAGES, translate
from kiosk.states import RATINGS

if TYPE_CHECKING:
    from kiosk.search import TimelineEntry as StaffTimelineEntry

CHECK_CODE_DIGITS = 6
TICKET_NO = re.compile(r"^[A-Z][A-Z0-9]{1,7}-\d{6}-\d{3,}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def check_code(token: str) -> str:
    """Six digits derived from the token (keyable on a numeric keypad)."""
    digest = hashlib.sha256(b"kiosk-check-code:" + token.encode()).digest()
    number = int.from_bytes(digest[:8], "big") % 10**CHECK_CODE_DIGITS
    return f"{number:0{CHECK_CODE_DIGITS}d}"


def parse_scanned_link(settings: Settings, text: str) -> tuple[str, str] | None:
    """(ticket_no, token) from a scanned tracking link, or None for anything else.

    Only the exact form the kiosk prints is accepted:
    ``<public_base_url>/t/<ticket_no>?k=<token>``.
    """
    text = text.strip()
    base = settings.central.public_base_url.rstrip("/")
    if not text.startswith(base + "/t/"):
        return None
    parts = urlsplit(text)
    ticket_no = parts.path.rsplit("/t/", 1)[-1]
    query = parse_qs(parts.query, strict_parsing=False)
    tokens = query.get("k", [])
    if parts.fragment or set(query) != {"k"} or len(tokens) != 1:
        return None
    if not TICKET_NO.match(ticket_no) or not TOKEN.match(tokens[0]):
        return None
    return ticket_no, tokens[0]


def ticket_no_from_digits(settings: Settings, digits: str) -> str | None:
    """PHY3-261125-007 from the digits a resident keys in: 261125007 (or 2611257)."""
    digits = re.sub(r"\D", "", digits)
    if len(digits) < 7 or len(digits) > 10:
        return None
    return f"{settings.station.code}-{digits[:6]}-{int(digits[6:]):03d}"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str


@dataclass(frozen=True)
class TrackedTicket:
    ticket_no: str
    queue_no: str
    status: str
    status_label: str
    category_label: str
    item_label: str
    timeline: tuple[TimelineEntry, ...]
    next_step: str


def _find(ticket_no: str) -> Ticket | None:
    return Ticket.get_or_none(Ticket.ticket_no == ticket_no)


Tracked = dict[str, TrackedTicket]  # the same ticket in every language


def track_by_token(ticket_no: str, token: str) -> Tracked | None:
    ticket = _find(ticket_no)
    if ticket is None or not hmac.compare_digest(ticket.token, token):
        return None
    return _in_every_language(ticket)


def track_by_code(ticket_no: str, code: str) -> Tracked | None:
    ticket = _find(ticket_no)
    if ticket is None or not hmac.compare_digest(check_code(ticket.token), code):
        return None
    return _in_every_language(ticket)


def _in_every_language(ticket: Ticket) -> Tracked:
    from kiosk.search import ticket_timeline  # the staff queries: load on use

    events = ticket_timeline(ticket.uuid)
    return {language: _tracked(ticket, events, language) for language in LANGUAGES}


def _event_text(kind: str, payload: dict[str, object], language: str) -> str | None:
    """What an event means for the resident; None for internal ones (notes)."""
    catalog = load_catalog()
    if kind == "dispatched":
        unit = catalog.units.get(str(payload.get("unit", "")))
        name = unit.label(language) if unit else ""
        return translate(language, "track.event.dispatched", unit=name)
    if kind == "callback":
        if payload.get("unreachable") is True:
            return translate(language, "track.event.callback_unreachable")
        rating = str(payload.get("rating", ""))
        if rating not in RATINGS:
            return None
        return translate(language, f"track.event.callback_{rating}")
    if kind in ("received", "acknowledged", "resolved", "escalated", "withdrawn"):
        return translate(language, f"track.event.{kind}")
    return None


def _next_key(status: str, events: tuple[StaffTimelineEntry, ...]) -> str:
    """The next step's key: a call-back that reached nobody is no thanks."""
    callbacks = [event for event in events if event.kind == "callback"]
    if status == "closed" and callbacks and callbacks[-1].payload.get("unreachable"):
        return "closed_unreachable"
    return status


def _tracked(
    ticket: Ticket, events: tuple[StaffTimelineEntry, ...], language: str
) -> TrackedTicket:
    catalog = load_catalog()
    category = catalog.category(ticket.category)
    timeline = []
    for event in events:
        text = _event_text(event.kind, event.payload, language)
        if text:
            timeline.append(TimelineEntry(datetime.fromisoformat(event.at), text))
    return TrackedTicket(
        ticket_no=ticket.ticket_no,
        queue_no=ticket.queue_no,
        status=ticket.status,
        # the resident's words for the state, not the staff's (吹哨派单)
        status_label=translate(language, f"track.state.{ticket.status}"),
        category_label=category.label(language),
        item_label=category.item(ticket.item).label(language),
        timeline=tuple(timeline),
        next_step=translate(language, f"track.next.{_next_key(ticket.status, events)}"),
    )
