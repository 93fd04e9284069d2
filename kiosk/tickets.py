"""Issuing tickets: the one write the resident flow makes.

A ticket, its first event, its outbox entry and the day's numbers are written
in one immediate transaction: either all of them exist or none does, and the
numbers stay gap-free per station and day whatever else writes at once.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import PeeweeException

from db import (
    DailyCounter,
    KeyValue,
    Outbox,
    Ticket,
    TicketEvent,
    database,
    write_transaction,
)
from db.connection import describe_database_error
from kiosk.catalog import OTHER_ITEM, Catalog, Category, load_catalog
from kiosk.clock import trusted_moment
from kiosk.config import Settings
from kiosk.disk import room_problem

# TOKEN_BYTES is kept here for the modules that read it from kiosk.tickets.
from kiosk.draft import TOKEN_BYTES as TOKEN_BYTES
from kiosk.draft import TicketDraft
from kiosk.errors import Refused
from kiosk.report_facts import refresh_station
from kiosk.text import DESCRIPTION_LIMIT, NAME_LIMIT, clean_text

MOBILE_PATTERN = re.compile(r"^1[3-9]\d{9}$")


class TicketInputError(Refused):
    """A field a resident filled in is not acceptable."""

    def __init__(self, field_name: str, message_key: str) -> None:
        super().__init__(f"{field_name}: {message_key}")
        self.field_name = field_name
        self.message_key = message_key


class TicketSaveError(Refused):
    """The ticket could not be stored; nothing was issued."""


def normalize_mobile(raw: str) -> str:
    """The mobile number as 11 digits, or TicketInputError."""
    digits = re.sub(r"[\s\-]", "", raw)
    if not MOBILE_PATTERN.match(digits):
        raise TicketInputError("mobile", "error.mobile")
    return digits


def mask_mobile(mobile: str) -> str:
    """138****5678: what staff and tickets show of a mobile number."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


@dataclass(frozen=True)
class IssuedTicket:
    uuid: str
    ticket_no: str
    queue_no: str
    token: str
    category: str
    item: str
    building: str
    description: str
    unit: str
    created_at: datetime
    due_at: datetime
    has_contact: bool
    url: str


def tracking_url(settings: Settings, ticket_no: str, token: str) -> str:
    return f"{settings.central.public_base_url}/t/{ticket_no}?k={token}"


def likely_ticket_no(settings: Settings, now: datetime | None = None) -> str:
    """The number the next ticket will get unless another one comes first.

    A guess for work done ahead (the QR code); never a promise.
    """
    moment = (now or datetime.now(settings.zone)).astimezone(settings.zone)
    station = settings.station.code
    counter = DailyCounter.get_or_none(
        (DailyCounter.station == station)
        & (DailyCounter.day == moment.strftime("%Y-%m-%d"))
        & (DailyCounter.scope == "ticket")
    )
    serial = (int(counter.value) if counter else 0) + 1
    return f"{station}-{moment:%y%m%d}-{serial:03d}"


# One statement: the counter made or moved on, and its new value.
NEXT_NUMBER_SQL = """INSERT INTO daily_counter (station, day, scope, value)
    VALUES (?, ?, ?, 1)
    ON CONFLICT (station, day, scope) DO UPDATE SET value = value + 1
    RETURNING value"""


def next_number(station: str, day: str, scope: str) -> int:
    """The day's next number in ``scope`` (tickets, a category's queue),
    inside the caller's write transaction."""
    cursor = database.execute_sql(NEXT_NUMBER_SQL, (station, day, scope))
    return int(cursor.fetchone()[0])


def _validated(
    draft: TicketDraft, catalog: Catalog
) -> tuple[Category, dict[str, object]]:
    try:
        category = catalog.category(draft.category)
        category.item(draft.item or OTHER_ITEM)
    except KeyError as error:
        raise TicketInputError("category", "error.category") from error
    mobile = normalize_mobile(draft.contact_mobile) if draft.contact_mobile else None
    name = clean_text(draft.contact_name, NAME_LIMIT) or None
    if (mobile or name) and not draft.consent:
        raise TicketInputError("consent", "error.consent")
    return category, {
        "item": draft.item or OTHER_ITEM,
        "building": clean_text(draft.building, 60),
        "description": clean_text(draft.description, DESCRIPTION_LIMIT),
        "contact_name": name,
        "contact_mobile": mobile,
    }


def _issued(settings: Settings, ticket: Ticket) -> IssuedTicket:
    return IssuedTicket(
        uuid=ticket.uuid,
        ticket_no=ticket.ticket_no,
        queue_no=ticket.queue_no,
        token=ticket.token,
        category=ticket.category,
        item=ticket.item,
        building=ticket.building,
        description=ticket.description,
        unit=ticket.unit,
        created_at=datetime.fromisoformat(ticket.created_at),
        due_at=datetime.fromisoformat(ticket.due_at),
        has_contact=bool(ticket.contact_mobile or ticket.contact_name),
        url=tracking_url(settings, ticket.ticket_no, ticket.token),
    )


