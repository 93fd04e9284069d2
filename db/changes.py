"""Noticing commits made by any process, cheaply enough to ask often.

SQLite's ``PRAGMA data_version`` on a connection changes whenever another
connection commits to the file; asking it reads no table. The staff terminal
asks several times a second, so that a ticket issued at the kiosk shows on
the board at once rather than at the next poll.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


class ChangeWatcher:
    """A read-only connection of its own that tells whether anything was
    committed to the database since the last look."""

    def __init__(self, path: Path | str) -> None:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        # timeout=0: a busy database answers at once (SQLITE_BUSY) instead of
        # making the asker wait; check_same_thread=False: made and asked on
        # whichever thread owns the watcher.
        self.connection = sqlite3.connect(
            uri, uri=True, timeout=0, check_same_thread=False
        )
        self.version = self._read()

    def _read(self) -> int:
        return int(self.connection.execute("PRAGMA data_version").fetchone()[0])

    def changed(self) -> bool:
        """True once for each look after which something was committed."""
        version = self._read()
        if version == self.version:
            return False
        self.version = version
        return True

    def close(self) -> None:
        self.connection.close()
