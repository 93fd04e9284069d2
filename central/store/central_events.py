"""Events made at the subdistrict on a station's ticket."""

from __future__ import annotations

import json
import uuid as uuid_module
from typing import Any

from central.db import CentralDatabase
from central.store.base import Rejected, now_local, run_write
from central.store.rows import CENTRAL_ORIGIN, TicketState, insert_events
from kiosk.states import next_status

CENTRAL_KINDS = (
    "dispatched",
    "acknowledged",
    "resolved",
    "escalated",
    "note",
    "callback",
    "callback_attempt",
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
        ticket = TicketState(*rows[0])
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
        insert_events(
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
