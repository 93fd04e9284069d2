"""A push before the writer takes it: parsed, checked and turned into rows.

None of that needs the database, and while a station drains a backlog it is
most of the central's CPU per push: for 2,000 events about 8 ms of JSON,
18 ms of validation and 13 ms of rows and checks, against about 18 ms of SQL.
On SQLite one writer thread stores every push in turn, and a second request
parsing in a thread of the same process takes the GIL from it for as long as
it parses. So a large push is prepared in an intake process (spawned, one or
more) while the central's own process writes the push before it. A small
push, a station's every-few-seconds handful of events, is prepared in the
request's own thread: the trip to a process would cost more than it saves.

An intake process that dies or overruns is replaced in the background; until
its replacement answers, pushes are prepared in their own threads. Nothing a
station sends is lost or refused for it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

from pydantic import ValidationError

from central.schemas import FieldError, PushBatch, field_errors
from central.store.base import Rejected
from central.store.push import PreparedPush, prepare_push
from kiosk.helper_process import HelperFailed, HelperProcess

# Bodies from this size up go to an intake process: about 200 real events.
HELPER_MIN_BODY = 64 * 1024
# A 4 MiB body is prepared in about 0.1 s; far longer means a stuck process.
PREPARE_TIMEOUT = 30.0
START_TIMEOUT = 60.0
MOST_PROCESSES = 4

log = logging.getLogger("kiosk-central")


def default_processes() -> int:
    """One per core beside the one the central's own process uses, at most
    MOST_PROCESSES; none on a single core, where a process only adds trips."""
    return max(0, min(MOST_PROCESSES, (os.cpu_count() or 1) - 1))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def parse_batch(body: bytes, max_batch: int) -> PushBatch:
    """The body of a push as a checked batch; Rejected (413, 422) if not."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise Rejected(
            422,
            "the body is not valid JSON",
            [FieldError(field="body", message=f"not valid UTF-8 JSON: {error}"[:200])],
        ) from error
    if isinstance(data, dict) and isinstance(data.get("events"), list):
        if len(data["events"]) > max_batch:
            raise Rejected(
                413,
                f"{len(data['events'])} events in one batch; at most {max_batch} "
                "are taken at once",
            )
    try:
        return PushBatch.model_validate(data)
    except ValidationError as error:
        raise Rejected(422, "some events are not valid", field_errors(error)) from error
    except RecursionError as error:
        raise Rejected(
            422,
            "the body is nested too deeply",
            [FieldError(field="body", message="nested too deeply")],
        ) from error


def prepare(
    body: bytes, max_batch: int, station: str, received_at: str
) -> PreparedPush | Rejected:
    """The push ready for ``central.store.push.write_push``, or why it is
    refused (handed back, not raised, so that it crosses from a process as
    plain data)."""
    try:
        return prepare_push(station, parse_batch(body, max_batch), received_at)
    except Rejected as error:
        return error


def start_up() -> int:
    """Run in a new intake process: load what ``prepare`` uses, so that the
    first real push does not wait for imports."""
    prepare(b'{"events": []}', 1, "PHY3", "2026-01-01T00:00:00+08:00")
    return os.getpid()


class Intake:
    """Prepares pushes: large ones in intake processes, small ones in place."""

    def __init__(self, max_batch: int, processes: int) -> None:
        self.max_batch = max_batch
        self.processes = processes
        self.helper = HelperProcess("push intake", processes) if processes else None
        self.ready = threading.Event()
        self._starting = threading.Lock()
        self._closed = False
        # Pushes prepared in an intake process and in the request's thread.
        self.in_process = 0
        self.in_place = 0

    @property
    def state(self) -> str:
        """For /healthz: ``ready``, ``starting`` or ``off``."""
        if self.helper is None:
            return "off"
        return "ready" if self.ready.is_set() else "starting"

    def start(self) -> None:
        """Start the intake processes in the background; pushes are prepared
        in place until they answer."""
        if self.helper is None or self._closed:
            return
        if not self._starting.acquire(blocking=False):
            return  # already starting
        threading.Thread(
            target=self._start, name="central-intake-start", daemon=True
        ).start()

    def _start(self) -> None:
        assert self.helper is not None
        try:
            # One call per process: each new process loads what it needs.
            calls = [
                threading.Thread(target=self._start_one, daemon=True)
                for _ in range(self.processes)
            ]
            for call in calls:
                call.start()
            for call in calls:
                call.join()
        finally:
            self._starting.release()

    def _start_one(self) -> None:
        assert self.helper is not None
        try:
            self.helper.call(START_TIMEOUT, start_up)
        except HelperFailed as error:
            log.warning("kiosk-central: %s; pushes are prepared in place", error)
            return
        if not self._closed:
            self.ready.set()

    def prepare(self, body: bytes, station: str, received_at: str) -> PreparedPush:
        """The push ready to write; raises Rejected for a refused one."""
        outcome: PreparedPush | Rejected | None = None
        if self.helper is not None and self.ready.is_set():
            if len(body) >= HELPER_MIN_BODY:
                try:
                    outcome = self.helper.call(
                        PREPARE_TIMEOUT,
                        prepare,
                        body,
                        self.max_batch,
                        station,
                        received_at,
                    )
                    self.in_process += 1
                except HelperFailed as error:
                    log.warning("kiosk-central: %s; starting a new one", error)
                    self.ready.clear()
                    self.start()
        if outcome is None:
            outcome = prepare(body, self.max_batch, station, received_at)
            self.in_place += 1
        if isinstance(outcome, Rejected):
            raise outcome
        return outcome

    def close(self) -> None:
        self._closed = True
        self.ready.clear()
        if self.helper is not None:
            # Waits for a push being prepared (a tenth of a second at most):
            # the pool's queues are then released, not left to the exit.
            self.helper.close(wait=True)
