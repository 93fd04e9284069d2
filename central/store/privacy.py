"""Retention at the central: residents' contact details erased from its copies.

Two ways lead here. ``purge`` (``kiosk-central privacy purge``) erases them
from every ticket that ended (closed or withdrawn) more than the retention
period ago; and a station's own purge reaches the central as a ``purged``
event on each ticket it erased, which ``erase_tickets`` applies as the push
stores it (central/store/push.py).

Erased: the ticket's contact name and mobile (NULL), the same two fields in
its events' payloads (the ``received`` snapshot), and any mobile number typed
into its description or an event's text (replaced by ``***********``). Kept:
everything the reports count (tickets, status, category, unit, times, events,
ratings and every other payload field). A ticket once done is marked
(``purged_at``) and not looked at again. The audit log records each purge
with its counts and the limit, never the data; ``dry_run`` runs the same
transaction and rolls it back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from central.db import CentralDatabase
from central.store.audit import record
from central.store.base import now_local, run_write, utc_text
from kiosk.privacy import erase_mobiles_in_payload, erase_mobiles_in_writing
from kiosk.states import TERMINAL

DEFAULT_RETENTION_DAYS = 180
MOST_RETENTION_DAYS = 3650
CONTACT_FIELDS = ("contact_name", "contact_mobile")
CHUNK = 500
PURGED = "purged"  # the event kind a station's purge sends


@dataclass
class CentralPurgeCounts:
    """What one purge erased (or, dry, would erase)."""

    tickets: int = 0  # tickets whose contact name or mobile was erased
    events: int = 0  # event payloads whose contact fields were erased
    texts: int = 0  # descriptions and event texts with a mobile number erased

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class _DryRun(Exception):
    """Rolls a dry run's transaction back, carrying its counts out."""

    def __init__(self, counts: CentralPurgeCounts) -> None:
        super().__init__("dry run")
        self.counts = counts


def cutoff_for(retention_days: int, now: datetime | None = None) -> datetime:
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment - timedelta(days=retention_days)


def purge(
    db: CentralDatabase,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    *,
    dry_run: bool = False,
    actor: str = "system",
    now: datetime | None = None,
) -> tuple[datetime, CentralPurgeCounts]:
    """Erase contact details of tickets ended before the limit, every station's."""
    cutoff = cutoff_for(retention_days, now)
    cutoff_text = cutoff.strftime("%Y-%m-%dT%H:%M:%S")

    def work() -> CentralPurgeCounts:
        ended = sorted(TERMINAL)
        rows = db.rows(
            "SELECT ticket_no, updated_at FROM ticket "
            f"WHERE status IN ({', '.join('?' * len(ended))}) AND purged_at IS NULL",
            ended,
        )
        # updated_at is the time of the ticket's last event, with its offset.
        past = sorted(
            str(ticket_no)
            for ticket_no, updated_at in rows
            if utc_text(str(updated_at)) < cutoff_text
        )
        counts = erase_tickets(db, past)
        if dry_run:
            raise _DryRun(counts)
        detail = {
            "retention_days": retention_days,
            "ended_before": cutoff.isoformat(),
            **counts.as_dict(),
        }
        record(db, actor, "privacy_purge", "all stations", json.dumps(detail))
        return counts

    try:
        counts = run_write(db, work, rows=1000)
    except _DryRun as rolled_back:
        counts = rolled_back.counts
    return cutoff, counts


def erase_tickets(db: CentralDatabase, ticket_nos: Sequence[str]) -> CentralPurgeCounts:
    """Erase the contact details of these tickets and their events, inside
    the caller's transaction, and mark them purged."""
    counts = CentralPurgeCounts()
    moment = now_local().isoformat()
    for start in range(0, len(ticket_nos), CHUNK):
        numbers = list(ticket_nos[start : start + CHUNK])
        marks = ", ".join("?" * len(numbers))
        tickets = db.rows(
            "SELECT id, contact_name, contact_mobile, description FROM ticket "
            f"WHERE ticket_no IN ({marks})",
            numbers,
        )
        for rowid, name, mobile, description in tickets:
            cleaned = erase_mobiles_in_writing(description)
            if name is not None or mobile is not None:
                counts.tickets += 1
            if cleaned != description:
                counts.texts += 1
            db.execute(
                "UPDATE ticket SET contact_name = NULL, contact_mobile = NULL, "
                "description = ?, purged_at = ? WHERE id = ?",
                (cleaned, moment, rowid),
            )
        events = db.rows(
            f"SELECT id, payload FROM event WHERE ticket_no IN ({marks})", numbers
        )
        for rowid, payload in events:
            erased, new_payload = _erase_payload(str(payload), counts)
            if erased:
                db.execute(
                    "UPDATE event SET payload = ? WHERE id = ?", (new_payload, rowid)
                )
    return counts


def _erase_payload(payload: str, counts: CentralPurgeCounts) -> tuple[bool, str]:
    """The payload without contact details; whether anything was erased."""
    changed = False
    text = payload
    try:
        document: Any = json.loads(payload)
    except ValueError:
        document = None
    if isinstance(document, dict) and any(
        document.get(name) is not None for name in CONTACT_FIELDS
    ):
        for name in CONTACT_FIELDS:
            if name in document:
                document[name] = None
        text = json.dumps(document, ensure_ascii=False)
        counts.events += 1
        changed = True
    cleaned = erase_mobiles_in_payload(text)
    if cleaned != text:
        counts.texts += 1
        changed = True
    return changed, cleaned
