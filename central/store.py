"""What the central does with its data: stations, pushes, pulls, central events.

Every write is one transaction. The current status of a ticket is
``kiosk.states`` folded over its events in the order the central stored them;
an event the rules refuse is kept in the log but leaves the status alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid as uuid_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from peewee import IntegrityError, OperationalError, PeeweeException
from pydantic import ValidationError

from central.db import CentralDatabase
from central.schemas import (
    STATION_PATTERN,
    EventIn,
    FieldError,
    Payload,
    PushBatch,
    TicketSnapshot,
    field_errors,
)
from kiosk.catalog import OTHER_ITEM, Catalog, load_catalog
from kiosk.states import TERMINAL, TransitionError, next_status

KEY_BYTES = 32  # 256-bit station keys
TOKEN_BYTES = 16  # 128-bit tracking tokens, as on the station
CURSOR_PREFIX = "c1"
CENTRAL_ORIGIN = "central"
STATION_ORIGIN = "station"
DEADLOCK_RETRIES = 5
ZONE = ZoneInfo("Asia/Shanghai")

T = TypeVar("T")


class Rejected(Exception):
    """A request the central refuses; ``status`` is the HTTP status."""

    def __init__(
        self, status: int, detail: str, errors: list[FieldError] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt whole when it comes back from an intake process.
        return (type(self), (self.status, self.detail, self.errors))


class StoreUnavailable(Exception):
    """The database did not answer; the message is for people."""


def now_local() -> datetime:
    return datetime.now(ZONE).replace(microsecond=0)


def utc_text(moment_text: str) -> str:
    """An ISO time as UTC text, so times from any offset sort and compare."""
    moment = datetime.fromisoformat(moment_text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


# ---------------------------------------------------------------- stations


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_station(db: CentralDatabase, code: str, name: str) -> str:
    """Register a station; returns its new API key (only its hash is kept)."""
    import re

    if not re.match(STATION_PATTERN, code):
        raise Rejected(400, f"{code!r}: use 2-8 capital letters or digits, e.g. PHY3")
    name = name.strip()
    if not name or len(name) > 100:
        raise Rejected(400, "the station name must have 1-100 characters")
    key = secrets.token_urlsafe(KEY_BYTES)
    try:
        with db.write():
            db.execute(
                "INSERT INTO station (code, name, key_hash, created_at) "
                "VALUES (?, ?, ?, ?)",
                (code, name, hash_key(key), now_local().isoformat()),
            )
    except IntegrityError as error:
        raise Rejected(409, f"station {code} already exists") from error
    return key


def list_stations(db: CentralDatabase) -> list[dict[str, Any]]:
    return db.dict_rows(
        "SELECT code, name, created_at, disabled FROM station ORDER BY code"
    )


def station_for_key(db: CentralDatabase, key: str) -> str | None:
    """The code of the station this key belongs to, or None."""
    if not key or len(key) > 200:
        return None
    digest = hash_key(key)
    rows = db.rows(
        "SELECT code, key_hash FROM station WHERE key_hash = ? AND disabled = 0",
        (digest,),
    )
    if rows and hmac.compare_digest(rows[0][1], digest):
        return str(rows[0][0])
    return None


def stats(db: CentralDatabase) -> dict[str, int]:
    counts = {}
    for table, name in (("station", "stations"), ("ticket", "tickets")):
        counts[name] = int(db.rows(f"SELECT COUNT(*) FROM {table}")[0][0])
    counts["events"] = int(db.rows("SELECT COUNT(*) FROM event")[0][0])
    return counts


# ---------------------------------------------------------------- retries


def _pgcode(error: BaseException) -> str | None:
    seen: BaseException | None = error
    for _ in range(4):
        if seen is None:
            return None
        code = getattr(seen, "pgcode", None)
        if code:
            return str(code)
        for arg in getattr(seen, "args", ()):
            code = getattr(arg, "pgcode", None)
            if code:
                return str(code)
        seen = seen.__cause__ or seen.__context__
    return None


def run_write(db: CentralDatabase, work: Callable[[], T], rows: int = 1) -> T:
    """Run ``work`` in one write transaction; retry deadlocks, never half-write.

    ``rows``: about how many rows it writes (the SQLite writer lets small
    writes go ahead of a large one).
    """
    if db.group_writer is not None:
        with guarded(db):
            return db.group_writer.run(work, rows)  # type: ignore[no-any-return]
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with guarded(db), db.write():
                return work()
        except StoreUnavailable as error:
            if attempt + 1 < DEADLOCK_RETRIES and _pgcode(error) in ("40P01", "40001"):
                time.sleep(0.005 * (attempt + 1))
                continue
            raise
    raise StoreUnavailable("the database stayed busy; try again")


@contextmanager
def guarded(db: CentralDatabase) -> Iterator[None]:
    """Turn database failures into StoreUnavailable (a 503), never a 500."""
    try:
        yield
    except (Rejected, TransitionError, LookupError):
        raise
    except IntegrityError as error:
        raise Rejected(409, "the request conflicts with data already stored") from error
    except (OperationalError, PeeweeException, OSError) as error:
        code = _pgcode(error)
        if code not in ("40P01", "40001"):
            db.recover()
        raise StoreUnavailable("the central database is not answering") from error


def run_read(db: CentralDatabase, work: Callable[[], T]) -> T:
    with guarded(db), db.read():
        return work()


# ---------------------------------------------------------------- push


@dataclass
class _TicketState:
    uuid: str
    ticket_no: str
    station: str
    status: str
    updated_at: str
    changed: bool = False


@dataclass
class _Checked:
    events: list[EventIn]
    snapshots: dict[int, TicketSnapshot] = field(default_factory=dict)


def _check_batch(station: str, batch: PushBatch) -> _Checked:
    """The checks that need no database: ownership claims and snapshots."""
    checked = _Checked(events=batch.events)
    errors: list[FieldError] = []
    for index, event in enumerate(batch.events):
        if event.station != station:
            raise Rejected(
                403,
                f"events[{index}]: this key belongs to station {station}, "
                f"not {event.station}",
            )
        if not event.ticket_no.startswith(f"{station}-"):
            errors.append(
                FieldError(
                    field=f"events[{index}].ticket_no",
                    message=f"must start with the station code: {station}-",
                )
            )
            continue
        if event.kind != "received":
            continue
        try:
            snapshot = TicketSnapshot.model_validate(event.payload)
        except ValidationError as error:
            errors.extend(field_errors(error, ("events", index, "payload")))
            continue
        if snapshot.station != station:
            raise Rejected(
                403,
                f"events[{index}].payload.station: this key belongs to station "
                f"{station}, not {snapshot.station}",
            )
        if snapshot.ticket_no != event.ticket_no:
            errors.append(
                FieldError(
                    field=f"events[{index}].payload.ticket_no",
                    message="must be the event's ticket_no",
                )
            )
            continue
        checked.snapshots[index] = snapshot
    if errors:
        raise Rejected(422, "some events are not valid", errors)
    return checked


def _as_is(value: str) -> str:
    return value


def _ticket_values(
    ticket_uuid: str,
    snapshot: TicketSnapshot,
    source: str,
    at: str,
    status: str = "received",
    same: Callable[[str], str] = _as_is,
) -> tuple[Any, ...]:
    """A ticket row; ``at`` and ``status`` are its updated_at and status.

    ``same`` gives the one string object kept for a value that recurs from
    ticket to ticket (see ``_Shared``).
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
        None,
        None,
    )


