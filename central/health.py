"""The database's health, watched from a thread of its own so that
``/healthz`` answers at once, never queued behind busy request threads; the
same thread closes a PostgreSQL pool's connections once they are idle."""

from __future__ import annotations

import sqlite3
import threading
import time

from peewee import PeeweeException
from playhouse.pool import MaxConnectionsExceeded

from central.db import CentralDatabase

PING_EVERY = 1.0  # seconds between two pings
STALE_AFTER = 5.0  # a ping older than this (one that hangs) counts as down


class DatabaseWatch:
    def __init__(self, db: CentralDatabase, idle_seconds: float = 60.0) -> None:
        self.db = db
        self.idle_seconds = idle_seconds  # then the pool's unused connections close
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
            if self._ping():
                self._answered_at = time.monotonic()
            self.db.close_idle(self.idle_seconds)
            self._stop.wait(PING_EVERY)

    def _ping(self) -> bool:
        """One ``SELECT 1``; not counted as use, so an idle pool still closes."""
        db = self.db
        try:
            with db.read():
                db.rows("SELECT 1")
        except (PeeweeException, sqlite3.Error, OSError, MaxConnectionsExceeded):
            db.recover()
            return False  # stays stale: /healthz says so
        finally:
            db.release()
        return True
