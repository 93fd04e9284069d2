"""What the station knows of its sync, kept in its database alone.

The keys the sync engine (kiosk.sync.engine) records its last outcome and
the pull cursor under, and the status the kiosk's header shows: the online
dot and the pending count. Apart from the engine and its client so that
reading it never loads the network stack (requests, TLS) into the resident
screen's process.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from db import KeyValue, database
from kiosk.config import Settings

LAST_OK_KEY = "last_sync_ok"
LAST_ERROR_KEY = "last_sync_error"
LAST_ERROR_AT_KEY = "last_sync_error_at"
# When the next sync may go to the network after a failure (backoff,
# Retry-After); shared by every process on the station.
RETRY_AT_KEY = "sync_retry_at"
# Where the next pull starts (the central's cursor); moved with the events.
CURSOR_KEY = "pull_cursor"


@dataclass(frozen=True)
class SyncStatus:
    """What the kiosk shows: from the database only, never the network."""

    online: bool
    pending_events: int
    last_sync_ok: str | None
    last_sync_error: str | None
    last_sync_error_at: str | None


def thread_connection() -> AbstractContextManager[Any]:
    """The thread's own connection: opened (and closed) here if needed."""
    if database.is_closed():
        return database.connection_context()
    return nullcontext()


def parse_time(text: str, settings: Settings) -> datetime:
    """A recorded time, in the station's zone (a bare time is taken as such)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.zone)
    return moment.astimezone(settings.zone)


def iso_time(moment: datetime) -> str:
    """A time as recorded (ISO 8601, to the microsecond)."""
    return moment.isoformat(timespec="microseconds")


def get_value(key: str) -> str | None:
    row = KeyValue.get_or_none(KeyValue.key == key)
    return row.value if row else None


def set_value(key: str, value: str) -> None:
    KeyValue.insert(key=key, value=value).on_conflict(
        conflict_target=[KeyValue.key], update={KeyValue.value: value}
    ).execute()


def sync_status(settings: Settings, now: datetime | None = None) -> SyncStatus:
    """The online dot and pending count, from the database alone.

    Online means the last sync attempt succeeded and was recent (within
    three sync intervals, at least two minutes).
    """
    moment = (now or datetime.now(settings.zone)).astimezone(settings.zone)
    with thread_connection():
        pending = int(
            database.execute_sql(
                "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
            ).fetchone()[0]
        )
        values = dict(
            database.execute_sql(
                "SELECT key, value FROM key_value WHERE key IN (?, ?, ?)",
                (LAST_OK_KEY, LAST_ERROR_KEY, LAST_ERROR_AT_KEY),
            ).fetchall()
        )
    last_ok = values.get(LAST_OK_KEY)
    online = False
    if last_ok and LAST_ERROR_KEY not in values:
        try:
            age = (moment - parse_time(last_ok, settings)).total_seconds()
        except ValueError:
            age = float("inf")
        online = age <= max(3 * settings.central.sync_interval, 120.0)
    return SyncStatus(
        online=online,
        pending_events=pending,
        last_sync_ok=last_ok,
        last_sync_error=values.get(LAST_ERROR_KEY),
        last_sync_error_at=values.get(LAST_ERROR_AT_KEY),
    )