class _Shared(dict[str, str]):
    """One string object for each value that recurs in a push's rows (a
    ticket's keys, kinds, actors, categories): the rows hold it many times,
    and pickle, bringing a prepared push from an intake process, sends and
    rebuilds it once."""

    def __call__(self, value: str) -> str:
        return self.setdefault(value, value)


TICKET_COLUMNS = (
    "uuid, ticket_no, station, queue_no, category, item, building, description, "
    "contact_name, contact_mobile, created_at, created_utc, unit, due_at, token, "
    "language, status, updated_at, source, lat, lon"
)
EVENT_COLUMNS = (
    "uuid, ticket_uuid, ticket_no, station, kind, actor, at, payload, origin, "
    "received_at"
)
TICKET_WIDTH = len(TICKET_COLUMNS.split(","))
EVENT_WIDTH = len(EVENT_COLUMNS.split(","))


def _placeholders(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")"


class _Fresh(NamedTuple):
    """An event of the batch not seen earlier in it, as the writer needs it.

    Plain values only: a large push is prepared in an intake process and
    crosses to the writer pickled. ``payload`` is the stored JSON text, the
    very string in the event's row (pickle writes it once); the writer parses
    it only for an event on a ticket that already existed.
    """

    position: int  # in the batch
    uuid: str  # lower-cased, as are the ticket's
    ticket_uuid: str
    ticket_no: str
    kind: str
    payload: str
    at: str
    creates: bool  # the ticket's ``received``, with its snapshot


class _NewTicket(NamedTuple):
    """A ticket whose ``received`` is in the batch."""

    position: int  # of that ``received``
    ticket_no: str
    station: str
    received_at: str  # that event's ``at``

    def initial(self, ticket_uuid: str) -> _TicketState:
        return _TicketState(
            ticket_uuid, self.ticket_no, self.station, "received", self.received_at
        )


@dataclass
class PreparedPush:
    """A push checked and turned into rows: everything that needs no database.

    Made by ``prepare_push`` (for a large push in an intake process, see
    ``central.intake``) and stored by ``write_push``, which only reads it: a
    PostgreSQL deadlock retry runs the write again.
    """

    fresh: list[_Fresh]
    in_batch_duplicates: list[str]
    new: dict[str, _NewTicket]
    ticket_rows: list[tuple[Any, ...]]  # a new ticket's row holds the status
    event_rows: list[tuple[Any, ...]]  # its events in the batch give it
    ticket_uuids: list[str]


def prepare_push(station: str, batch: PushBatch, received_at: str) -> PreparedPush:
    """Check a station's batch and build its rows; Rejected if it cannot be."""
    checked = _check_batch(station, batch)
    same = _Shared()
    fresh, in_batch_duplicates = _first_occurrences(checked, same)
    new, folded = _new_tickets(checked, fresh)
    return PreparedPush(
        fresh=fresh,
        in_batch_duplicates=in_batch_duplicates,
        new=new,
        ticket_rows=[
            _ticket_values(
                key,
                checked.snapshots[new[key].position],
                "station",
                folded[key].updated_at,
                folded[key].status,
                same,
            )
            for key in sorted(new)
        ],
        event_rows=[
            _event_values(
                item, same(checked.events[item.position].actor), station, received_at
            )
            for item in fresh
        ],
        ticket_uuids=sorted({item.ticket_uuid for item in fresh}),
    )


def write_push(
    db: CentralDatabase, station: str, prepared: PreparedPush
) -> dict[str, Any]:
    """Store a prepared push in one transaction; see docs/sync-protocol.md."""
    fresh, new = prepared.fresh, prepared.new

    def work() -> dict[str, Any]:
        # Lock order: always by ticket uuid, so two batches cannot deadlock
        # on each other's tickets. A ticket another request wrote first is
        # not written again here; it is locked and updated below.
        written = _insert_tickets(db, prepared.ticket_rows)
        tickets = {key: new[key].initial(key) for key in written}
        tickets.update(
            _lock_tickets(
                db, [key for key in prepared.ticket_uuids if key not in written]
            )
        )
        _check_tickets(station, fresh, tickets)
        stored = _insert_events(db, prepared.event_rows)
        _save_statuses(db, _fold_stored(fresh, stored, tickets, new, written))
        return {
            "stored": [item.uuid for item in fresh if item.uuid in stored],
            "duplicates": [item.uuid for item in fresh if item.uuid not in stored]
            + prepared.in_batch_duplicates,
        }

    return run_write(db, work, len(prepared.event_rows) + len(prepared.ticket_rows))


def _first_occurrences(
    checked: _Checked, same: _Shared
) -> tuple[list[_Fresh], list[str]]:
    """The batch's events the first time each uuid appears, and the repeats."""
    seen: set[str] = set()
    fresh: list[_Fresh] = []
    repeats: list[str] = []
    for index, event in enumerate(checked.events):
        key = event.uuid.lower()
        if key in seen:
            repeats.append(key)
        else:
            seen.add(key)
            ticket_uuid = event.ticket_uuid.lower()
            fresh.append(
                _Fresh(
                    index,
                    key,
                    same(ticket_uuid),
                    same(event.ticket_no),
                    same(event.kind),
                    _payload_text(event.payload),
                    event.at,
                    index in checked.snapshots,
                )
            )
    return fresh, repeats


def _new_tickets(
    checked: _Checked, fresh: list[_Fresh]
) -> tuple[dict[str, _NewTicket], dict[str, _TicketState]]:
    """The tickets the batch creates, and each one's state folded over its
    events in the batch."""
    new: dict[str, _NewTicket] = {}
    folded: dict[str, _TicketState] = {}
    for item in fresh:
        if item.creates and item.ticket_uuid not in new:
            snapshot = checked.snapshots[item.position]
            ticket = _NewTicket(
                item.position, snapshot.ticket_no, snapshot.station, item.at
            )
            new[item.ticket_uuid] = ticket
            folded[item.ticket_uuid] = ticket.initial(item.ticket_uuid)
    for item in fresh:
        state = folded.get(item.ticket_uuid)
        if state is not None:
            payload = checked.events[item.position].payload
            _apply(state, item.kind, payload, item.at)
    return new, folded


def _invalid(field: str, message: str, detail: str = "") -> Rejected:
    """A 422 naming one field; ``detail`` defaults to ``field: message``."""
    return Rejected(
        422,
        detail or f"{field}: {message}",
        [FieldError(field=field, message=message)],
    )


def _check_tickets(
    station: str,
    fresh: list[_Fresh],
    tickets: dict[str, _TicketState],
) -> None:
    """Every event's ticket exists, is the caller's and has the event's number."""
    for item in fresh:
        index = item.position
        ticket = tickets.get(item.ticket_uuid)
        if ticket is None:
            if item.creates:
                field = f"events[{index}].ticket_no"
                raise _invalid(
                    field,
                    "already used by another ticket",
                    f"{field}: {item.ticket_no} is already used by another ticket",
                )
            raise _invalid(
                f"events[{index}].ticket_uuid",
                "unknown ticket; push its 'received' event first",
            )
        if ticket.station != station:
            raise Rejected(
                403,
                f"events[{index}]: ticket {ticket.ticket_no} belongs to "
                f"another station",
            )
        if ticket.ticket_no != item.ticket_no:
            raise _invalid(
                f"events[{index}].ticket_no",
                f"the ticket's number is {ticket.ticket_no}",
            )


def _event_values(
    item: _Fresh, actor: str, station: str, received_at: str
) -> tuple[Any, ...]:
    return (
        item.uuid,
        item.ticket_uuid,
        item.ticket_no,
        station,
        item.kind,
        actor,
        item.at,
        item.payload,
        STATION_ORIGIN,
        received_at,
    )


def _fold_stored(
    fresh: list[_Fresh],
    stored: set[str],
    tickets: dict[str, _TicketState],
    new: dict[str, _NewTicket],
    written: set[str],
) -> dict[str, _TicketState]:
    """The tickets whose status row must change: the stored events folded over
    the tickets that existed, in the batch's order.

    A ticket written by this batch already holds the fold of its events;
    only if one of them was not stored after all (its uuid was taken, e.g. by
    another ticket's event) is it folded again from the events that were.
    """
    changed: dict[str, _TicketState] = {}
    refold: set[str] = set()
    for item in fresh:
        if item.ticket_uuid in written:
            if item.uuid not in stored:
                refold.add(item.ticket_uuid)
        elif item.uuid in stored:
            ticket = tickets[item.ticket_uuid]
            _apply(ticket, item.kind, json.loads(item.payload), item.at)
            changed[ticket.uuid] = ticket
    for ticket_uuid in refold:
        ticket = new[ticket_uuid].initial(ticket_uuid)
        for item in fresh:
            if item.ticket_uuid == ticket_uuid and item.uuid in stored:
                _apply(ticket, item.kind, json.loads(item.payload), item.at)
        ticket.changed = True
        changed[ticket_uuid] = ticket
    return changed


# Bound parameters per statement: far below SQLite's 32766 and PostgreSQL's
# 65535, and few statements (round trips) for the largest batch.
PARAMETERS_PER_STATEMENT = 10_000


def _chunks(rows: list[T], width: int) -> Iterator[list[T]]:
    """``rows`` in slices that bind at most PARAMETERS_PER_STATEMENT values."""
    size = max(1, PARAMETERS_PER_STATEMENT // width)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _values_list(rows: list[tuple[Any, ...]], width: int) -> str:
    return ", ".join([_placeholders(width)] * len(rows))


def _flat(rows: list[tuple[Any, ...]]) -> list[Any]:
    return [value for row in rows for value in row]


def _payload_text(payload: dict[str, Any]) -> str:
    """The payload as stored: the text its check made, else dumped now."""
    if isinstance(payload, Payload):
        return payload.text
    return json.dumps(payload, ensure_ascii=False)


def _insert_new(
    db: CentralDatabase,
    table: str,
    columns: str,
    width: int,
    conflict: str,
    rows: list[tuple[Any, ...]],
) -> set[str]:
    """Insert-or-ignore ``rows``; returns the uuids this call wrote."""
    written: set[str] = set()
    for chunk in _chunks(rows, width):
        result = db.rows(
            f"INSERT INTO {table} ({columns}) VALUES {_values_list(chunk, width)} "
            f"ON CONFLICT {conflict}DO NOTHING RETURNING uuid",
            _flat(chunk),
        )
        written.update(str(row[0]) for row in result)
    return written


def _insert_tickets(db: CentralDatabase, rows: list[tuple[Any, ...]]) -> set[str]:
    """New tickets; one whose uuid or number is taken is left out."""
    return _insert_new(db, "ticket", TICKET_COLUMNS, TICKET_WIDTH, "", rows)


def _lock_tickets(
    db: CentralDatabase, ticket_uuids: list[str]
) -> dict[str, _TicketState]:
    tickets: dict[str, _TicketState] = {}
    lock = " FOR UPDATE" if db.is_postgres else ""
    for start in range(0, len(ticket_uuids), 1000):
        chunk = ticket_uuids[start : start + 1000]
        rows = db.rows(
            "SELECT uuid, ticket_no, station, status, updated_at FROM ticket "
            f"WHERE uuid IN ({', '.join('?' * len(chunk))}) ORDER BY uuid{lock}",
            chunk,
        )
        for row in rows:
            tickets[row[0]] = _TicketState(*row)
    return tickets


def _insert_events(db: CentralDatabase, rows: list[tuple[Any, ...]]) -> set[str]:
    """Events, once each by uuid; returns the uuids this call stored."""
    return _insert_new(db, "event", EVENT_COLUMNS, EVENT_WIDTH, "(uuid) ", rows)


def _apply(ticket: _TicketState, kind: str, payload: dict[str, Any], at: str) -> None:
    try:
        status = next_status(ticket.status, kind, payload)
    except TransitionError:
        return
    ticket.status = status
    ticket.updated_at = at
    ticket.changed = True


def _save_statuses(db: CentralDatabase, tickets: dict[str, _TicketState]) -> None:
    """Write every changed status, many tickets per UPDATE (one code path for
    both dialects: a VALUES list's columns are column1, column2, ... in each)."""
    changed = [
        (ticket.uuid, ticket.status, ticket.updated_at)
        for _, ticket in sorted(tickets.items())
        if ticket.changed
    ]
    for chunk in _chunks(changed, 3):
        db.execute(
            "UPDATE ticket SET status = changed.column2, "
            "updated_at = changed.column3 "
            f"FROM (VALUES {_values_list(chunk, 3)}) AS changed "
            "WHERE ticket.uuid = changed.column1",
            _flat(chunk),
        )


# ---------------------------------------------------------------- pull


def parse_cursor(text: str | None) -> tuple[int, int]:
    if not text:
        return (-1, 0)
    parts = text.split(".")
    if (
        len(text) > 64
        or len(parts) != 3
        or parts[0] != CURSOR_PREFIX
        or not all(part.isdigit() and len(part) <= 19 for part in parts[1:])
    ):
        raise Rejected(
            422,
            "since: not a cursor this central handed out",
            [FieldError(field="since", message="not a cursor this central handed out")],
        )
    return int(parts[1]), int(parts[2])


def pull_events(
    db: CentralDatabase, station: str, since: str | None, limit: int
) -> dict[str, Any]:
    """Central events on this station's tickets after the cursor."""
    tx, last_id = parse_cursor(since)
    horizon = (
        " AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        if db.is_postgres
        else ""
    )

    def work() -> list[tuple[Any, ...]]:
        return db.rows(
            "SELECT tx, id, uuid, ticket_uuid, ticket_no, station, kind, actor, at, "
            "payload, origin FROM event "
            "WHERE station = ? AND origin = ? AND (tx > ? OR (tx = ? AND id > ?))"
            f"{horizon} ORDER BY tx, id LIMIT ?",
            (station, CENTRAL_ORIGIN, tx, tx, last_id, limit + 1),
        )

    rows = run_read(db, work)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = since or f"{CURSOR_PREFIX}.{max(tx, 0)}.{last_id}"
    if rows:
        cursor = f"{CURSOR_PREFIX}.{rows[-1][0]}.{rows[-1][1]}"
    return {
        "events": [
            {
                "uuid": row[2],
                "ticket_uuid": row[3],
                "ticket_no": row[4],
                "station": row[5],
                "kind": row[6],
                "actor": row[7],
                "at": row[8],
                "payload": json.loads(row[9]),
                "origin": row[10],
            }
            for row in rows
        ],
        "cursor": cursor,
        "more": more,
    }


# ---------------------------------------------------------------- central events


CENTRAL_KINDS = (
    "dispatched",
    "acknowledged",
    "resolved",
    "escalated",
    "note",
    "callback",
    "withdrawn",
)


def record_central_event(
    db: CentralDatabase,
    ticket_no: str,
    kind: str,
    payload: dict[str, Any],
    actor: str,
) -> dict[str, Any]:
    """Write one event made at the subdistrict; TransitionError if illegal."""
    if kind not in CENTRAL_KINDS:
        raise Rejected(400, f"kind must be one of {', '.join(CENTRAL_KINDS)}")
    moment = now_local().isoformat()

    def work() -> dict[str, Any]:
        lock = " FOR UPDATE" if db.is_postgres else ""
        rows = db.rows(
            "SELECT uuid, ticket_no, station, status, updated_at FROM ticket "
            f"WHERE ticket_no = ?{lock}",
            (ticket_no,),
        )
        if not rows:
            raise LookupError(f"no ticket {ticket_no}")
        ticket = _TicketState(*rows[0])
        status = next_status(ticket.status, kind, payload)
        event = {
            "uuid": str(uuid_module.uuid4()),
            "ticket_uuid": ticket.uuid,
            "ticket_no": ticket.ticket_no,
            "station": ticket.station,
            "kind": kind,
            "actor": actor,
            "at": moment,
            "payload": payload,
            "origin": CENTRAL_ORIGIN,
        }
        _insert_events(
            db,
            [
                (
                    event["uuid"],
                    ticket.uuid,
                    ticket.ticket_no,
                    ticket.station,
                    kind,
                    actor,
                    moment,
                    json.dumps(payload, ensure_ascii=False),
                    CENTRAL_ORIGIN,
                    moment,
                )
            ],
        )
        db.execute(
            "UPDATE ticket SET status = ?, updated_at = ? WHERE uuid = ?",
            (status, moment, ticket.uuid),
        )
        event["status"] = status
        return event

    return run_write(db, work)


# ---------------------------------------------------------------- Open311 intake


@dataclass(frozen=True)
class NewRequest:
    station: str
    category: str
    item: str
    building: str
    description: str
    contact_name: str | None
    contact_mobile: str | None
    language: str
    lat: float | None
    lon: float | None


def file_request(
    db: CentralDatabase, request: NewRequest, catalog: Catalog | None = None
) -> dict[str, Any]:
    """A ticket filed through Open311 for a station; reaches it on its next pull."""
    catalog = catalog or load_catalog()
    category = catalog.category(request.category)
    category.item(request.item or OTHER_ITEM)
    moment = now_local()
    ticket_uuid = str(uuid_module.uuid4())

    def work() -> dict[str, Any]:
        serial = db.rows(
            "INSERT INTO counter (station, day, value) VALUES (?, ?, 1) "
            "ON CONFLICT (station, day) DO UPDATE SET value = counter.value + 1 "
            "RETURNING value",
            (request.station, moment.strftime("%Y-%m-%d")),
        )[0][0]
        snapshot = {
            "ticket_no": f"{request.station}-{moment:%y%m%d}-W{int(serial):03d}",
            "queue_no": "",
            "station": request.station,
            "category": category.code,
            "item": request.item or OTHER_ITEM,
            "building": request.building,
            "description": request.description,
            "contact_name": request.contact_name,
            "contact_mobile": request.contact_mobile,
            "created_at": moment.isoformat(),
            "unit": category.unit,
            "due_at": (moment + timedelta(hours=category.resolution_hours)).isoformat(),
            "token": secrets.token_urlsafe(TOKEN_BYTES),
            "language": request.language,
        }
        values = list(
            _ticket_values(
                ticket_uuid,
                TicketSnapshot.model_validate(snapshot),
                "open311",
                moment.isoformat(),
            )
        )
        values[-2:] = [request.lat, request.lon]
        db.execute(
            f"INSERT INTO ticket ({TICKET_COLUMNS}) "
            f"VALUES {_placeholders(TICKET_WIDTH)}",
            values,
        )
        _insert_events(
            db,
            [
                (
                    str(uuid_module.uuid4()),
                    ticket_uuid,
                    snapshot["ticket_no"],
                    request.station,
                    "received",
                    f"open311:{request.station}",
                    moment.isoformat(),
                    json.dumps(snapshot, ensure_ascii=False),
                    CENTRAL_ORIGIN,
                    moment.isoformat(),
                )
            ],
        )
        return {"uuid": ticket_uuid, **snapshot}

    return run_write(db, work)


# ---------------------------------------------------------------- reading


PUBLIC_TICKET_COLUMNS = (
    "uuid, ticket_no, station, category, item, building, description, created_at, "
    "unit, due_at, status, updated_at, lat, lon, token"
)


def ticket_by_no(db: CentralDatabase, ticket_no: str) -> dict[str, Any] | None:
    rows = run_read(
        db,
        lambda: db.dict_rows(
            f"SELECT {PUBLIC_TICKET_COLUMNS}, (SELECT name FROM station "
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


def ticket_no_for_uuid(db: CentralDatabase, ticket_uuid: str) -> str | None:
    rows = run_read(
        db,
        lambda: db.rows(
            "SELECT ticket_no FROM ticket WHERE uuid = ?", (ticket_uuid.lower(),)
        ),
    )
    return str(rows[0][0]) if rows else None


@dataclass(frozen=True)
class RequestQuery:
    ticket_nos: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    start_utc: str | None = None
    end_utc: str | None = None
    statuses: tuple[str, ...] = ()  # open, closed
    offset: int = 0
    limit: int = 1000


def find_requests(db: CentralDatabase, query: RequestQuery) -> list[dict[str, Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.ticket_nos:
        clauses.append(f"ticket_no IN ({', '.join('?' * len(query.ticket_nos))})")
        params.extend(query.ticket_nos)
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


def ping(db: CentralDatabase) -> None:
    run_read(db, lambda: db.rows("SELECT 1"))
