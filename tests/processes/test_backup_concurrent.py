"""``kiosk backup`` while three processes write tickets: the copy passes its
integrity check and holds every ticket committed before the backup began."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

from db import database, open_database
from kiosk.config import DEMO_STATION, Settings, render_config
from kiosk.demo import load_demo
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 3


def _uuids(path: Path) -> set[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT uuid FROM ticket")}


def _count(path: Path) -> int:
    with sqlite3.connect(path, timeout=30) as connection:
        return int(connection.execute("SELECT count(*) FROM ticket").fetchone()[0])


def test_backup_while_three_processes_write(tmp_path):
    folder = tmp_path / "station"
    folder.mkdir()
    config = folder / "kiosk.toml"
    config.write_text(render_config(config, "PHY3", "", "", ""), encoding="utf-8")
    db_path = folder / "kiosk.db"
    # A database of some size, so the copy takes a while.
    open_database(db_path)
    load_demo(
        Settings(station=DEMO_STATION, database_path=db_path), 4000, days=60, seed=7
    )
    database.close()
    preloaded = _count(db_path)

    stop_file = tmp_path / "stop"
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.processes.ticket_writer"]
            + [str(db_path), str(stop_file), f"w{index}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(WRITERS)
    ]
    try:
        wait_until(lambda: _count(db_path) >= preloaded + 30, 60, "writers at work")
        committed_before = _uuids(db_path)
        backup_started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config)]
            + ["backup", str(tmp_path / "backups"), "--json"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        backup_ended = time.monotonic()
        count_after_backup = _count(db_path)
        wait_until(
            lambda: _count(db_path) >= count_after_backup + 10, 60, "writes after"
        )
    finally:
        stop_file.touch()
        outputs = [writer.communicate(timeout=60) for writer in writers]
    for writer, (_, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert "locked" not in err and "busy" not in err, err
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    copy = Path(report["path"])
    assert copy.parent == tmp_path / "backups"
    assert copy.name.startswith("PHY3-") and copy.suffix == ".db"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
    assert report["integrity"] == "ok"

    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    in_copy = _uuids(copy)
    assert report["tickets"] == len(in_copy)
    assert committed_before <= in_copy  # nothing committed before is missing
    assert in_copy <= _uuids(db_path)  # and nothing invented
    # The writers really wrote while the copy was being made.
    commit_times = [
        json.loads(line)["at"] for out, _ in outputs for line in out.splitlines()
    ]
    during = [at for at in commit_times if backup_started < at < backup_ended]
    assert during, "no ticket was committed while the backup ran"
    assert len(in_copy) < _count(db_path)
