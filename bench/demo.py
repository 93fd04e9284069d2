"""``python -m bench demo``: the bulk path's load rate, ``kiosk demo load``.

For each size (BENCH_DEMO_SIZES, default ``10000,100000,1000000``) a fresh
station database is loaded with that many demo tickets (kiosk.demo.load_demo,
what ``kiosk demo load --tickets N`` runs), then, in the same run, the raw
SQLite baseline: the same number of ticket and event rows, already made,
inserted with executemany into bare tables of the same columns (no indexes
but the keys, no triggers, the same batches and pragmas), the least SQLite
itself can take for them. Each size is one JSON line: tickets per second,
the seconds (wall and CPU, with the child process that makes the rows), the
baseline's, their ratio, the load average over the last minute as it ended
(the machine's other work), and the budget (1,000,000 tickets in 300 s).

The databases go to a temporary folder (BENCH_DEMO_DIR to choose one; a
million tickets take about 3.5 GB, and 1.1 GB more for the baseline) and
are removed after each size.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.stats import emit, note, ratio
from db import database, open_database
from kiosk.config import DEMO_STATION, Settings
from kiosk.demo import BATCH_TICKETS, load_demo

BENCH = "demo"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
BUDGET_SECONDS_PER_MILLION = 300.0
SEED = 7

_BARE = (
    """CREATE TABLE ticket (id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE, ticket_no TEXT NOT NULL UNIQUE,
        queue_no TEXT, station TEXT, day TEXT, category TEXT, item TEXT,
        building TEXT, description TEXT, contact_name TEXT, contact_mobile TEXT,
        consent_at TEXT, created_at TEXT, status TEXT, unit TEXT, due_at TEXT,
        token TEXT, print_state TEXT, language TEXT)""",
    """CREATE TABLE ticket_event (id INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid TEXT NOT NULL UNIQUE, ticket_uuid TEXT, kind TEXT, actor TEXT,
        at TEXT, payload TEXT, origin TEXT)""",
)
_BARE_TICKET = "INSERT INTO ticket VALUES (NULL" + ", ?" * 19 + ")"
_BARE_EVENT = "INSERT INTO ticket_event VALUES (NULL, ?, ?, ?, ?, ?, ?, 'station')"


def _sizes() -> list[int]:
    text = os.environ.get("BENCH_DEMO_SIZES", "")
    if not text:
        return list(DEFAULT_SIZES)
    return [int(part) for part in text.split(",") if part.strip()]


def _children_cpu() -> float:
    """CPU seconds of this process's ended (waited for) children."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _load(folder: Path, tickets: int) -> tuple[float, float, int]:
    """``kiosk demo load``: wall and CPU seconds (the process making the rows
    counted in), and the events written."""
    settings = Settings(station=DEMO_STATION, database_path=folder / "kiosk.db")
    open_database(settings.database_path)
    try:
        wall, cpu = time.perf_counter(), time.process_time() + _children_cpu()
        report = load_demo(settings, tickets, seed=SEED)
        return (
            time.perf_counter() - wall,
            time.process_time() + _children_cpu() - cpu,
            report.events,
        )
    finally:
        database.close()


def _rows(
    tickets: int, events: int
) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """Rows shaped like the demo's (similar lengths), made before timing."""
    description = (
        "五巷3号楼2单元楼道里电梯故障，好几天了，老人出入很不方便，希望尽快处理。"
    )
    ticket_rows = [
        (
            f"00000000-0000-4000-8000-{number:012d}",
            f"PHY3-250101-{number:07d}",
            "A001",
            "PHY3",
            "2025-01-01",
            "housing",
            "lift",
            "五巷3号楼",
            description,
            None,
            None,
            None,
            "2025-01-01T09:30:00+08:00",
            "closed",
            "property",
            "2025-01-04T09:30:00+08:00",
            "Zm9vYmFyYmF6cXV4cXV1eA",
            "printed",
            "zh-CN",
        )
        for number in range(tickets)
    ]
    payload = '{"unit": "property", "text": "已现场处置完毕"}'
    event_rows = [
        (
            f"00000000-0000-4000-9000-{number:012d}",
            ticket_rows[number % tickets][0],
            "resolved",
            "staff:王芳",
            "2025-01-02T10:00:00+08:00",
            payload,
        )
        for number in range(events)
    ]
    return ticket_rows, event_rows  # type: ignore[return-value]


def _raw(folder: Path, tickets: int, events: int) -> tuple[float, float]:
    """The baseline: wall and CPU seconds for the same rows, bare."""
    ticket_rows, event_rows = _rows(tickets, events)
    connection = sqlite3.connect(folder / "raw.db", isolation_level=None)
    try:
        for pragma in (
            "journal_mode = wal",
            "synchronous = OFF",
            "cache_size = -262144",
        ):
            connection.execute(f"PRAGMA {pragma}")
        for statement in _BARE:
            connection.execute(statement)
        per_ticket = max(1, events // max(1, tickets))
        wall, cpu = time.perf_counter(), time.process_time()
        for start in range(0, tickets, BATCH_TICKETS):
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                _BARE_TICKET, ticket_rows[start : start + BATCH_TICKETS]
            )
            connection.executemany(
                _BARE_EVENT,
                event_rows[start * per_ticket : (start + BATCH_TICKETS) * per_ticket],
            )
            connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return time.perf_counter() - wall, time.process_time() - cpu
    finally:
        connection.close()


def run() -> None:
    root = os.environ.get("BENCH_DEMO_DIR") or None
    for tickets in _sizes():
        folder = Path(tempfile.mkdtemp(prefix="bench-demo-", dir=root))
        try:
            note(f"demo load of {tickets:,} tickets in {folder}")
            wall, cpu, events = _load(folder, tickets)
            note(f"raw SQLite baseline: {tickets:,} tickets, {events:,} events")
            raw_wall, raw_cpu = _raw(folder, tickets, events)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        budget = BUDGET_SECONDS_PER_MILLION * tickets / 1_000_000
        emit(
            BENCH,
            f"load_{tickets}",
            tickets / wall,
            unit="tickets/s",
            tickets=tickets,
            events=events,
            seconds=wall,
            cpu_seconds=cpu,
            raw_sqlite_seconds=raw_wall,
            raw_sqlite_cpu_seconds=raw_cpu,
            ratio=ratio(wall, raw_wall),
            cpu_ratio=ratio(cpu, raw_cpu),
            budget_seconds=budget,
            load_average=round(os.getloadavg()[0], 2),
            within_budget=wall <= budget,
        )
