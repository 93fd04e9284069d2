"""What a resident sends from the tracking page: the call-back answer and a
follow-up note (补充说明), each an event on the ticket (origin central, actor
``resident``) that the station pulls like any central event.

Each form carries an id; the event's uuid is derived from the ticket, the
form and the kind, so a form sent twice is stored once. A resident's answer
can be changed for ``ANSWER_CHANGE_HOURS``; the change is a new call-back
event naming the one it replaces (``amends``).
"""

from __future__ import annotations

import dataclasses
import json
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from central.db import CentralDatabase
from central.store.base import run_read, run_write
from central.store.rows import CENTRAL_ORIGIN, insert_events
from kiosk.states import (
    CLOSED,
    DISPATCHED,
    RATINGS,
    RESIDENT_ACTOR,
    RESOLVED,
    TERMINAL,
    TransitionError,
    next_status,
)

ANSWER_CHANGE_HOURS = 24
ANSWER_CHANGES = 5  # changes of one answer at most, within those hours
NOTES_PER_TICKET = 3  # follow-up notes on one ticket, ever
NOTE_LIMIT = 500
# Events that may follow a resident's answer without ending its change window.
QUIET_KINDS = frozenset({"note", "unit_rated", "callback_attempt"})
FORM_NAMESPACE = uuid_module.UUID("5c1f4a55-7d4e-4c8e-9a57-2f0b1c6d9e21")


class Refused(Exception):
    """What the resident is told instead (``reason``: a key of the page's
    texts)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ResidentAnswer:
    """The resident's current call-back answer on a ticket."""

    uuid: str
    solved: bool | None
    rating: str
    at: datetime
    first_at: datetime  # of the first answer: the change window runs from it
    changes: int
    changeable: bool  # still within its hours, and nothing happened since


