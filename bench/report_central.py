"""``python -m bench report`` (its second part): the subdistrict's month.

A central database of BENCH_REPORT_STATIONS stations (default 300), each with
BENCH_REPORT_STATION_TICKETS tickets (default 1,000) over a year, written in
bulk with their facts (bench/report_data.py's tickets, the real fold), on
SQLite (cached in the user cache folder) and on PostgreSQL (a database on
127.0.0.1:5432 kept as the cache, by its size in its name). Then, in the
same run, ``kiosk-central report month`` for last month
(central.reports.subdistrict_month) against raw SQL counting the same
month's tickets by station, and the counts checked to agree.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import platformdirs

from bench.report_data import make_ticket, received_times
from bench.services import PG_ADMIN, Unavailable
from bench.stats import emit, note
from central.db import CentralDatabase, parse_target
from central.reports import subdistrict_month
from central.store.base import utc_text
from central.store.rows import fact_query
from kiosk.catalog import Catalog, load_catalog
from kiosk.config import DEMO_STATION
from kiosk.report_facts import (
    FACT_COLUMNS,
    UNIT_COLUMNS,
    fact_row,
    micros,
    rebuild_place_days,
    unit_rows,
)
from kiosk.reports import month_of, month_period, previous_month

BENCH = "report"
RUNS = 3
BUDGET_MS = 2000.0
ZONE = ZoneInfo("Asia/Shanghai")
ROWS_PER_STATEMENT = 500
TICKET_COLUMNS = (
    "uuid, ticket_no, station, queue_no, category, item, building, created_at, "
    "created_utc, unit, due_at, token, status, updated_at, source, public_id"
)
EVENT_COLUMNS = (
    "uuid, ticket_uuid, ticket_no, station, kind, actor, at, payload, origin, "
    "received_at"
)


def _station_codes(count: int) -> list[str]:
    return [f"S{number:03d}" for number in range(1, count + 1)]


def _rows(
    catalog: Catalog, stations: int, per_station: int, now: datetime
) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    """Batches of (tickets, events, facts, unit facts) rows, in time order."""
    pick = random.Random(13)
    codes = _station_codes(stations)
    buildings = [name for grid in DEMO_STATION.grids for name in grid.buildings]
    batch: tuple[list[tuple[Any, ...]], ...] = ([], [], [], [])
    for number, received in enumerate(
        received_times(pick, stations * per_station, 365, now), start=1
    ):
        made = make_ticket(
            pick, number, pick.choice(codes), received, catalog, buildings, now
        )
        row = made.row
        batch[0].append(
            (
                row["uuid"], row["ticket_no"], row["station"], "A001",
                row["category"], row["item"], row["building"], row["created_at"],
                received.astimezone(ZoneInfo("UTC")).replace(tzinfo=None).isoformat(),
                made.facts.unit, row["due_at"], "t", made.facts.status,
                made.last_at.isoformat(), "station",
                # Unique, as the central requires; not random (a bench).
                f"{number:020x}",
            )
        )  # fmt: skip
        batch[1].extend(
            (
                f"{row['uuid']}-{index}",
                row["uuid"],
                row["ticket_no"],
                row["station"],
                event["kind"],
                event["actor"],
                event["at"],
                event["payload"],
                "station",
                event["at"],
            )  # fmt: skip
            for index, event in enumerate(made.history)
        )
        batch[2].append(fact_row(made.facts, number, micros(made.last_at)))
        batch[3].extend(unit_rows(made.facts))
        if len(batch[0]) == 10_000:
            yield batch
            batch = ([], [], [], [])
    if batch[0]:
        yield batch


def _insert(db: CentralDatabase, table: str, columns: str, rows: list[Any]) -> None:
    width = len(columns.split(","))
    marks = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        part = rows[start : start + ROWS_PER_STATEMENT]
        db.execute(
            f"INSERT INTO {table} ({columns}) VALUES " + ", ".join([marks] * len(part)),
            [value for row in part for value in row],
        )


def _fill(
    dbs: list[CentralDatabase], stations: int, per_station: int, now: datetime
) -> None:
    catalog = load_catalog()
    for db in dbs:
        with db.write():
            for code in _station_codes(stations):
                db.execute(
                    "INSERT INTO station (code, name, key_hash, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (code, f"{code} 社区", f"bench-{code}", now.isoformat()),
                )
    written = 0
    for tickets, events, facts, units in _rows(catalog, stations, per_station, now):
        for db in dbs:
            with db.write():
                _insert(db, "ticket", TICKET_COLUMNS, tickets)
                _insert(db, "event", EVENT_COLUMNS, events)
                _insert(db, "ticket_fact", ", ".join(FACT_COLUMNS), facts)
                _insert(db, "unit_fact", ", ".join(UNIT_COLUMNS), units)
        written += len(tickets)
        print(f"bench report: central {written:,} tickets", file=sys.stderr, flush=True)
    for db in dbs:
        with db.write():
            rebuild_place_days(fact_query(db))
        db.execute("ANALYZE")


def _open(url: str) -> CentralDatabase:
    db = CentralDatabase(parse_target(url))
    db.open()
    return db


def _ticket_count(db: CentralDatabase) -> int:
    return int(db.rows("SELECT count(*) FROM ticket")[0][0])


def _postgres_url(name: str) -> str:
    """A PostgreSQL database kept as the bench's cache (made when missing)."""
    try:
        import psycopg2
    except ImportError as error:
        raise Unavailable("psycopg2 is not installed") from error
    try:
        admin = psycopg2.connect(PG_ADMIN, connect_timeout=5)
    except psycopg2.Error as error:
        raise Unavailable(f"no PostgreSQL at 127.0.0.1:5432: {error}") from error
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def _drop_postgres(name: str) -> None:
    import psycopg2

    admin = psycopg2.connect(PG_ADMIN, connect_timeout=5)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def _raw_counts(db: CentralDatabase, month: str) -> tuple[dict[str, int], float]:
    period = month_period(month, ZONE)
    started = time.perf_counter()
    with db.read():
        # By the indexed UTC text, as the central finds tickets by time.
        rows = db.rows(
            "SELECT station, count(*) FROM ticket WHERE created_utc >= ? "
            "AND created_utc < ? GROUP BY station",
            (utc_text(period.start.isoformat()), utc_text(period.end.isoformat())),
        )
    return {str(code): int(count) for code, count in rows}, (
        time.perf_counter() - started
    ) * 1000


