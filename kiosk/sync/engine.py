"""The sync engine: push the outbox, pull events made centrally.

One engine serves the ``kiosk sync`` daemon, ``kiosk sync --once`` and the
kiosk app's background passes (in its sync process, kiosk/sync/process.py).
It never holds a database lock while it waits on the network, and every
network or server failure comes back as a one-line reason in a SyncResult,
never as an exception.

Push: outbox rows are read in order and sent in batches (``attempts`` counts
each send); each event's uuid is its idempotency key, the same on every retry,
so the central stores it once however often it arrives. Each ticket belongs
to one of PUSH_STREAMS streams that push side by side, each one batch at a
time, so a ticket's events reach the central in the order they were made.
While a batch is in flight the engine marks the one before it sent and reads
the next, so the station's own work hides behind the network wait. One run at
a time per station database (a file lock): the app, the daemon and the staff
terminal never push at once.

Pull: events authored elsewhere since the station's cursor are merged into
the local event log (kiosk/sync/apply.py: origin 'central', never into the
outbox), the ticket status is derived again, and the cursor moves, all in one
transaction.
"""

from __future__ import annotations

import fcntl
import json
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import requests
from peewee import PeeweeException

from db import KeyValue, database, write_transaction
from db.connection import describe_database_error
from kiosk.clock import record_skew
from kiosk.config import Settings
from kiosk.sync.apply import apply_pulled_events
from kiosk.sync.client import (
    CentralClient,
    SyncError,
    backoff_delay,
    display_url,
    redact,
)
from kiosk.sync.state import (
    CURSOR_KEY,
    LAST_ERROR_AT_KEY,
    LAST_ERROR_KEY,
    LAST_OK_KEY,
    RETRY_AT_KEY,
    get_value,
    iso_time,
    parse_time,
    set_value,
    thread_connection,
)

log = logging.getLogger("kiosk.sync")

# Request limits of the central (docs/sync-protocol.md): events per pull and
# body bytes per push (its default is 4 MiB; keep well under it; a central
# with a lower limit answers 413 and the batch is halved).
PULL_LIMIT = 500
# Refused events parked one by one in a run before it stops and backs off.
MAX_REJECTED_PER_RUN = 10
MAX_BODY_BYTES = 3_600_000
# Rows per IN (...) list: well under SQLite's bound-parameter limit.
SQL_CHUNK = 500
# Batches in flight at once, each stream with its own tickets (see _push_all).
PUSH_STREAMS = 2

_PENDING_SQL = """
SELECT o.id, e.uuid, e.ticket_uuid, t.ticket_no, t.station, e.kind, e.actor,
       e.at, e.payload
FROM outbox AS o
JOIN ticket_event AS e ON e.uuid = o.event_uuid
JOIN ticket AS t ON t.uuid = e.ticket_uuid
WHERE o.sent_at IS NULL AND o.id > ?
  AND (? OR o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)
  AND t.id % ? = ?
ORDER BY o.id
LIMIT ?
"""


@dataclass
class SyncResult:
    """What one ``run_once`` did; ``retry_in`` says when to call it again."""

    pushed: int = 0
    duplicates: int = 0
    rejected: int = 0
    pulled: int = 0
    skipped: int = 0
    pending: int = 0
    error: str | None = None
    rejected_reason: str = ""
    retry_after: float | None = None
    retry_in: float = 0.0
    complete: bool = False
    busy: bool = False  # another process was syncing; nothing done
    waiting: bool = False  # a failure's retry time has not come yet
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> str:
        text = (
            f"pushed {self.pushed} events ({self.duplicates} already there), "
            f"pulled {self.pulled}, {self.pending} pending"
        )
        if self.rejected:
            text += f", {self.rejected} refused by the central"
        if self.skipped:
            text += f", {self.skipped} pulled events skipped"
        return text


@dataclass
class _PushOutcome:
    pushed: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejected_reason: str = ""
    complete: bool = False


