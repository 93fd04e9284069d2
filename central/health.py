"""The database's health, watched from a thread of its own so that
``/healthz`` answers at once, never queued behind busy request threads."""

from __future__ import annotations

import threading
import time

from central.db import CentralDatabase
from central.store.base import StoreUnavailable, ping

PING_EVERY = 1.0  # seconds between two pings
STALE_AFTER = 5.0  # a ping older than this (one that hangs) counts as down


class DatabaseWatch:
    def __init__(self, db: CentralDatabase) -> None:
        self.db = db
        self._answered_at: float | None = None  # monotonic, of the last ping
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name="central-db-watch", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def answering(self) -> bool:
        answered_at = self._answered_at
        return answered_at is not None and time.monotonic() - answered_at < STALE_AFTER

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ping(self.db)
            except StoreUnavailable:
                pass  # stays stale: /healthz says so
            else:
                self._answered_at = time.monotonic()
            self._stop.wait(PING_EVERY)
