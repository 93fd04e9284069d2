"""A station's push: a batch checked, turned into rows and stored once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import ValidationError

from central.db import CentralDatabase
from central.schemas import (
    EventIn,
    FieldError,
    Payload,
    PushBatch,
    TicketSnapshot,
    field_errors,
)
from central.store.base import Rejected, invalid, run_write
from central.store.privacy import PURGED, erase_tickets
from central.store.rows import (
    STATION_ORIGIN,
    TICKET_COLUMNS,
    TICKET_WIDTH,
    TicketState,
    chunks,
    flat,
    insert_events,
    insert_new,
    ticket_values,
    values_list,
    with_public_id,
)
from kiosk.states import TransitionError, next_status


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


class _Shared(dict[str, str]):
    """One string object for each value that recurs in a push's rows (a
    ticket's keys, kinds, actors, categories): the rows hold it many times,
    and pickle, bringing a prepared push from an intake process, sends and
    rebuilds it once."""

    def __call__(self, value: str) -> str:
        return self.setdefault(value, value)


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

    def initial(self, ticket_uuid: str) -> TicketState:
        return TicketState(
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
            ticket_values(
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
        _check_order(fresh, new, written)
        stored = insert_events(db, prepared.event_rows)
        _check_repeats(db, fresh, stored)
        _save_statuses(db, _fold_stored(fresh, stored, tickets, written))
        # A station's purge: the central's copy of each ticket goes the same way.
        purged = {item.ticket_no for item in fresh if item.kind == PURGED}
        if purged:
            erase_tickets(db, sorted(purged))
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
    seen: dict[str, str] = {}  # event uuid: its ticket's uuid
    fresh: list[_Fresh] = []
    repeats: list[str] = []
    for index, event in enumerate(checked.events):
        key = event.uuid.lower()
        ticket_uuid = event.ticket_uuid.lower()
        if key in seen:
            if seen[key] != ticket_uuid:
                raise _uuid_taken(index)
            repeats.append(key)
        else:
            seen[key] = ticket_uuid
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
) -> tuple[dict[str, _NewTicket], dict[str, TicketState]]:
    """The tickets the batch creates, and each one's state folded over its
    events in the batch."""
    new: dict[str, _NewTicket] = {}
    folded: dict[str, TicketState] = {}
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


def _check_tickets(
    station: str,
    fresh: list[_Fresh],
    tickets: dict[str, TicketState],
) -> None:
    """Every event's ticket exists, is the caller's and has the event's number."""
    for item in fresh:
        index = item.position
        ticket = tickets.get(item.ticket_uuid)
        if ticket is None:
            if item.creates:
                field = f"events[{index}].ticket_no"
                raise invalid(
                    field,
                    "already used by another ticket",
                    f"{field}: {item.ticket_no} is already used by another ticket",
                )
            raise invalid(
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
            raise invalid(
                f"events[{index}].ticket_no",
                f"the ticket's number is {ticket.ticket_no}",
            )


def _check_order(
    fresh: list[_Fresh], new: dict[str, _NewTicket], written: set[str]
) -> None:
    """A ticket this batch creates has no event before its ``received``."""
    for item in fresh:
        ticket_uuid = item.ticket_uuid
        if ticket_uuid in written and item.position < new[ticket_uuid].position:
            raise invalid(
                f"events[{item.position}].ticket_uuid",
                "unknown ticket; push its 'received' event first",
            )


def _check_repeats(db: CentralDatabase, fresh: list[_Fresh], stored: set[str]) -> None:
    """An event the central already had is a duplicate only if it is the same
    ticket's event; a uuid another ticket's event holds (whichever station's)
    is refused, so no ticket is left without its events."""
    repeats = {item.uuid: item for item in fresh if item.uuid not in stored}
    keys = sorted(repeats)
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        rows = db.rows(
            "SELECT uuid, ticket_uuid FROM event "
            f"WHERE uuid IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        for event_uuid, ticket_uuid in rows:
            item = repeats[str(event_uuid)]
            if str(ticket_uuid) != item.ticket_uuid:
                raise _uuid_taken(item.position)


def _uuid_taken(position: int) -> Rejected:
    return invalid(
        f"events[{position}].uuid",
        "already used by another event; give this event a uuid of its own",
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
    tickets: dict[str, TicketState],
    written: set[str],
) -> dict[str, TicketState]:
    """The tickets whose status row must change: the stored events folded over
    the tickets that existed, in the batch's order.

    A ticket written by this batch already holds the fold of its events: each
    of them was stored (``_check_repeats`` refuses a uuid another ticket's
    event holds, and a ticket that did not exist has no events yet).
    """
    changed: dict[str, TicketState] = {}
    for item in fresh:
        if item.ticket_uuid not in written and item.uuid in stored:
            ticket = tickets[item.ticket_uuid]
            _apply(ticket, item.kind, json.loads(item.payload), item.at)
            changed[ticket.uuid] = ticket
    return changed


def _payload_text(payload: dict[str, Any]) -> str:
    """The payload as stored: the text its check made, else dumped now."""
    if isinstance(payload, Payload):
        return payload.text
    return json.dumps(payload, ensure_ascii=False)


def _insert_tickets(db: CentralDatabase, rows: list[tuple[Any, ...]]) -> set[str]:
    """New tickets; one whose uuid or number is taken is left out."""
    return insert_new(
        db,
        "ticket",
        TICKET_COLUMNS,
        TICKET_WIDTH,
        "",
        [with_public_id(row) for row in rows],
    )


def _lock_tickets(
    db: CentralDatabase, ticket_uuids: list[str]
) -> dict[str, TicketState]:
    tickets: dict[str, TicketState] = {}
    lock = " FOR UPDATE" if db.is_postgres else ""
    for start in range(0, len(ticket_uuids), 1000):
        chunk = ticket_uuids[start : start + 1000]
        rows = db.rows(
            "SELECT uuid, ticket_no, station, status, updated_at FROM ticket "
            f"WHERE uuid IN ({', '.join('?' * len(chunk))}) ORDER BY uuid{lock}",
            chunk,
        )
        for row in rows:
            tickets[row[0]] = TicketState(*row)
    return tickets


def _apply(ticket: TicketState, kind: str, payload: dict[str, Any], at: str) -> None:
    try:
        status = next_status(ticket.status, kind, payload)
    except TransitionError:
        return
    ticket.status = status
    ticket.updated_at = at
    ticket.changed = True


def _save_statuses(db: CentralDatabase, tickets: dict[str, TicketState]) -> None:
    """Write every changed status, many tickets per UPDATE (one code path for
    both dialects: a VALUES list's columns are column1, column2, ... in each)."""
    changed = [
        (ticket.uuid, ticket.status, ticket.updated_at)
        for _, ticket in sorted(tickets.items())
        if ticket.changed
    ]
    for chunk in chunks(changed, 3):
        db.execute(
            "UPDATE ticket SET status = changed.column2, "
            "updated_at = changed.column3 "
            f"FROM (VALUES {values_list(chunk, 3)}) AS changed "
            "WHERE ticket.uuid = changed.column1",
            flat(chunk),
        )