def issue_ticket(
    settings: Settings,
    draft: TicketDraft,
    *,
    now: datetime | None = None,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] | None = None,
) -> IssuedTicket:
    """Store the draft as a ticket and return it; idempotent per draft.

    Dated by the box's ``clock`` (the system clock by default), never before
    the newest ticket nor the release date (kiosk.clock); a caller that
    gives ``now`` (tests, demo data) dates the ticket exactly so.

    Raises TicketInputError for a bad field and TicketSaveError when the
    database cannot take the write (nothing is issued then).
    """
    catalog = catalog or load_catalog()
    category, fields = _validated(draft, catalog)
    from_box_clock = now is None
    if now is None:
        now = clock() if clock is not None else datetime.now(settings.zone)
    moment = now.astimezone(settings.zone).replace(microsecond=0)
    station = settings.station.code
    no_room = room_problem(settings)
    if no_room:
        raise TicketSaveError(no_room)
    try:
        with write_transaction():
            # the same draft again (a second Submit): the ticket it made
            if database.execute_sql(
                "SELECT 1 FROM ticket WHERE uuid = ?", (draft.draft_id,)
            ).fetchone():
                return _issued(settings, Ticket.get(Ticket.uuid == draft.draft_id))
            clock_suspect, clock_skew = False, None
            if from_box_clock:
                # A clock behind the newest ticket or the release date (a box
                # without an RTC battery, offline): never date a ticket earlier.
                # Behind or skewed against the central: the ticket is marked.
                trusted = trusted_moment(settings, moment)
                moment = trusted.moment
                clock_suspect = trusted.suspect
                clock_skew = trusted.skew if trusted.suspect else None
            day = moment.strftime("%Y-%m-%d")
            serial = next_number(station, day, "ticket")
            queue_serial = next_number(station, day, f"queue:{category.letter}")
            ticket = Ticket.create(
                uuid=draft.draft_id,
                ticket_no=f"{station}-{moment:%y%m%d}-{serial:03d}",
                queue_no=f"{category.letter}{queue_serial:03d}",
                station=station,
                day=day,
                category=category.code,
                status="received",
                unit=category.unit,
                created_at=moment.isoformat(),
                due_at=(
                    moment + timedelta(hours=category.resolution_hours)
                ).isoformat(),
                token=draft.token,
                consent_at=moment.isoformat() if draft.has_contact else None,
                language=draft.language,
                print_state="pending" if settings.printer.enabled else "none",
                clock_suspect=clock_suspect,
                clock_skew=clock_skew,
                **fields,
            )
            event = TicketEvent.create(
                uuid=str(uuid_module.uuid4()),
                ticket=ticket.uuid,
                kind="received",
                actor=f"kiosk:{station}",
                at=moment.isoformat(),
                payload=json.dumps(
                    _snapshot(
                        ticket,
                        publish_description=draft.publish_description
                        and bool(ticket.description),
                    ),
                    ensure_ascii=False,
                ),
            )
            Outbox.create(event=event.uuid, created_at=moment.isoformat())
            refresh_station([ticket.uuid])
    except (PeeweeException, sqlite3.Error, OSError) as error:
        raise TicketSaveError(
            describe_database_error(error, settings.database_path)
        ) from error
    return _issued(settings, ticket)


def _snapshot(ticket: Ticket, publish_description: bool = False) -> dict[str, object]:
    """The ticket as the central platform receives it with its first event;
    ``publish_description``: the resident agreed to publish the description
    (sent only when true)."""
    return {
        "ticket_no": ticket.ticket_no,
        "queue_no": ticket.queue_no,
        "station": ticket.station,
        "category": ticket.category,
        "item": ticket.item,
        "building": ticket.building,
        "description": ticket.description,
        "contact_name": ticket.contact_name,
        "contact_mobile": ticket.contact_mobile,
        "created_at": ticket.created_at,
        "unit": ticket.unit,
        "due_at": ticket.due_at,
        "token": ticket.token,
        "language": ticket.language,
        **({"publish_description": True} if publish_description else {}),
        **_clock_mark(ticket),
    }


def _clock_mark(ticket: Ticket) -> dict[str, object]:
    """``clock`` in the snapshot of a ticket issued under a suspect clock:
    the skew (central minus box, seconds) known then, or null."""
    if not ticket.clock_suspect:
        return {}
    skew = ticket.clock_skew
    return {
        "clock": {
            "suspect": True,
            "skew_seconds": None if skew is None else round(float(skew), 3),
        }
    }


def pending_event_count() -> int:
    return int(Outbox.select().where(Outbox.sent_at.is_null()).count())


def ticket_count() -> int:
    return int(Ticket.select().count())


def last_sync_ok() -> str | None:
    row = KeyValue.get_or_none(KeyValue.key == "last_sync_ok")
    return row.value if row else None
