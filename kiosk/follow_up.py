"""What residents said from their phones, as the front desk needs to see it.

A resident answers the call-back and adds notes on the tracking page; those
come to the station as central events with the actor ``resident``
(central/store/resident.py). The desk calls back only the residents who did
not answer within ``[follow_up] phone_answer_days`` of the resolution, and
the board says which ones answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from db import database
from kiosk.config import Settings
from kiosk.states import (
    CLOSED,
    DISPATCHED,
    OPEN,
    RESIDENT_ACTOR,
    RESOLVED,
    STATUS_NAMES,
)

# What the board's status cell says instead of the plain status (at most
# twelve cells wide, as the column is).
WAITING_FOR_PHONE = "等手机评价"  # resolved; the resident may still answer
CALL_NOW = "待电话回访"  # resolved; no answer within the days set: call
ANSWERED_CLOSED = "已回访·手机"  # the resident answered on the phone
ANSWERED_REOPENED = "手机评不满意"  # ... 不满意: back with its unit
NEW_NOTE = "居民补充说明"  # a note from the phone, nothing done since


def board_labels(
    settings: Settings, rows: Iterable[tuple[str, str]], now: datetime
) -> dict[str, str]:
    """Status-cell words for the tickets (ticket_no, status) that need them."""
    statuses = dict(rows)
    if not statuses:
        return {}
    marks = ", ".join("?" * len(statuses))
    events = database.execute_sql(
        "SELECT t.ticket_no, e.kind, e.actor, e.at FROM ticket AS t "
        "JOIN ticket_event AS e ON e.ticket_uuid = t.uuid "
        f"WHERE t.ticket_no IN ({marks}) ORDER BY e.id",
        tuple(statuses),
    ).fetchall()
    history: dict[str, list[tuple[str, str, str]]] = {}
    for ticket_no, kind, actor, at in events:
        history.setdefault(ticket_no, []).append((kind, actor, at))
    wait = timedelta(days=settings.follow_up.phone_answer_days)
    labels: dict[str, str] = {}
    for ticket_no, status in statuses.items():
        label = _label(status, history.get(ticket_no, []), wait, now)
        if label:
            labels[ticket_no] = label
    return labels


def _label(
    status: str, events: list[tuple[str, str, str]], wait: timedelta, now: datetime
) -> str:
    if not events:
        return ""
    last_kind, last_actor, _ = events[-1]
    if status in OPEN and last_kind == "note" and last_actor == RESIDENT_ACTOR:
        return NEW_NOTE
    resolved_at = ""
    answered_by_phone = False
    for kind, actor, at in events:
        if kind == "resolved":
            resolved_at, answered_by_phone = at, False
        elif kind == "callback":
            answered_by_phone = actor == RESIDENT_ACTOR
    if status == RESOLVED and resolved_at:
        try:
            since = now - datetime.fromisoformat(resolved_at)
        except (TypeError, ValueError):
            return ""
        return WAITING_FOR_PHONE if since < wait else CALL_NOW
    if answered_by_phone and status == CLOSED:
        return ANSWERED_CLOSED
    if answered_by_phone and status == DISPATCHED:
        return ANSWERED_REOPENED
    return ""


def status_label(status: str, labels: dict[str, str], ticket_no: str) -> str:
    return labels.get(ticket_no) or STATUS_NAMES.get(status, (status,))[0]
