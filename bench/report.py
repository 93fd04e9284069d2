"""``python -m bench report``: the month's report on a large station.

Builds (once, then reuses) a station database of BENCH_REPORT_TICKETS demo
tickets (default 1,000,000, over BENCH_REPORT_DAYS days, default 365) at
BENCH_REPORT_DB (default in the user cache folder), then times, in the same
run, ``kiosk report month`` for last month (kiosk.reports.station_month: read
and compute) against raw SQL counting the same month's tickets, and checks the
two counts agree. Each figure is one JSON line with its budget and ratio.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import platformdirs

from bench.stats import emit, note
from db import database, open_database
from kiosk.catalog import load_catalog
from kiosk.config import DEMO_STATION, Settings
from kiosk.report_sums import station_month
from kiosk.reports import (
    local_bounds,
    month_of,
    month_period,
    previous_month,
)

BENCH = "report"
RUNS = 5
BUDGET_MS = 500.0


def _settings() -> Settings:
    default = Path(platformdirs.user_cache_dir("station-kiosk")) / "bench-report.db"
    path = Path(os.environ.get("BENCH_REPORT_DB", str(default)))
    return Settings(station=DEMO_STATION, database_path=path)


def _prepare(settings: Settings, wanted: int, days: int) -> int:
    open_database(settings.database_path)
    have = int(database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0])
    if have < wanted:
        # Only when the database is to be built: the demo maker is large.
        from kiosk.demo import load_demo

        note(f"loading {wanted - have:,} demo tickets into {settings.database_path}")
        load_demo(settings, wanted - have, days=days, seed=11, progress=sys.stderr)
        have = wanted
    return have


def _raw_count(settings: Settings, month: str) -> tuple[int, float]:
    """The month's tickets by plain SQL, and milliseconds, on a fresh
    connection."""
    period = month_period(month, settings.zone)
    database.close()
    started = time.perf_counter()
    with database.connection_context():
        count = int(
            database.execute_sql(
                "SELECT count(*) FROM ticket WHERE created_at >= ? AND created_at < ?",
                (period.start.isoformat(), period.end.isoformat()),
            ).fetchone()[0]
        )
    return count, (time.perf_counter() - started) * 1000


def run() -> None:
    settings = _settings()
    wanted = int(os.environ.get("BENCH_REPORT_TICKETS", "1000000"))
    days = int(os.environ.get("BENCH_REPORT_DAYS", "365"))
    tickets = _prepare(settings, wanted, days)
    now = datetime.now(settings.zone)
    month = previous_month(month_of(now, settings.zone))
    catalog = load_catalog()
    low, high = local_bounds(month_period(month, settings.zone))
    read_rows = int(
        database.execute_sql(
            "SELECT count(*) FROM ticket WHERE created_at >= ? AND created_at < ?",
            (low, high),
        ).fetchone()[0]
    )
    report_ms = []
    raw_ms = []
    report_count = raw_count = 0
    for _ in range(RUNS):
        database.close()
        started = time.perf_counter()
        with database.connection_context():
            report = station_month(settings, catalog, month, now)
        report_ms.append((time.perf_counter() - started) * 1000)
        report_count = int(report["tickets"])
        raw_count, elapsed = _raw_count(settings, month)
        raw_ms.append(elapsed)
    median = statistics.median(report_ms)
    emit(
        BENCH,
        "month_report_ms",
        median,
        budget=BUDGET_MS,
        ratio=median / BUDGET_MS,
        station_tickets=tickets,
        month=month,
        month_tickets=report_count,
        tickets_read=read_rows,
        raw_sql_ms=statistics.median(raw_ms),
        runs=RUNS,
    )
    emit(BENCH, "counts_agree", report_count == raw_count, raw_sql=raw_count)
    database.close()
