"""The station database opened after the resident kiosk's first paint.

``kiosk`` finds a current database (db.files.is_current) and leaves it to
``open_later``; the kiosk opens it right after its welcome screen is painted,
or sooner, at the first key or database worker (``open_pending``). peewee,
about 20 ms of imports, loads then.
"""

from __future__ import annotations

import threading
from pathlib import Path

_pending: Path | None = None
_pending_lock = threading.Lock()


def open_later(path: Path) -> None:
    """Open the database at ``path`` at the first ``open_pending``."""
    global _pending
    with _pending_lock:
        _pending = path


def open_pending() -> None:
    """Open the database that ``open_later`` left, once, from any thread;
    a no-op when none is waiting. Raises DatabaseUnavailable."""
    global _pending
    if _pending is None:
        return
    with _pending_lock:
        if _pending is None:
            return
        # peewee loads here, after the first paint (see the module's doc)
        from db.connection import open_database

        open_database(_pending)
        _pending = None
