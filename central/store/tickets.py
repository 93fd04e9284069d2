"""Reading tickets: for Open311 and the public tracking page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from central.db import CentralDatabase
from central.store.base import run_read
from kiosk.states import TERMINAL

PUBLIC_TICKET_COLUMNS = (
    "uuid, ticket_no, station, category, item, building, description, created_at, "
    "unit, due_at, status, updated_at, lat, lon, token, public_id, public_description"
)


def ticket_by_no(db: CentralDatabase, ticket_no: str) -> dict[str, Any] | None:
    rows = run_read(
        db,
        lambda: db.dict_rows(
            f"SELECT {PUBLIC_TICKET_COLUMNS}, language, (SELECT name FROM station "
            "WHERE station.code = ticket.station) AS station_name "
            "FROM ticket WHERE ticket_no = ?",
            (ticket_no,),
        ),
    )
    return rows[0] if rows else None


def ticket_events(db: CentralDatabase, ticket_no: str) -> list[dict[str, Any]]:
    """A ticket's events in the order the central stored them."""
    return run_read(
        db,
        lambda: db.dict_rows(
            "SELECT kind, at, payload, origin FROM event WHERE ticket_no = ? "
            "ORDER BY tx, id",
            (ticket_no,),
        ),
    )


def ticket_by_public_id(db: CentralDatabase, public_id: str) -> dict[str, Any] | None:
    """A ticket by its Open311 id (never by its number: docs/open311-public.md)."""
    rows = run_read(
        db,
        lambda: db.dict_rows(
            f"SELECT {PUBLIC_TICKET_COLUMNS} FROM ticket WHERE public_id = ?",
            (public_id,),
        ),
    )
    return rows[0] if rows else None


def public_id_for_uuid(db: CentralDatabase, ticket_uuid: str) -> str | None:
    rows = run_read(
        db,
        lambda: db.rows(
            "SELECT public_id FROM ticket WHERE uuid = ?", (ticket_uuid.lower(),)
        ),
    )
    return str(rows[0][0]) if rows else None


@dataclass(frozen=True)
class RequestQuery:
    public_ids: tuple[str, ...] = ()
    # Ticket numbers, looked up among ``station``'s tickets only.
    ticket_nos: tuple[str, ...] = ()
    station: str | None = None
    by_id: bool = False  # the ids above are the whole query
    categories: tuple[str, ...] = ()
    start_utc: str | None = None
    end_utc: str | None = None
    statuses: tuple[str, ...] = ()  # open, closed
    offset: int = 0
    limit: int = 1000


def find_requests(db: CentralDatabase, query: RequestQuery) -> list[dict[str, Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.by_id:
        matches = ["1 = 0"]
        if query.public_ids:
            matches.append(f"public_id IN ({', '.join('?' * len(query.public_ids))})")
            params.extend(query.public_ids)
        if query.ticket_nos and query.station:
            matches.append(
                f"(station = ? AND ticket_no IN "
                f"({', '.join('?' * len(query.ticket_nos))}))"
            )
            params.append(query.station)
            params.extend(query.ticket_nos)
        clauses.append(f"({' OR '.join(matches)})")
    else:
        if query.categories:
            clauses.append(f"category IN ({', '.join('?' * len(query.categories))})")
            params.extend(query.categories)
        if query.start_utc:
            clauses.append("created_utc >= ?")
            params.append(query.start_utc)
        if query.end_utc:
            clauses.append("created_utc <= ?")
            params.append(query.end_utc)
        if set(query.statuses) == {"open"}:
            clauses.append(f"status NOT IN ({', '.join('?' * len(TERMINAL))})")
            params.extend(sorted(TERMINAL))
        elif set(query.statuses) == {"closed"}:
            clauses.append(f"status IN ({', '.join('?' * len(TERMINAL))})")
            params.extend(sorted(TERMINAL))
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    params.extend([query.limit, query.offset])
    return run_read(
        db,
        lambda: db.dict_rows(
            f"SELECT {PUBLIC_TICKET_COLUMNS} FROM ticket{where} "
            "ORDER BY created_utc DESC, id DESC LIMIT ? OFFSET ?",
            params,
        ),
    )
