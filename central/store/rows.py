"""The ticket and event rows: columns, values and the inserts every writer
shares."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from central.db import CentralDatabase
from central.public_text import public_text
from central.schemas import TicketSnapshot
from central.store.base import utc_text
from kiosk.report_facts import CENTRAL_STORE, Query, refresh

T = TypeVar("T")

# A ticket's public id (Open311's service_request_id): 80 random bits as 20
# hex digits, so that ids cannot be counted through like ticket numbers
# (docs/open311-public.md), and never collide in practice.
PUBLIC_ID_BYTES = 10
PUBLIC_ID_PATTERN = r"^[0-9a-f]{20}$"

CENTRAL_ORIGIN = "central"
STATION_ORIGIN = "station"


@dataclass
class TicketState:
    uuid: str
    ticket_no: str
    station: str
    status: str
    updated_at: str
    changed: bool = False


def as_is(value: str) -> str:
    return value


def ticket_values(
    ticket_uuid: str,
    snapshot: TicketSnapshot,
    source: str,
    at: str,
    status: str = "received",
    same: Callable[[str], str] = as_is,
    lat: float | None = None,
    lon: float | None = None,
) -> tuple[Any, ...]:
    """A ticket row but its public id (``with_public_id`` adds one as it is
    written); ``at`` and ``status`` are its updated_at and status.

    ``same`` gives the one string object kept for a value that recurs from
    ticket to ticket (see ``central.store.push._Shared``).
    """
    return (
        ticket_uuid,
        same(snapshot.ticket_no),
        same(snapshot.station),
        snapshot.queue_no,
        same(snapshot.category),
        same(snapshot.item),
        same(snapshot.building),
        snapshot.description,
        snapshot.contact_name,
        snapshot.contact_mobile,
        snapshot.created_at,
        utc_text(snapshot.created_at),
        same(snapshot.unit),
        snapshot.due_at,
        snapshot.token,
        same(snapshot.language),
        status,
        at,
        source,
        lat,
        lon,
        public_text(snapshot.description, snapshot.contact_name)
        if snapshot.publish_description
        else "",
    )


def with_public_id(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """A ticket row from ``ticket_values`` with a new random public id: drawn
    as it is written, so that preparing a push stays a pure function of its
    body (central/intake.py)."""
    return (*row, secrets.token_hex(PUBLIC_ID_BYTES))


TICKET_COLUMNS = (
    "uuid, ticket_no, station, queue_no, category, item, building, description, "
    "contact_name, contact_mobile, created_at, created_utc, unit, due_at, token, "
    "language, status, updated_at, source, lat, lon, public_description, public_id"
)
EVENT_COLUMNS = (
    "uuid, ticket_uuid, ticket_no, station, kind, actor, at, payload, origin, "
    "received_at"
)
TICKET_WIDTH = len(TICKET_COLUMNS.split(","))
EVENT_WIDTH = len(EVENT_COLUMNS.split(","))


def placeholders(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")"


# Bound parameters per statement: far below SQLite's 32766 and PostgreSQL's
# 65535, and few statements (round trips) for the largest batch.
PARAMETERS_PER_STATEMENT = 10_000


def chunks(rows: list[T], width: int) -> Iterator[list[T]]:
    """``rows`` in slices that bind at most PARAMETERS_PER_STATEMENT values."""
    size = max(1, PARAMETERS_PER_STATEMENT // width)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def values_list(rows: list[tuple[Any, ...]], width: int) -> str:
    return ", ".join([placeholders(width)] * len(rows))


def flat(rows: list[tuple[Any, ...]]) -> list[Any]:
    return [value for row in rows for value in row]


def insert_new(
    db: CentralDatabase,
    table: str,
    columns: str,
    width: int,
    conflict: str,
    rows: list[tuple[Any, ...]],
) -> set[str]:
    """Insert-or-ignore ``rows``; returns the uuids this call wrote."""
    written: set[str] = set()
    for chunk in chunks(rows, width):
        result = db.rows(
            f"INSERT INTO {table} ({columns}) VALUES {values_list(chunk, width)} "
            f"ON CONFLICT {conflict}DO NOTHING RETURNING uuid",
            flat(chunk),
        )
        written.update(str(row[0]) for row in result)
    return written


def insert_events(db: CentralDatabase, rows: list[tuple[Any, ...]]) -> set[str]:
    """Events, once each by uuid; returns the uuids this call stored. The
    tickets they concern have their report facts folded again in the same
    transaction (kiosk/report_facts.py)."""
    stored = insert_new(db, "event", EVENT_COLUMNS, EVENT_WIDTH, "(uuid) ", rows)
    if stored:
        refresh(
            fact_query(db),
            CENTRAL_STORE,
            {str(row[1]) for row in rows if str(row[0]) in stored},
        )
    return stored


def fact_query(db: CentralDatabase) -> Query:
    """``kiosk.report_facts.Query`` on the central's database."""

    def query(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = db.execute(statement, params)
        return list(cursor.fetchall()) if cursor.description else []

    return query
