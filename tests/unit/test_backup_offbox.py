"""Copies that leave the box: encrypted with age for a key kept elsewhere,
sent with rsync to a target that mirrors the rotation. A real age key pair
made here, a real rsync into a local folder (the same command as over ssh)."""

from __future__ import annotations

import dataclasses
import json
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.backup import BackupError, check_backup, make_backup
from kiosk.config import BackupSettings, load_settings, render_config
from kiosk.privacy import purge
from kiosk.restore import RestoreError, restore_backup
from tests.helpers import FIXED_NOW, issue

MOBILE = "13912345678"
FIRST = datetime(2026, 11, 1, 2, 30, tzinfo=UTC)


@pytest.fixture
def age_key(tmp_path: Path) -> tuple[Path, str]:
    """A key pair, as the office would make one: the private half stays off
    the box (here: a file the station never reads), the public half goes to
    the config."""
    key = tmp_path / "office" / "backup-key.txt"
    key.parent.mkdir()
    made = subprocess.run(
        ["age-keygen", "-o", str(key)], capture_output=True, text=True, timeout=60
    )
    assert made.returncode == 0, made.stderr
    public = subprocess.run(
        ["age-keygen", "-y", str(key)], capture_output=True, text=True, timeout=60
    )
    return key, public.stdout.strip()


def _decrypt(key: Path, encrypted: Path, plain: Path) -> None:
    done = subprocess.run(
        ["age", "--decrypt", "--identity", str(key), "--output", str(plain)]
        + [str(encrypted)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_copies_go_off_the_box_encrypted_and_rotated(
    settings, station_db, tmp_path, age_key
):
    key, recipient = age_key
    issue(settings, mobile=MOBILE)
    remote = tmp_path / "remote" / "PHY3"
    remote.mkdir(parents=True)
    elsewhere = remote / "DTJ7-20250101T000000Z.db.age"  # another station's
    elsewhere.write_bytes(b"theirs")
    notes = remote / "README.txt"
    notes.write_text("备份目录", "utf-8")
    chosen = dataclasses.replace(
        settings,
        backup=BackupSettings(
            keep_daily=2,
            keep_weekly=0,
            keep_monthly=0,
            age_recipients=recipient,
            send_to=str(remote),
        ),
    )
    first = settings.database_path.parent / "backups"  # the default folder
    results = [make_backup(chosen, now=FIRST + timedelta(days=day)) for day in range(3)]
    newest = results[-1]
    assert newest.sent_to == str(remote)
    sent = sorted(path.name for path in remote.iterdir())
    # The rotation's two newest, encrypted; the others there untouched.
    assert sent == sorted(
        [f"{result.check.path.name}.age" for result in results[1:]]
        + [elsewhere.name, notes.name]
    )
    for name in sent:
        if name.startswith("PHY3-"):
            copy = remote / name
            assert stat.S_IMODE(copy.stat().st_mode) == 0o600
            assert MOBILE.encode() not in copy.read_bytes()
            assert b"SQLite format 3" not in copy.read_bytes()
    plain = tmp_path / "office" / newest.check.path.name
    encrypted = remote / f"{newest.check.path.name}.age"
    # The box cannot restore what it cannot read, and says what to do.
    with pytest.raises(RestoreError, match="is encrypted: decrypt it where"):
        restore_backup(settings, encrypted)
    _decrypt(key, encrypted, plain)
    assert check_backup(plain, "PHY3").tickets == 1
    # On the box: the plain copy for a quick restore, the encrypted staging.
    assert newest.check.path.is_file()
    assert newest.copied_to == first / "offbox" / f"{newest.check.path.name}.age"


def test_encrypted_copies_past_the_retention_limit_go_everywhere(
    settings, station_db, tmp_path, age_key
):
    _, recipient = age_key
    remote = tmp_path / "remote"
    chosen = dataclasses.replace(
        settings,
        backup=BackupSettings(age_recipients=recipient, send_to=str(remote)),
    )
    first = settings.database_path.parent / "backups"
    old = make_backup(chosen, now=FIXED_NOW - timedelta(days=200))
    assert (remote / f"{old.check.path.name}.age").is_file()
    make_backup(chosen, now=FIXED_NOW)
    # Kept by the monthly rotation, but encrypted copies cannot be purged.
    assert old.check.path.is_file()
    assert not (remote / f"{old.check.path.name}.age").exists()
    assert not (first / "offbox" / f"{old.check.path.name}.age").exists()
    # The purge leaves the encrypted copies alone (it cannot open them).
    report = purge(chosen, now=FIXED_NOW + timedelta(days=1))
    assert not report.skipped


def test_a_wrong_recipient_or_target_is_a_clear_failure(
    settings, station_db, tmp_path, age_key
):
    _, recipient = age_key
    wrong_key = dataclasses.replace(
        settings,
        backup=BackupSettings(
            age_recipients="age1" + "q" * 58, send_to=str(tmp_path / "r")
        ),
    )
    with pytest.raises(
        BackupError, match="age could not encrypt it: malformed recipient"
    ) as refused:
        make_backup(wrong_key, tmp_path / "one")
    assert "was made" in str(refused.value)
    unreachable = tmp_path / "no" / "such" / "folder"
    no_target = dataclasses.replace(
        settings,
        backup=BackupSettings(age_recipients=recipient, send_to=str(unreachable)),
    )
    with pytest.raises(BackupError, match="but sending it to .* failed: ") as failed:
        make_backup(no_target, tmp_path / "two")
    assert "rsync" in str(failed.value) or "No such file" in str(failed.value)
    both = dataclasses.replace(
        settings,
        backup=BackupSettings(age_recipients=recipient, encrypt_to="x@y"),
    )
    with pytest.raises(BackupError, match="not both"):
        make_backup(both, tmp_path / "three")


def test_the_config_takes_the_settings_and_refuses_bad_ones(tmp_path, age_key):
    _, recipient = age_key
    config = tmp_path / "kiosk.toml"
    config.write_text(render_config(config, "PHY3", "", "", ""), "utf-8")
    base = config.read_text("utf-8")

    def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    remote = tmp_path / "remote"
    config.write_text(
        base.replace(
            "[backup]\n",
            f'[backup]\nage_recipients = "{recipient}"\nsend_to = "{remote}"\n',
        ),
        "utf-8",
    )
    assert load_settings(config).backup.send_to == str(remote)
    done = kiosk("backup", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sent_to"] == str(remote)
    assert [path.suffix for path in remote.iterdir()] == [".age"]

    for key, value in (("age_recipients", "age1nope"), ("send_to", "--rsh=evil")):
        config.write_text(
            base.replace("[backup]\n", f'[backup]\n{key} = "{value}"\n'), "utf-8"
        )
        refused = kiosk("backup")
        assert refused.returncode != 0
        assert f"backup.{key}" in refused.stderr and "Traceback" not in refused.stderr