def _payload(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def resident_answer(
    events: list[dict[str, Any]], now: datetime
) -> ResidentAnswer | None:
    """The resident's answer to the ticket's latest resolution (events oldest
    first), if any. A ticket resolved again asks again."""
    answer: ResidentAnswer | None = None
    first_at: datetime | None = None
    changes = 0
    for event in events:
        kind = event["kind"]
        if kind == "resolved":
            answer, first_at, changes = None, None, 0
        elif kind == "callback" and event.get("actor") == RESIDENT_ACTOR:
            payload = _payload(event["payload"])
            at = datetime.fromisoformat(str(event["at"]))
            if answer is not None and payload.get("amends"):
                changes += 1
            first_at = first_at or at
            solved = payload.get("solved")
            answer = ResidentAnswer(
                uuid=str(event["uuid"]),
                solved=solved if isinstance(solved, bool) else None,
                rating=str(payload.get("rating", "")),
                at=at,
                first_at=first_at,
                changes=changes,
                changeable=True,
            )
        elif answer is not None and kind not in QUIET_KINDS:
            # Something happened since (the desk called back, the unit took
            # the reopened ticket on): the answer stands as it is.
            answer = dataclasses.replace(answer, changeable=False)
    if answer is None or first_at is None:
        return None
    open_ = (
        answer.changeable
        and now - first_at < timedelta(hours=ANSWER_CHANGE_HOURS)
        and answer.changes < ANSWER_CHANGES
    )
    return dataclasses.replace(answer, changeable=open_)


def resident_notes(events: list[dict[str, Any]]) -> int:
    return sum(
        1
        for event in events
        if event["kind"] == "note" and event.get("actor") == RESIDENT_ACTOR
    )


def form_event_uuid(ticket_uuid: str, form_id: str, kind: str) -> str:
    return str(uuid_module.uuid5(FORM_NAMESPACE, f"{ticket_uuid}:{form_id}:{kind}"))


def _ticket_and_events(
    db: CentralDatabase, ticket_no: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    lock = " FOR UPDATE" if db.is_postgres else ""
    rows = db.dict_rows(
        "SELECT uuid, ticket_no, station, status FROM ticket "
        f"WHERE ticket_no = ?{lock}",
        (ticket_no,),
    )
    if not rows:
        raise Refused("stale")
    events = db.dict_rows(
        "SELECT uuid, kind, actor, at, payload FROM event WHERE ticket_no = ? "
        "ORDER BY tx, id",
        (ticket_no,),
    )
    return rows[0], events


def _write(
    db: CentralDatabase,
    ticket: dict[str, Any],
    event_uuid: str,
    kind: str,
    payload: dict[str, Any],
    status: str,
    moment: datetime,
) -> None:
    at = moment.isoformat()
    stored = insert_events(
        db,
        [
            (
                event_uuid,
                ticket["uuid"],
                ticket["ticket_no"],
                ticket["station"],
                kind,
                RESIDENT_ACTOR,
                at,
                json.dumps(payload, ensure_ascii=False),
                CENTRAL_ORIGIN,
                at,
            )
        ],
    )
    if stored and status != ticket["status"]:
        db.execute(
            "UPDATE ticket SET status = ?, updated_at = ? WHERE uuid = ?",
            (status, at, ticket["uuid"]),
        )


def record_answer(
    db: CentralDatabase,
    ticket_no: str,
    form_id: str,
    solved: bool,
    rating: str,
    now: datetime,
) -> str:
    """The resident's call-back answer; 'recorded' or 'changed'. Refused
    (``stale``, ``too_late``) when the ticket no longer takes one."""
    if rating not in RATINGS:
        raise Refused("choose")

    def work() -> str:
        ticket, events = _ticket_and_events(db, ticket_no)
        event_uuid = form_event_uuid(ticket["uuid"], form_id, "callback")
        if any(event["uuid"] == event_uuid for event in events):
            return "recorded"  # the same form again: stored once
        payload: dict[str, Any] = {"solved": solved, "rating": rating}
        earlier = resident_answer(events, now)
        if earlier is not None:
            if not earlier.changeable:
                late = now - earlier.first_at >= timedelta(hours=ANSWER_CHANGE_HOURS)
                raise Refused("too_late" if late else "moved_on")
            if ticket["status"] not in (CLOSED, DISPATCHED):
                raise Refused("stale")
            if (earlier.solved, earlier.rating) == (solved, rating):
                return "recorded"  # nothing changes
            payload["amends"] = earlier.uuid
        elif ticket["status"] != RESOLVED:
            raise Refused("stale")
        try:
            status = next_status(ticket["status"], "callback", payload)
        except TransitionError as error:
            raise Refused("stale") from error
        _write(db, ticket, event_uuid, "callback", payload, status, now)
        return "changed" if earlier is not None else "recorded"

    return run_write(db, work)


def record_note(
    db: CentralDatabase, ticket_no: str, form_id: str, text: str, now: datetime
) -> str:
    """A follow-up note for the station (cleaned text); 'recorded'."""

    def work() -> str:
        ticket, events = _ticket_and_events(db, ticket_no)
        event_uuid = form_event_uuid(ticket["uuid"], form_id, "note")
        if any(event["uuid"] == event_uuid for event in events):
            return "recorded"
        if ticket["status"] in TERMINAL:
            raise Refused("ended")
        if resident_notes(events) >= NOTES_PER_TICKET:
            raise Refused("notes_full")
        _write(
            db,
            ticket,
            event_uuid,
            "note",
            {"text": text, "source": "tracking_page"},
            ticket["status"],
            now,
        )
        return "recorded"

    return run_write(db, work)


def ticket_form_events(db: CentralDatabase, ticket_no: str) -> list[dict[str, Any]]:
    """A ticket's events with what the page's forms need (actor, uuid)."""
    return run_read(
        db,
        lambda: db.dict_rows(
            "SELECT uuid, kind, actor, at, payload, origin FROM event "
            "WHERE ticket_no = ? ORDER BY tx, id",
            (ticket_no,),
        ),
    )
