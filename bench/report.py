"""``python -m bench report``: the month's report on a large station.

Builds (once, then reuses) a station database of BENCH_REPORT_TICKETS
tickets (default 1,000,000, over BENCH_REPORT_DAYS days, default 365) at
BENCH_REPORT_DB (default in the user cache folder), written in bulk with their
facts (bench/report_data.py), then times, in the same run, ``kiosk report
month`` for last month (kiosk.report_sums.station_month: summed in SQL from
the stored facts) against raw SQL counting the same month's tickets, and
checks the two counts agree and that a sample of tickets folded again from
their events keeps the facts the bulk load wrote. Each figure is one JSON
line with its budget and ratio.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import platformdirs

from bench import report_central
from bench.report_data import generate
from bench.stats import emit, note
from db import database, open_database
from kiosk.catalog import load_catalog
from kiosk.config import DEMO_STATION, Settings
from kiosk.report_facts import (
    FACT_COLUMNS,
    facts_are_stale,
    refresh_station,
    station_query,
)
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


def _settings(wanted: int) -> Settings:
    default = Path(platformdirs.user_cache_dir("station-kiosk")) / (
        f"bench-report-{wanted}.db"
    )
    path = Path(os.environ.get("BENCH_REPORT_DB", str(default)))
    return Settings(station=DEMO_STATION, database_path=path)


def _prepare(settings: Settings, wanted: int, days: int, now: datetime) -> int:
    """The cached station of ``wanted`` tickets, built when missing or of
    another size."""
    path = settings.database_path
    if path.exists():
        open_database(path)
        have = int(database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0])
        if have == wanted and not facts_are_stale(station_query):
            return have
        database.close()
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            name.unlink(missing_ok=True)
    note(f"writing {wanted:,} tickets into {path}")
    open_database(path)
    started = time.perf_counter()
    generate(settings, load_catalog(), wanted, days, now, sys.stderr)
    note(f"written in {time.perf_counter() - started:.0f} s")
    return wanted


def _facts_match(sample: int = 300) -> bool:
    """Folding a sample of tickets again from their stored events (as each
    event's transaction does) leaves their facts as the bulk load wrote
    them."""
    columns = ", ".join(FACT_COLUMNS)
    uuids = [
        str(row[0])
        for row in database.execute_sql(
            "SELECT uuid FROM ticket ORDER BY random() LIMIT ?", (sample,)
        )
    ]
    marks = ", ".join("?" * len(uuids))
    select = f"SELECT {columns} FROM ticket_fact WHERE ticket_uuid IN ({marks}) "
    with database.atomic() as transaction:
        before = database.execute_sql(select + "ORDER BY 1", uuids).fetchall()
        refresh_station(uuids)
        after = database.execute_sql(select + "ORDER BY 1", uuids).fetchall()
        transaction.rollback()
    return len(before) == len(uuids) and before == after


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
    part = os.environ.get("BENCH_REPORT_PART", "all")
    if part in ("all", "station"):
        run_station()
    if part in ("all", "subdistrict"):
        report_central.run()


def run_station() -> None:
    wanted = int(os.environ.get("BENCH_REPORT_TICKETS", "1000000"))
    days = int(os.environ.get("BENCH_REPORT_DAYS", "365"))
    settings = _settings(wanted)
    now = datetime.now(settings.zone)
    month = previous_month(month_of(now, settings.zone))
    tickets = _prepare(settings, wanted, days, now)
    catalog = load_catalog()
    low, high = local_bounds(month_period(month, settings.zone))
    read_rows = int(
        database.execute_sql(
            "SELECT count(*) FROM ticket WHERE created_at >= ? AND created_at < ?",
            (low, high),
        ).fetchone()[0]
    )
    facts_match = _facts_match()
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
        load_average=round(os.getloadavg()[0], 1),
    )
    emit(BENCH, "counts_agree", report_count == raw_count, raw_sql=raw_count)
    emit(BENCH, "facts_equal_a_fold_from_events", facts_match)
    database.close()
