"""Printing in a helper process, so the resident screen never carries it."""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import resource_tracker

from kiosk.config import Settings


@dataclass(frozen=True)
class PrintOutcome:
    ok: bool
    detail: str
    recorded: bool = True  # False: the print state still has to be saved


@contextlib.contextmanager
def _real_stderr() -> Iterator[None]:
    """Put the process's own stderr back for a moment: multiprocessing hands
    its file descriptor to its helper, and a UI may have swapped in a stream
    that has none."""
    saved = sys.stderr
    sys.stderr = sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = saved


def _print_in_child(settings: Settings, ticket_no: str) -> PrintOutcome:
    """Runs in the print process: open the database, print, record the state."""
    from db import database, open_database
    from kiosk.printing import print_ticket

    open_database(settings.database_path)
    try:
        return print_ticket(settings, ticket_no)
    finally:
        database.close()


class PrintProcess:
    """A long-lived helper process that does the kiosk's printing.

    Pillow, the CJK font and the printer's I/O stay out of the resident
    screen's process: its memory stays small, its UI thread never waits on
    the GIL behind a render, and a printer driver that hangs or crashes
    cannot take the screen with it. The process starts on the first ticket
    and is replaced if it dies.
    """

    START_SECONDS = 30.0  # allowance for starting the process the first time

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def print(self, settings: Settings, ticket_no: str) -> PrintOutcome:
        try:
            with self._lock:
                if self._pool is None:
                    with _real_stderr():
                        resource_tracker.ensure_running()
                    self._pool = ProcessPoolExecutor(
                        max_workers=1, mp_context=multiprocessing.get_context("spawn")
                    )
                pool = self._pool
            future = pool.submit(_print_in_child, settings, ticket_no)
        except (OSError, ValueError, RuntimeError) as error:
            return PrintOutcome(
                False, f"the print process cannot start: {error}", False
            )
        try:
            return future.result(timeout=settings.printer.timeout + self.START_SECONDS)
        except FutureTimeout:
            self._discard(pool)
            return PrintOutcome(
                False, "the print process did not finish in time", False
            )
        except BrokenProcessPool:
            self._discard(pool)
            return PrintOutcome(False, "the print process stopped unexpectedly", False)

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
