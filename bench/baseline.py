"""The storage baseline: one raw sqlite3 INSERT in its own durable transaction.

Same settings as the station database (WAL, synchronous=FULL), a table shaped
like ``ticket`` with its unique keys and indexes, and one row per
``BEGIN IMMEDIATE ... COMMIT``: about the least any durable ticket write on
this disk can cost.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
import uuid
from datetime import datetime
from pathlib import Path

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS ticket (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE,
        ticket_no TEXT NOT NULL UNIQUE,
        queue_no TEXT NOT NULL,
        station TEXT NOT NULL,
        day TEXT NOT NULL,
        category TEXT NOT NULL,
        item TEXT NOT NULL,
        building TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        unit TEXT NOT NULL,
        due_at TEXT NOT NULL,
        token TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS ticket_created_at ON ticket (created_at)",
    "CREATE INDEX IF NOT EXISTS ticket_status ON ticket (status)",
)
INSERT = """INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category,
    item, building, description, created_at, status, unit, due_at, token)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""


class RawInsert:
    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=wal")
        self.connection.execute("PRAGMA synchronous=full")
        for statement in SCHEMA:
            self.connection.execute(statement)
        self.serial = 0

    def insert(self) -> None:
        self.serial += 1
        moment = datetime.now().astimezone().replace(microsecond=0).isoformat()
        row = (
            str(uuid.uuid4()),
            f"RAW-{self.serial:06d}-{secrets.token_hex(4)}",
            f"B{self.serial % 1000:03d}",
            "PHY3",
            moment[:10],
            "housing",
            "roof-leak",
            "3号楼",
            "顶层东户屋顶漏水，雨天滴到卧室。",
            moment,
            "received",
            "housing-office",
            moment,
            secrets.token_urlsafe(16),
        )
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            self.connection.execute(INSERT, row)
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def timed_insert(self) -> float:
        """One insert; its duration in seconds."""
        start = time.perf_counter()
        self.insert()
        return time.perf_counter() - start

    def close(self) -> None:
        self.connection.close()
