"""``kiosk demo load`` killed mid-load: the database holds whole batches,
every trigger lifted for a batch is back, their work is done for what was
written, the process making the rows ends by itself, and the station loads
again."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from db import database, open_database
from kiosk.bulk import search_grams
from kiosk.config import DEMO_STATION, Settings, render_config
from kiosk.demo import BATCH_TICKETS, load_demo
from kiosk.search import BoardQuery, search_ids, tab_counts
from tests.helpers import FIXED_NOW, process_ended, wait_until

ROOT = Path(__file__).resolve().parents[2]


def _triggers() -> set[tuple[str, str]]:
    return {
        (str(name), str(sql))
        for name, sql in database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
    }


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(part) for part in text.split()]


def test_a_killed_demo_load_leaves_a_usable_station(tmp_path: Path) -> None:
    folder = tmp_path / "station"
    folder.mkdir()
    config = folder / "kiosk.toml"
    config.write_text(render_config(config, "PHY3", "", "", ""), encoding="utf-8")
    db_path = folder / "kiosk.db"
    open_database(db_path)
    triggers = _triggers()
    database.close()

    loading = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config)]
        + ["demo", "load", "--tickets", str(BATCH_TICKETS * 40), "--seed", "3"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert loading.stderr is not None
        first = loading.stderr.readline()  # written after the first batch
        assert first.startswith(f"demo: {BATCH_TICKETS:,}/"), first
        makers = _children(loading.pid)
        assert makers
        loading.send_signal(signal.SIGKILL)
        loading.wait(timeout=60)
    finally:
        if loading.poll() is None:
            loading.kill()
            loading.wait(timeout=60)
        loading.stderr.close()  # type: ignore[union-attr]
    # The process making the rows notices and ends (init reaps it).
    wait_until(
        lambda: all(process_ended(pid) for pid in makers), 30, "the rows' maker to end"
    )

    settings = Settings(station=DEMO_STATION, database_path=db_path)
    open_database(db_path)
    try:
        assert database.execute_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert _triggers() == triggers
        tickets = database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0]
        assert tickets > 0 and tickets % BATCH_TICKETS == 0  # whole batches
        assert tab_counts()["all"] == tickets
        folded = database.execute_sql(
            "SELECT count(*) FROM ticket_fact WHERE folded = 1"
        ).fetchone()[0]
        assert folded == tickets
        indexed = database.execute_sql(
            "SELECT count(*) FROM ticket_search WHERE ticket_search MATCH ?",
            (search_grams("PHY3")[:4],),
        ).fetchone()[0]
        assert indexed == tickets
        # The station loads again, and its next tickets are found.
        load_demo(settings, 50, seed=4, now=FIXED_NOW)
        after = database.execute_sql("SELECT count(*) FROM ticket").fetchone()[0]
        assert after == tickets + 50
        assert len(search_ids(BoardQuery(text="PHY3"), FIXED_NOW, cap=10**6)) == after
    finally:
        database.close()