def run() -> None:
    stations = int(os.environ.get("BENCH_REPORT_STATIONS", "300"))
    per_station = int(os.environ.get("BENCH_REPORT_STATION_TICKETS", "1000"))
    size = f"{stations}x{per_station}"
    sqlite_path = Path(platformdirs.user_cache_dir("station-kiosk")) / (
        f"bench-report-central-{size}.db"
    )
    pg_name = f"kiosk_bench_report_{size}"
    now = datetime.now(ZONE)
    month = previous_month(month_of(now, ZONE))
    targets: list[tuple[str, str]] = [("sqlite", f"sqlite:///{sqlite_path}")]
    try:
        targets.append(("postgresql", _postgres_url(pg_name)))
    except Unavailable as error:
        note(f"report/postgresql: skipped: {error}")
    dbs = {kind: _open(url) for kind, url in targets}
    wanted = stations * per_station
    stale = [kind for kind, db in dbs.items() if _ticket_count(db) != wanted]
    if stale:
        for kind in stale:
            dbs[kind].close()
            if kind == "sqlite":
                for name in (sqlite_path, Path(f"{sqlite_path}-wal"),
                             Path(f"{sqlite_path}-shm")):  # fmt: skip
                    name.unlink(missing_ok=True)
            else:
                _drop_postgres(pg_name)
                _postgres_url(pg_name)
            dbs[kind] = _open(dict(targets)[kind])
        note(f"writing {wanted:,} tickets of {stations} stations ({', '.join(stale)})")
        started = time.perf_counter()
        _fill([dbs[kind] for kind in stale], stations, per_station, now)
        note(f"written in {time.perf_counter() - started:.0f} s")
    catalog = load_catalog()
    for kind, db in dbs.items():
        timings = []
        raw_timings = []
        report: dict[str, Any] = {}
        raw: dict[str, int] = {}
        for _ in range(RUNS):
            started = time.perf_counter()
            report = subdistrict_month(db, catalog, month, now)
            timings.append((time.perf_counter() - started) * 1000)
            raw, elapsed = _raw_counts(db, month)
            raw_timings.append(elapsed)
        median = statistics.median(timings)
        emit(
            BENCH,
            f"subdistrict_month_ms_{kind}",
            median,
            budget=BUDGET_MS,
            ratio=median / BUDGET_MS,
            stations=stations,
            tickets=wanted,
            month=month,
            month_tickets=report["subdistrict"]["tickets"],
            raw_sql_ms=statistics.median(raw_timings),
            runs=RUNS,
            load_average=round(os.getloadavg()[0], 1),
        )
        figures = {
            code: entry["tickets"]
            for code, entry in report["stations"].items()
            if entry["tickets"]
        }
        emit(BENCH, f"subdistrict_counts_agree_{kind}", figures == raw)
        db.close()
