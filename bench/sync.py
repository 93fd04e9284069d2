"""Draining a sync backlog: 10,000 demo tickets with all their events.

A real ``kiosk-central`` runs on 127.0.0.1 (SQLite, then PostgreSQL when the
local server answers); the station's outbox is loaded with ``kiosk demo load
--pending`` and drained by ``SyncEngine.run_once``. Baselines from the same
run: a raw SQLite read of the outbox (the station's floor) and raw HTTP POSTs
of the same request bodies, one after another, to a fresh central (the
central's floor for a single stream; the engine pushes two streams of tickets
side by side, so it can beat it). Batches are the central's default limit.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory

import requests

from bench.services import Unavailable, running_central, scratch_database
from bench.stats import emit, note, ratio
from central.schemas import DEFAULT_MAX_BATCH
from kiosk.demo import DemoReport

BENCH = "sync"
TICKETS = 10_000
BATCH = DEFAULT_MAX_BATCH  # the central's default batch limit
TARGETS = {"sqlite": 2.0, "postgresql": 3.0}


def run(tickets: int = TICKETS) -> None:
    from db import database, open_database
    from kiosk.config import load_settings
    from kiosk.demo import load_demo

    with TemporaryDirectory(prefix="kiosk-bench-sync-") as folder:
        scratch = Path(folder)
        template = scratch / "template.db"
        config = _station_config(scratch, template, "PHY3", "http://127.0.0.1:1", "")
        settings = load_settings(config)
        open_database(template)
        note(f"sync: loading {tickets:,} demo tickets with their events")
        report = load_demo(settings, tickets, pending=True, seed=1)
        database.close()
        emit(
            BENCH,
            "demo_load_tickets_per_s",
            report.tickets_per_second,
            unit="tickets/s",
            tickets=report.tickets,
            events=report.events,
            seconds=report.seconds,
        )
        read_seconds, bodies = _raw_outbox_read(template)
        emit(
            BENCH,
            "raw_outbox_read_s",
            read_seconds,
            unit="s",
            events=report.events,
            measures="one SQLite read of the pending outbox joined to events and "
            "tickets, bodies built (the station's floor)",
        )
        for backend in ("sqlite", "postgresql"):
            try:
                # Two fresh centrals, one after the other: one for the raw
                # baseline, one for sync (the first one gone, database and
                # all, so its leftovers cost the second nothing).
                with _central(scratch, backend) as (raw_url, raw_db_url):
                    raw_post = _raw_post(raw_url, raw_db_url, bodies)
                with _central(scratch, backend) as (url, db_url):
                    _measure(scratch, template, backend, url, db_url, raw_post, report)
                    emit(
                        BENCH,
                        f"raw_post_{backend}_s",
                        raw_post,
                        unit="s",
                        events=report.events,
                        requests=len(bodies),
                        measures="the same request bodies POSTed one after "
                        "another with requests.Session to a fresh central (the "
                        "central's floor for one stream)",
                    )
            except Unavailable as error:
                note(f"sync: {backend} skipped: {error}")
                emit(BENCH, f"{backend}_skipped", str(error))


def _measure(
    scratch: Path,
    template: Path,
    backend: str,
    url: str,
    db_url: str,
    raw_post: float,
    report: DemoReport,
) -> None:
    from db import database, open_database
    from kiosk.config import load_settings
    from kiosk.sync.engine import SyncEngine

    code = "PHY3"
    key = _add_station(db_url, code)
    station_db = scratch / f"station-{backend}.db"
    shutil.copy(template, station_db)
    config = _station_config(scratch, station_db, code, url, key)
    settings = load_settings(config)
    settings = replace(settings, central=replace(settings.central, batch_size=BATCH))
    open_database(station_db)
    engine = SyncEngine(settings)
    note(f"sync: draining the backlog to the {backend} central")
    os.sync()  # the disk's backlog (demo load, last central) is not timed
    started = time.perf_counter()
    result = engine.run_once(respect_schedule=False)
    drained = time.perf_counter() - started
    engine.close()
    database.close()
    target = TARGETS[backend]
    emit(
        BENCH,
        f"drain_{backend}_s",
        drained,
        unit="s",
        events=result.pushed,
        tickets=report.tickets,
        events_per_s=result.pushed / drained if drained else None,
        pending_after=result.pending,
        error=result.error,
        measures="SyncEngine.run_once: read, POST, mark sent (two ticket "
        "streams, one batch in flight each), then pull",
        baseline=f"raw_post_{backend}_s",
        baseline_value=raw_post,
        ratio=ratio(drained, raw_post),
        target=f"< {target:g} s",
        meets_target=drained < target and result.ok and result.pending == 0,
    )


def _raw_outbox_read(path: Path) -> tuple[float, list[bytes]]:
    from kiosk.sync.engine import _PENDING_SQL, _event_json

    started = time.perf_counter()
    connection = sqlite3.connect(path)
    rows = connection.execute(_PENDING_SQL, (0, 1, "", 1, 0, 10**9)).fetchall()
    connection.close()
    bodies = []
    for start in range(0, len(rows), BATCH):
        inner = ",".join(_event_json(row) for row in rows[start : start + BATCH])
        bodies.append(('{"events":[' + inner + "]}").encode())
    return time.perf_counter() - started, bodies


def _raw_post(url: str, db_url: str, bodies: list[bytes]) -> float:
    key = _add_station(db_url, "PHY3")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    session.headers["Content-Type"] = "application/json"
    os.sync()  # as for the drain
    started = time.perf_counter()
    for body in bodies:
        answer = session.post(url + "/api/v1/events", data=body, timeout=120)
        answer.raise_for_status()
    return time.perf_counter() - started


def _station_config(
    folder: Path, database: Path, code: str, url: str, key: str
) -> Path:
    from kiosk.config import render_config

    path = folder / f"{code}-{database.stem}.toml"
    text = render_config(path, code, "", url, key)
    text = text.replace('path = "kiosk.db"', f'path = "{database}"')
    path.write_text(text, encoding="utf-8")
    return path


def _add_station(db_url: str, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "central", "--db", db_url, "station", "add", code]
        + ["--name", code],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise Unavailable(done.stderr.strip() or "station add failed")
    return done.stdout.strip().splitlines()[-1]


@contextmanager
def _central(scratch: Path, backend: str) -> Iterator[tuple[str, str]]:
    """A fresh central on a fresh database: its URL and its ``--db``."""
    with (
        scratch_database(backend, scratch, "kiosk_bench_sync") as db_url,
        running_central(db_url) as url,
    ):
        yield url, db_url
