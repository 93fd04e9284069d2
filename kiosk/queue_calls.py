"""The desk's queue calls as the waiting room sees them ("now serving").

Apart from kiosk.desk (which makes the calls) so that the resident screen
can show them without loading the front desk's domain.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Called:
    queue_no: str
    ticket_no: str
    called_at: str


def recent_calls(day: str, limit: int = 5) -> list[Called]:
    """Today's calls, newest first: the first one is being served now."""
    # peewee loads after the welcome screen's first paint (db/deferred.py)
    from db import database

    rows = database.execute_sql(
        "SELECT q.queue_no, t.ticket_no, q.called_at FROM queue_call AS q "
        "JOIN ticket AS t ON t.uuid = q.ticket_uuid "
        "WHERE q.day = ? ORDER BY q.id DESC LIMIT ?",
        (day, limit),
    ).fetchall()
    return [Called(str(q), str(t), str(at)) for q, t, at in rows]
