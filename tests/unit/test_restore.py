"""``kiosk restore``: checked before, the replaced file kept, never while
another process has the database open."""

from __future__ import annotations

import gc
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from db import AuditLog, Ticket, database, open_database
from kiosk.backup import BackupError, make_backup
from kiosk.config import render_config
from kiosk.restore import RestoreError, processes_using, restore_backup
from tests.helpers import issue, wait_until


def _close() -> None:
    database.close()
    gc.collect()  # sqlite3 connections in reference cycles


def test_restore_puts_the_backup_back_and_keeps_the_replaced_file(
    settings, station_db, tmp_path
):
    kept = issue(settings)
    copy = make_backup(settings, tmp_path / "copies").check.path
    later = issue(settings)
    database.execute_sql("UPDATE outbox SET sent_at = 'x'")  # all sent
    _close()
    result = restore_backup(settings, copy)
    assert result.replaced is not None and result.replaced.is_file()
    assert result.replaced.name.startswith("kiosk.db.replaced-")
    with sqlite3.connect(result.replaced) as old:
        old_uuids = {row[0] for row in old.execute("SELECT uuid FROM ticket")}
    assert old_uuids == {kept.uuid, later.uuid}
    open_database(settings.database_path)
    assert [t.uuid for t in Ticket.select()] == [kept.uuid]
    mode = database.execute_sql("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    keys = database.execute_sql("SELECT key FROM key_value").fetchall()
    assert ("backup.station",) not in keys


def test_a_damaged_backup_is_refused_and_nothing_changes(
    settings, station_db, tmp_path
):
    issue(settings)
    bad = tmp_path / "PHY3-20260101T000000Z.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 5000)
    _close()
    with pytest.raises(BackupError):
        restore_backup(settings, bad)
    assert sorted(p.name for p in settings.database_path.parent.iterdir()) == [
        "kiosk.db"
    ]
    open_database(settings.database_path)
    assert Ticket.select().count() == 1


def test_restore_refuses_while_another_process_has_the_database(
    settings, station_db, tmp_path
):
    copy = make_backup(settings, tmp_path / "copies").check.path
    _close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
            "c.execute('SELECT 1 FROM ticket').fetchall(); print('open', flush=True); "
            "sys.stdin.read()",
            str(settings.database_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        assert processes_using(settings.database_path) == [holder.pid]
        with pytest.raises(RestoreError, match=f"process {holder.pid}"):
            restore_backup(settings, copy)
    finally:
        holder.communicate("")
    wait_until(lambda: not processes_using(settings.database_path), 10, "closed")
    restore_backup(settings, copy)
    open_database(settings.database_path)


def test_the_command_refuses_another_stations_backup_and_audits_a_restore(
    tmp_path,
):
    def kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    configs = {}
    for code in ("DTJ7", "PHY3"):
        folder = tmp_path / code
        folder.mkdir()
        configs[code] = folder / "kiosk.toml"
        configs[code].write_text(render_config(configs[code], code, "站", "", ""))
    other = kiosk(configs["DTJ7"], "backup", "--json")
    assert other.returncode == 0, other.stderr
    # An empty station's backup is stamped with its code all the same.
    other_copy = other.stdout.split('"path": "')[1].split('"')[0]
    refused = kiosk(configs["PHY3"], "restore", other_copy)
    assert refused.returncode == 1
    assert "belongs to station DTJ7, not to this station (PHY3)" in refused.stderr
    assert "Traceback" not in refused.stderr
    own = kiosk(configs["PHY3"], "backup", "--json")
    own_copy = own.stdout.split('"path": "')[1].split('"')[0]
    done = kiosk(configs["PHY3"], "restore", own_copy)
    assert done.returncode == 0, done.stderr
    assert "kept at" in done.stdout
    open_database(tmp_path / "PHY3" / "kiosk.db")
    try:
        actions = [row.action for row in AuditLog.select()]
    finally:
        database.close()
    assert actions == ["restore"]