@dataclass
class _PullOutcome:
    pulled: int = 0
    skipped: int = 0
    complete: bool = False


@dataclass
class _Row:
    outbox_id: int
    uuid: str
    body: str  # the event as JSON, payload embedded as stored


@dataclass
class _Batch:
    rows: list[_Row] = field(default_factory=list)

    def body(self) -> bytes:
        inner = ",".join(row.body for row in self.rows)
        return ('{"events":[' + inner + "]}").encode("utf-8")


@dataclass
class _Stream:
    """One push stream: the tickets whose ``id % PUSH_STREAMS`` is ``index``."""

    index: int
    client: CentralClient
    upcoming: _Batch = field(default_factory=_Batch)  # read, not sent yet
    sending: _Batch | None = None
    in_flight: Future[dict[str, Any]] | None = None
    answered: _Batch | None = None  # accepted by the central, not marked yet


def _chunks(items: Sequence[Any], size: int = SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


_EVENT_TEMPLATE = (
    '{{"uuid":{},"ticket_uuid":{},"ticket_no":{},"station":{},"kind":{},'
    '"actor":{},"at":{},"payload":{}}}'
)
_EVENT_FIELDS = ("uuid", "ticket_uuid", "ticket_no", "station", "kind", "actor", "at")
# A JSON string literal, exactly as json.dumps(..., ensure_ascii=False) writes it.
_json_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]


