"""``kiosk backup``: owner-only checked copies, the rotation, the checks."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.backup import (
    BackupError,
    backups_in,
    check_backup,
    make_backup,
    rotation_keeps,
)
from kiosk.config import BackupSettings, render_config
from tests.helpers import issue

MOBILE = "13812345678"


def test_a_backup_is_an_owner_only_checked_copy(settings, station_db, tmp_path):
    issued = [issue(settings, mobile=MOBILE) for _ in range(3)]
    folder = tmp_path / "copies"
    result = make_backup(
        settings, folder, now=datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    )
    path = result.check.path
    assert path == folder / "PHY3-20261125T180000Z.db"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert [p.name for p in folder.iterdir()] == [path.name]  # no partial left
    assert (result.check.tickets, result.check.events) == (3, 3)
    assert result.check.pending_events == 3
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        uuids = {row[0] for row in connection.execute("SELECT uuid FROM ticket")}
    assert uuids == {ticket.uuid for ticket in issued}
    assert check_backup(path, "PHY3").station == "PHY3"


def test_the_default_folder_is_beside_the_database(settings, station_db):
    result = make_backup(settings)
    assert result.check.path.parent == settings.database_path.parent / "backups"


def test_a_second_folder_gets_the_same_checked_copy(settings, station_db, tmp_path):
    issue(settings)
    second = tmp_path / "usb"
    chosen = dataclasses.replace(settings, backup=BackupSettings(copy_to=str(second)))
    result = make_backup(chosen, tmp_path / "first")
    assert result.copied_to == second / result.check.path.name
    assert stat.S_IMODE(result.copied_to.stat().st_mode) == 0o600
    assert check_backup(result.copied_to, "PHY3").tickets == 1


def _stamps(days: int) -> list[datetime]:
    start = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)  # 02:00 in Beijing
    return [start + timedelta(days=day) for day in range(days)]


def test_the_rotation_keeps_days_weeks_and_months(settings):
    stamps = _stamps(400)
    keep = BackupSettings(keep_daily=7, keep_weekly=4, keep_monthly=6)
    kept = sorted(rotation_keeps(stamps, keep, settings), reverse=True)
    newest = stamps[-1]
    zone = settings.zone
    # The last 7 days, each once.
    assert kept[:7] == stamps[-7:][::-1]
    weeks = {stamp.astimezone(zone).isocalendar()[:2] for stamp in kept}
    months = {(s.astimezone(zone).year, s.astimezone(zone).month) for s in kept}
    assert len(weeks) >= 4 and len(months) == 6
    assert min(kept) > newest - timedelta(days=6 * 31)
    assert len(kept) <= 7 + 4 + 6


def test_a_rotation_keeping_nothing_still_keeps_the_newest(settings):
    stamps = _stamps(10)
    keep = BackupSettings(keep_daily=0, keep_weekly=0, keep_monthly=0)
    assert rotation_keeps(stamps, keep, settings) == {stamps[-1]}


def test_backups_rotate_as_they_are_made(settings, station_db, tmp_path):
    issue(settings)
    chosen = dataclasses.replace(
        settings, backup=BackupSettings(keep_daily=3, keep_weekly=2, keep_monthly=1)
    )
    folder = tmp_path / "copies"
    other = folder / "DTJ7-20260101T000000Z.db"  # another station's: untouched
    folder.mkdir()
    other.write_bytes(b"")
    for stamp in _stamps(30):
        make_backup(chosen, folder, now=stamp)
    left = [stamp for stamp, _ in backups_in(folder, "PHY3")]
    assert left == sorted(rotation_keeps(_stamps(30), chosen.backup, settings))[::-1]
    assert len(left) <= 3 + 2 + 1 and other.exists()


def test_a_damaged_copy_is_refused(settings, station_db, tmp_path):
    for _ in range(50):
        issue(settings, description="漏水" * 100)
    path = make_backup(settings, tmp_path).check.path
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 4096] = b"\xff" * 4096
    path.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="integrity|damaged"):
        check_backup(path, "PHY3")
    garbage = tmp_path / "PHY3-20260101T000000Z.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a station database or is damaged"):
        check_backup(garbage, "PHY3")


def test_another_stations_or_a_newer_backup_is_refused(settings, station_db, tmp_path):
    issue(settings)
    path = make_backup(settings, tmp_path).check.path
    with pytest.raises(BackupError, match="belongs to station PHY3"):
        check_backup(path, "DTJ7")
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 99")
    with pytest.raises(BackupError, match="schema version 99, newer"):
        check_backup(path, "PHY3")


def _kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_prints_json_and_failures_without_traceback(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(render_config(config, "DTJ7", "测试站", "", ""), "utf-8")
    done = _kiosk(config, "backup", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["integrity"] == "ok" and report["station"] == "DTJ7"
    assert Path(report["path"]).parent == tmp_path / "backups"
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    failed = _kiosk(config, "backup", str(blocker / "sub"))
    assert failed.returncode == 1
    assert "cannot use the backup folder" in failed.stderr
    assert "Traceback" not in failed.stderr


@pytest.fixture
def gnupg_home(tmp_path, monkeypatch):
    """A keyring with one key, as the off-box key's public half would be."""
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    monkeypatch.setenv("GNUPGHOME", str(home))
    made = subprocess.run(
        ["gpg", "--batch", "--passphrase", "", "--quick-generate-key"]
        + ["backup@station.example", "default", "default", "never"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    return home


def test_the_second_copy_can_be_encrypted_with_gpg(
    settings, station_db, tmp_path, gnupg_home
):
    issue(settings, mobile=MOBILE)
    second = tmp_path / "offsite"
    chosen = dataclasses.replace(
        settings,
        backup=BackupSettings(copy_to=str(second), encrypt_to="backup@station.example"),
    )
    old = second / "PHY3-20250101T000000Z.db.gpg"  # past retention_days
    second.mkdir()
    old.write_bytes(b"old")
    result = make_backup(chosen, tmp_path / "first")
    assert result.copied_to == second / f"{result.check.path.name}.gpg"
    assert stat.S_IMODE(result.copied_to.stat().st_mode) == 0o600
    assert MOBILE.encode() not in result.copied_to.read_bytes()
    assert not old.exists() and old in result.removed
    plain = tmp_path / "decrypted.db"
    done = subprocess.run(
        ["gpg", "--batch", "--output", str(plain), "--decrypt"]
        + [str(result.copied_to)],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert check_backup(plain, "PHY3").tickets == 1


def test_an_unknown_gpg_recipient_is_a_clear_failure(
    settings, station_db, tmp_path, gnupg_home
):
    chosen = dataclasses.replace(
        settings,
        backup=BackupSettings(copy_to=str(tmp_path / "b"), encrypt_to="nobody@x"),
    )
    with pytest.raises(BackupError, match="gpg could not encrypt it for nobody@x"):
        make_backup(chosen, tmp_path / "first")
