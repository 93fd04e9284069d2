"""Merging events pulled from the central into the station's own log."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db import database, write_transaction
from kiosk.config import Settings
from kiosk.report_facts import refresh_station
from kiosk.states import TransitionError, next_status
from kiosk.sync.state import CURSOR_KEY, iso_time, parse_time, set_value

log = logging.getLogger("kiosk.sync")


@dataclass
class AppliedPull:
    pulled: int = 0
    skipped: int = 0
    tickets_created: int = 0


_SNAPSHOT_TEXT = (
    "ticket_no",
    "queue_no",
    "station",
    "category",
    "created_at",
    "unit",
    "due_at",
    "token",
)


def apply_pulled_events(
    settings: Settings, events: Sequence[dict[str, Any]], cursor: str | None
) -> AppliedPull:
    """Merge central events into the local log and move the cursor, atomically.

    An event already known (by uuid) is skipped; a 'received' event for an
    unknown ticket creates it from the snapshot in its payload; an event for
    a ticket this station does not have is skipped and logged. Each event
    moves its ticket's status by ``kiosk.states.next_status``; one the rules
    refuse is kept in the log but leaves the status as it is.
    """
    applied = AppliedPull()
    statuses: dict[str, str] = {}
    touched: set[str] = set()
    with write_transaction():
        for event in events:
            if _apply_one(settings, event, statuses, applied):
                applied.pulled += 1
                touched.add(str(event["ticket_uuid"]))
            else:
                applied.skipped += 1
        for ticket_uuid, status in statuses.items():
            database.execute_sql(
                "UPDATE ticket SET status = ? WHERE uuid = ? AND status != ?",
                (status, ticket_uuid, status),
            )
        refresh_station(touched)
        if cursor is not None:
            set_value(CURSOR_KEY, cursor)
    return applied


def _apply_one(
    settings: Settings,
    event: dict[str, Any],
    statuses: dict[str, str],
    applied: AppliedPull,
) -> bool:
    uuid = event.get("uuid")
    ticket_uuid = event.get("ticket_uuid")
    kind = event.get("kind")
    payload = event.get("payload") or {}
    if not (
        isinstance(uuid, str)
        and isinstance(ticket_uuid, str)
        and isinstance(kind, str)
        and isinstance(payload, dict)
    ):
        log.warning("pulled event skipped: malformed %r", str(event)[:200])
        return False
    known = database.execute_sql(
        "SELECT 1 FROM ticket_event WHERE uuid = ?", (uuid,)
    ).fetchone()
    if known:
        return False
    ticket_row = database.execute_sql(
        "SELECT status FROM ticket WHERE uuid = ?", (ticket_uuid,)
    ).fetchone()
    status: str | None = statuses.get(ticket_uuid) or (
        ticket_row[0] if ticket_row else None
    )
    if not ticket_row:
        if kind != "received" or not _create_ticket(settings, ticket_uuid, payload):
            log.warning(
                "pulled event %s skipped: ticket %s is not at this station",
                uuid,
                event.get("ticket_no") or ticket_uuid,
            )
            return False
        applied.tickets_created += 1
    at = str(event.get("at") or iso_time(datetime.now(settings.zone)))
    database.execute_sql(
        "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at, payload, "
        "origin) VALUES (?, ?, ?, ?, ?, ?, 'central')",
        (
            uuid,
            ticket_uuid,
            kind,
            str(event.get("actor") or "central"),
            at,
            json.dumps(payload, ensure_ascii=False),
        ),
    )
    try:
        statuses[ticket_uuid] = next_status(status, kind, payload)
    except TransitionError as refused:
        log.info("pulled %s on %s kept, status unchanged: %s", kind, uuid, refused)
        if status is not None:
            statuses[ticket_uuid] = status
    return True


def _create_ticket(
    settings: Settings, ticket_uuid: str, snapshot: dict[str, Any]
) -> bool:
    """A ticket filed centrally (e.g. through Open311), from its snapshot."""
    if not all(isinstance(snapshot.get(key), str) for key in _SNAPSHOT_TEXT):
        return False
    if snapshot["station"] != settings.station.code:
        return False
    clash = database.execute_sql(
        "SELECT uuid FROM ticket WHERE ticket_no = ?", (snapshot["ticket_no"],)
    ).fetchone()
    if clash:
        log.warning(
            "central ticket %s has a number already used here",
            snapshot["ticket_no"],
        )
        return False
    created_at = snapshot["created_at"]
    try:
        day = parse_time(created_at, settings).strftime("%Y-%m-%d")
    except ValueError:
        return False

    def text(key: str, default: str = "") -> str:
        value = snapshot.get(key)
        return value if isinstance(value, str) else default

    def optional(key: str) -> str | None:
        value = snapshot.get(key)
        return value if isinstance(value, str) and value else None

    contact_name, contact_mobile = optional("contact_name"), optional("contact_mobile")
    database.execute_sql(
        "INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category, "
        "item, building, description, contact_name, contact_mobile, consent_at, "
        "created_at, status, unit, due_at, token, print_state, language) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, "
        "'none', ?)",
        (
            ticket_uuid,
            snapshot["ticket_no"],
            snapshot["queue_no"],
            snapshot["station"],
            day,
            snapshot["category"],
            text("item", "other"),
            text("building"),
            text("description"),
            contact_name,
            contact_mobile,
            created_at if (contact_name or contact_mobile) else None,
            created_at,
            snapshot["unit"],
            snapshot["due_at"],
            snapshot["token"],
            text("language", "zh-CN"),
        ),
    )
    _reserve_numbers(settings, snapshot["ticket_no"], snapshot["queue_no"], day)
    return True


def _reserve_numbers(
    settings: Settings, ticket_no: str, queue_no: str, day: str
) -> None:
    """Keep the day's counters past a number the central gave out."""
    station = settings.station.code
    match = re.fullmatch(re.escape(station) + r"-\d{6}-(\d+)", ticket_no)
    reservations = []
    if match:
        reservations.append(("ticket", int(match.group(1))))
    queue = re.fullmatch(r"([A-Z])(\d+)", queue_no)
    if queue:
        reservations.append((f"queue:{queue.group(1)}", int(queue.group(2))))
    for scope, value in reservations:
        database.execute_sql(
            "INSERT INTO daily_counter (station, day, scope, value) "
            "VALUES (?, ?, ?, ?) "
            "ON CONFLICT (station, day, scope) DO UPDATE SET "
            "value = MAX(value, excluded.value)",
            (station, day, scope, value),
        )