def _event_json(row: Sequence[Any]) -> str:
    """One outbox row as the JSON of a pushed event (compact, UTF-8 as is)."""
    _, uuid, ticket_uuid, ticket_no, station, kind, actor, at, payload = row
    payload_text = payload if payload and payload.strip() else "{}"
    fields = (uuid, ticket_uuid, ticket_no, station, kind, actor, at)
    # The payload is JSON already (written by json.dumps): embed it as stored.
    try:
        # Every field a string (always, from the schema): quoted exactly as
        # json.dumps(..., ensure_ascii=False) quotes it, without the dict.
        return _EVENT_TEMPLATE.format(*map(_json_string, fields), payload_text)
    except TypeError:
        head = json.dumps(
            dict(zip(_EVENT_FIELDS, fields, strict=True)),
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return head[:-1] + ',"payload":' + payload_text + "}"


class SyncEngine:
    """Push and pull for one station.

    ``SyncEngine(settings).run_once(deadline_seconds=20)`` returns a
    SyncResult; ``result.retry_in`` is the wait before the next call (the
    sync interval after success, a jittered backoff after a failure).
    One run at a time per station database: an OS lock on a file beside it
    (released by the kernel even on SIGKILL) keeps the outbox order.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        rng: random.Random | None = None,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.central = settings.central
        self._now = now or (lambda: datetime.now(settings.zone))
        self.client = CentralClient(settings, session, now=self._now)
        # One client (HTTP session) per push stream: a session is not shared
        # between threads.
        self.clients = [self.client] + [
            CentralClient(settings, now=self._now) for _ in range(PUSH_STREAMS - 1)
        ]
        self.rng = rng or random.Random()
        self._monotonic = monotonic
        self.failures = 0
        self.batch_size = self.central.batch_size
        self._lock = threading.Lock()
        self.lock_path = settings.database_path.with_name(
            settings.database_path.name + ".sync-lock"
        )

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def now(self) -> datetime:
        return self._now().astimezone(self.settings.zone)

    # The one entry point -------------------------------------------------

    def run_once(
        self,
        deadline_seconds: float | None = None,
        *,
        respect_schedule: bool = True,
        wait_for_lock: bool = False,
    ) -> SyncResult:
        """Push every due outbox event, then pull until the central has no more.

        Stops at the first failure or when ``deadline_seconds`` have passed.
        With ``respect_schedule`` (the default) nothing is sent before the
        retry time a failure set (backoff, Retry-After) nor a refused event
        before its own; False is an explicit "sync now". When another process
        is syncing this database the call returns at once (``busy``), or
        waits for it with ``wait_for_lock``.
        """
        started = self._monotonic()
        result = SyncResult()
        if not self.central.url:
            result.error = "no central endpoint is configured ([central] url)"
            result.retry_in = self.central.sync_interval
            return result
        deadline = None if deadline_seconds is None else started + deadline_seconds
        with self._lock, thread_connection(), _FileLock(self.lock_path) as lock:
            if not lock.acquire(wait_for_lock):
                result.busy = True
                result.retry_in = self.central.sync_interval
                result.pending = self._safe_pending()
                result.seconds = self._monotonic() - started
                return result
            self._run_locked(result, deadline, respect_schedule)
            self._record_skew()
            result.pending = self._safe_pending()
        if result.ok and result.rejected:
            result.error = (
                f"{result.rejected} events were refused by the central and wait "
                f"in the outbox: {result.rejected_reason}"
            )
        result.seconds = self._monotonic() - started
        if result.error:
            log.warning("sync failed: %s", redact(result.error, self.central.api_key))
        elif result.pushed or result.pulled:
            log.info("sync: %s", result.summary())
        return result

    def _run_locked(
        self, result: SyncResult, deadline: float | None, respect_schedule: bool
    ) -> None:
        push = _PushOutcome()
        pulled = _PullOutcome()
        try:
            if respect_schedule:
                waiting = self._seconds_until_retry()
                if waiting > 0:
                    result.retry_in = waiting
                    result.waiting = True
                    return
            try:
                self._push_all(push, deadline, respect_schedule)
                if push.complete:
                    self._pull_all(pulled, deadline)
            finally:
                # What was done before a failure counts too.
                result.pushed = push.pushed
                result.duplicates = push.duplicates
                result.rejected = push.rejected
                result.rejected_reason = push.rejected_reason
                result.pulled = pulled.pulled
                result.skipped = pulled.skipped
                result.complete = push.complete and pulled.complete
            self._record_success()
            self.failures = 0
            result.retry_in = self.central.sync_interval if result.complete else 0.0
        except SyncError as error:
            delay = self._retry_delay(error)
            self.failures += 1
            result.error = error.message
            result.retry_after = error.retry_after
            result.retry_in = delay
            self._record_failure(error, delay)
        except (PeeweeException, sqlite3.Error) as error:
            result.error = describe_database_error(error, self.settings.database_path)
            result.retry_in = self._retry_delay(None)
            self.failures += 1

    def run_forever(self, stop: threading.Event) -> None:
        """The daemon loop: sync, then wait ``retry_in`` (or until ``stop``)."""
        log.info("sync daemon started for %s", display_url(self.central.url))
        while not stop.is_set():
            result = self.run_once(
                self.central.connect_timeout + self.central.read_timeout * 4
            )
            if stop.wait(result.retry_in):
                break
        log.info("sync daemon stopped")

    # Push ----------------------------------------------------------------

    def _push_all(
        self, outcome: _PushOutcome, deadline: float | None, respect_schedule: bool
    ) -> None:
        """Send the due outbox, oldest first, in PUSH_STREAMS parallel streams.

        The central needs each ticket's events in the order they were made,
        and nothing about two tickets' events: so each ticket belongs to one
        stream (by its id), and a stream sends its batches one at a time, the
        next only after the last was answered. The streams run side by side
        (the central's database work for one overlaps the other's parsing),
        but only after a first batch got through, so a central that fails
        sees one request, not one per stream. The station's own work overlaps
        the waits: when a batch goes out, the stream's last answered batch
        is marked sent and the new one's attempt counted (one transaction),
        then its next batch is read. The run never returns with a request
        still in flight.
        """
        streams = [_Stream(index, client) for index, client in enumerate(self.clients)]
        failure: _BatchFailed | None = None
        stopped = False
        probing = True  # one request at a time until a first batch got through
        with ThreadPoolExecutor(len(streams), thread_name_prefix="kiosk-sync") as pool:
            try:
                for stream in streams:
                    stream.upcoming = self._read_batch(stream, 0, respect_schedule)
                while True:
                    if deadline is not None and self._monotonic() >= deadline:
                        stopped = True
                    for stream in [] if stopped else streams:
                        if probing and any(s.in_flight for s in streams):
                            break
                        if stream.in_flight is None and stream.upcoming.rows:
                            self._start(stream, pool, respect_schedule)
                    waiting = [s.in_flight for s in streams if s.in_flight is not None]
                    if not waiting:
                        break
                    wait(waiting, return_when=FIRST_COMPLETED)
                    for stream in streams:
                        if stream.in_flight is None or not stream.in_flight.done():
                            continue
                        try:
                            if self._settle(stream, outcome):
                                probing = False
                        except _BatchFailed as error:
                            failure = failure or error
                            stopped = True
                if failure is not None:
                    raise failure
                outcome.complete = not stopped
            finally:
                self._mark_sent(
                    [row for s in streams if s.answered for row in s.answered.rows]
                )

    def _start(
        self, stream: _Stream, pool: ThreadPoolExecutor, respect_schedule: bool
    ) -> None:
        """Put the stream's next batch on the wire, then read the one after."""
        batch = stream.upcoming
        stream.sending = batch
        stream.in_flight = pool.submit(stream.client.push, batch.body())
        self._record_progress(stream.answered, batch)
        stream.answered = None
        stream.upcoming = self._read_batch(
            stream, batch.rows[-1].outbox_id, respect_schedule
        )

    def _settle(self, stream: _Stream, outcome: _PushOutcome) -> bool:
        """Handle the answer to the stream's batch; True when it was a 200."""
        assert stream.in_flight is not None and stream.sending is not None
        batch, in_flight = stream.sending, stream.in_flight
        stream.sending = stream.in_flight = None
        try:
            reply = in_flight.result()
        except SyncError as error:
            self._refused(batch, error, outcome, stream.client)
            return False
        self._accepted(batch, reply, outcome)
        stream.answered = batch
        return True

    def _read_batch(
        self, stream: _Stream, after_id: int, respect_schedule: bool
    ) -> _Batch:
        """The stream's next events to send after ``after_id``, oldest first.

        Only one sync runs per station database (the file lock), so reading
        outside a write transaction cannot race another pusher.
        """
        moment = iso_time(self.now())
        rows = database.execute_sql(
            _PENDING_SQL,
            (
                after_id,
                0 if respect_schedule else 1,
                moment,
                len(self.clients),
                stream.index,
                self.batch_size,
            ),
        ).fetchall()
        batch = _Batch()
        size = 0
        for row in rows:
            body = _event_json(row)
            size += len(body.encode("utf-8")) + 1
            if batch.rows and size > MAX_BODY_BYTES:
                break
            batch.rows.append(_Row(row[0], row[1], body))
        return batch

    def _record_progress(self, answered: _Batch | None, sending: _Batch) -> None:
        """Mark the answered batch sent and count the attempt of the one being
        sent, in one transaction."""
        moment = iso_time(self.now())
        with write_transaction():
            if answered is not None:
                self._update_sent(answered.rows, moment)
            for chunk in _chunks([row.outbox_id for row in sending.rows]):
                database.execute_sql(
                    "UPDATE outbox SET attempts = attempts + 1 "
                    f"WHERE id IN ({','.join('?' * len(chunk))})",
                    tuple(chunk),
                )

    def _send(
        self, batch: _Batch, outcome: _PushOutcome, client: CentralClient
    ) -> None:
        """Send a batch now and settle it (the slow path, for split batches)."""
        try:
            reply = client.push(batch.body())
        except SyncError as error:
            self._refused(batch, error, outcome, client)
            return
        self._accepted(batch, reply, outcome)
        self._mark_sent(batch.rows)

    def _accepted(
        self, batch: _Batch, reply: dict[str, Any], outcome: _PushOutcome
    ) -> None:
        """Count a 200; the caller marks the batch sent."""
        stored = _uuid_list(reply, "stored")
        duplicates = _uuid_list(reply, "duplicates")
        # After a 200 the central holds every event of the batch.
        outcome.pushed += len(batch.rows)
        outcome.duplicates += len(duplicates - stored)

    def _refused(
        self,
        batch: _Batch,
        error: SyncError,
        outcome: _PushOutcome,
        client: CentralClient,
    ) -> None:
        """A failed batch: raise to stop the run, or split it on 413/422/403
        to find the events at fault (through the stream's own client)."""
        if error.transient or error.status in (401, 403):
            # 403: a misconfigured station; keep the batch, back off.
            raise _BatchFailed(error, batch.rows) from None
        if outcome.rejected >= MAX_REJECTED_PER_RUN:
            raise _BatchFailed(error, batch.rows) from None
        if len(batch.rows) > 1:
            if error.status == 413:
                self.batch_size = max(1, len(batch.rows) // 2)
            middle = len(batch.rows) // 2
            self._send(_Batch(batch.rows[:middle]), outcome, client)
            self._send(_Batch(batch.rows[middle:]), outcome, client)
            return
        # One event the central will not take: park it for the longest
        # backoff, report it, and carry on with the rest.
        self._reschedule(batch.rows, error.message, self.central.backoff_cap)
        outcome.rejected += 1
        outcome.rejected_reason = error.message
        log.warning(
            "event %s refused: %s",
            batch.rows[0].uuid,
            redact(error.message, self.central.api_key),
        )

    def _mark_sent(self, rows: Sequence[_Row]) -> None:
        if not rows:
            return
        with write_transaction():
            self._update_sent(rows, iso_time(self.now()))

    @staticmethod
    def _update_sent(rows: Sequence[_Row], moment: str) -> None:
        for chunk in _chunks([row.outbox_id for row in rows]):
            database.execute_sql(
                "UPDATE outbox SET sent_at = ?, next_attempt_at = NULL, "
                "last_error = NULL WHERE sent_at IS NULL AND id IN "
                f"({','.join('?' * len(chunk))})",
                (moment, *chunk),
            )

    def _reschedule(self, rows: Sequence[_Row], message: str, delay: float) -> None:
        when = iso_time(self.now() + timedelta(seconds=delay))
        text = redact(message, self.central.api_key)
        ids = [row.outbox_id for row in rows]
        with write_transaction():
            for chunk in _chunks(ids):
                database.execute_sql(
                    "UPDATE outbox SET next_attempt_at = ?, last_error = ? "
                    f"WHERE sent_at IS NULL AND id IN ({','.join('?' * len(chunk))})",
                    (when, text, *chunk),
                )

    # Pull ----------------------------------------------------------------

    def _pull_all(self, outcome: _PullOutcome, deadline: float | None) -> None:
        limit = max(1, min(self.central.batch_size, PULL_LIMIT))
        while True:
            if deadline is not None and self._monotonic() >= deadline:
                return
            cursor = get_value(CURSOR_KEY)
            reply = self.client.pull(cursor, limit)
            events = reply.get("events")
            next_cursor = reply.get("cursor")
            if not isinstance(events, list) or not (
                next_cursor is None or isinstance(next_cursor, str)
            ):
                raise SyncError("the central sent a pull answer of an unexpected shape")
            applied = apply_pulled_events(
                self.settings,
                [event for event in events if isinstance(event, dict)],
                next_cursor,
            )
            outcome.pulled += applied.pulled
            outcome.skipped += applied.skipped + sum(
                1 for event in events if not isinstance(event, dict)
            )
            if not reply.get("more") or not events:
                outcome.complete = True
                return

    # State kept in the database -------------------------------------------

    def pending_count(self) -> int:
        row = database.execute_sql(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
        ).fetchone()
        return int(row[0])

    def _safe_pending(self) -> int:
        try:
            return self.pending_count()
        except (PeeweeException, sqlite3.Error):
            return -1

    def _seconds_until_retry(self) -> float:
        value = get_value(RETRY_AT_KEY)
        if not value:
            return 0.0
        try:
            moment = parse_time(value, self.settings)
        except ValueError:
            return 0.0
        return max(0.0, (moment - self.now()).total_seconds())

    def _record_skew(self) -> None:
        """Keep the newest measurement of the box's clock against the
        central's, from any answer of this run (a refusal carries it too)."""
        readings = [client.skew for client in self.clients if client.skew]
        if not readings:
            return
        newest = max(readings, key=lambda reading: reading.monotonic)
        for client in self.clients:
            client.skew = None
        try:
            with write_transaction():
                record_skew(newest)
        except (PeeweeException, sqlite3.Error) as error:
            log.warning("cannot record the clock's skew: %s", error)
            return
        if abs(newest.seconds) > self.central.clock_skew_limit:
            log.warning(
                "the box's clock is %.0f s %s the central's",
                abs(newest.seconds),
                "behind" if newest.seconds > 0 else "ahead of",
            )

    def _record_success(self) -> None:
        with write_transaction():
            set_value(LAST_OK_KEY, iso_time(self.now()))
            KeyValue.delete().where(
                KeyValue.key.in_([LAST_ERROR_KEY, LAST_ERROR_AT_KEY, RETRY_AT_KEY])
            ).execute()

    def _record_failure(self, error: SyncError, delay: float) -> None:
        """Note the failure and when to try again, for every process to see."""
        moment = self.now()
        retry_at = iso_time(moment + timedelta(seconds=delay))
        message = redact(error.message, self.central.api_key)
        rows = error.rows if isinstance(error, _BatchFailed) else []
        try:
            with write_transaction():
                set_value(LAST_ERROR_KEY, message)
                set_value(LAST_ERROR_AT_KEY, iso_time(moment))
                set_value(RETRY_AT_KEY, retry_at)
                ids = [row.outbox_id for row in rows]
                for chunk in _chunks(ids):
                    database.execute_sql(
                        "UPDATE outbox SET next_attempt_at = ?, last_error = ? "
                        "WHERE sent_at IS NULL AND id IN "
                        f"({','.join('?' * len(chunk))})",
                        (retry_at, message, *chunk),
                    )
        except (PeeweeException, sqlite3.Error) as db_error:
            log.warning("cannot record the sync failure: %s", db_error)

    def _retry_delay(self, error: SyncError | None) -> float:
        """The wait after a failure; counts the failure being handled."""
        delay = backoff_delay(
            self.failures + 1,
            self.central.backoff_base,
            self.central.backoff_cap,
            self.rng,
        )
        if error is not None and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return delay


class _BatchFailed(SyncError):
    """A transient failure while sending these rows."""

    def __init__(self, error: SyncError, rows: Sequence[_Row]) -> None:
        super().__init__(
            error.message,
            transient=error.transient,
            status=error.status,
            retry_after=error.retry_after,
        )
        self.rows = list(rows)


class _FileLock:
    """An exclusive flock on a file beside the database, one run at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> _FileLock:
        return self

    def acquire(self, wait: bool) -> bool:
        self.handle = open(self.path, "ab")  # closed in __exit__
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(self.handle.fileno(), flags)
        except BlockingIOError:
            return False
        return True

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()  # closing the file releases the lock
            self.handle = None


def _uuid_list(reply: dict[str, Any], key: str) -> set[str]:
    value = reply.get(key, [])
    if not isinstance(value, list):
        raise SyncError(f"the central's push answer has no list {key!r}")
    return {str(item) for item in value}
