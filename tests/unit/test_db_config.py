"""The database set-up and migrations; the config file and the CLI."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from db import DatabaseUnavailable, Ticket, database, open_database
from db.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from kiosk.config import (
    SECTIONS,
    ConfigError,
    KioskSettings,
    Settings,
    allowed_text,
    load_settings,
    render_config,
)


def test_pragmas_of_the_station_database(station_db):
    def pragma(name: str) -> object:
        return database.execute_sql(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") >= 1000
    assert pragma("user_version") == SCHEMA_VERSION


def test_an_older_database_upgrades_on_start_up(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    old.execute("PRAGMA user_version = 1")
    old.execute(
        "INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category, item,"
        " created_at, status, unit, due_at, token) VALUES ('u1', 'PHY3-250101-001',"
        " 'B001', 'PHY3', '2025-01-01', 'housing', 'lift', '2025-01-01T09:00:00+08:00',"
        " 'received', 'property', '2025-01-03T09:00:00+08:00', 'tok')"
    )
    old.commit()
    old.close()
    open_database(path)
    try:
        assert (
            database.execute_sql("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        )
        kept = Ticket.get(Ticket.uuid == "u1")
        assert kept.ticket_no == "PHY3-250101-001" and kept.language == "zh-CN"
        assert migrate(database) == SCHEMA_VERSION  # nothing more to do
    finally:
        database.close()


def test_the_unsent_outbox_index_replaces_the_old_one_and_keeps_every_row(
    tmp_path,
):
    from kiosk.sync.engine import _PENDING_SQL

    path = tmp_path / "v3.db"
    old = sqlite3.connect(path)
    for step in MIGRATIONS[:3]:
        for statement in step:
            old.execute(statement)
    old.execute("PRAGMA user_version = 3")
    old.execute(
        "INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category, item,"
        " created_at, status, unit, due_at, token) VALUES ('u1', 'PHY3-250101-001',"
        " 'B001', 'PHY3', '2025-01-01', 'housing', 'lift', '2025-01-01T09:00:00+08:00',"
        " 'received', 'property', '2025-01-03T09:00:00+08:00', 'tok')"
    )
    for number in range(1, 5):
        old.execute(
            "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at) "
            f"VALUES ('e{number}', 'u1', 'note', 'desk', '2025-01-01T09:0{number}')"
        )
        old.execute(
            "INSERT INTO outbox (event_uuid, created_at, sent_at) VALUES (?, ?, ?)",
            (f"e{number}", "2025-01-01", "2025-01-02" if number % 2 else None),
        )
    old.commit()
    old.close()
    open_database(path)
    try:
        indexes = {
            row[0]
            for row in database.execute_sql(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'outbox' "
                "AND type = 'index' AND sql IS NOT NULL"
            )
        }
        assert indexes == {"outbox_unsent"}
        pending = database.execute_sql(_PENDING_SQL, (0, 1, "", 1, 0, 10)).fetchall()
        assert [row[1] for row in pending] == ["e2", "e4"]
        plan = " ".join(
            str(row[3])
            for row in database.execute_sql(
                "EXPLAIN QUERY PLAN " + _PENDING_SQL, (0, 1, "", 1, 0, 10)
            )
        )
        assert "USING INDEX outbox_unsent" in plan
        counted = database.execute_sql(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
        ).fetchone()
        assert counted == (2,)
        database.execute_sql("UPDATE outbox SET sent_at = '2025-01-03' WHERE id = 2")
        left = database.execute_sql(_PENDING_SQL, (0, 1, "", 1, 0, 10)).fetchall()
        assert [row[1] for row in left] == ["e4"]
    finally:
        database.close()


def test_a_newer_database_is_refused_with_a_message(tmp_path):
    path = tmp_path / "new.db"
    newer = sqlite3.connect(path)
    newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer.close()
    with pytest.raises(DatabaseUnavailable, match="newer than this program"):
        open_database(path)


def test_a_damaged_file_is_reported(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseUnavailable, match="damaged"):
        open_database(path)


def test_a_missing_folder_that_cannot_be_made_is_reported(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DatabaseUnavailable, match="cannot create the folder"):
        open_database(blocker / "sub" / "kiosk.db")


def test_the_audit_log_is_append_only(station_db):
    database.execute_sql(
        "INSERT INTO audit_log (at, actor, action) VALUES ('t', 'a', 'login')"
    )
    with pytest.raises(Exception, match="append-only"):
        database.execute_sql("UPDATE audit_log SET actor = 'b'")
    with pytest.raises(Exception, match="append-only"):
        database.execute_sql("DELETE FROM audit_log")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file():
    settings = load_settings(None)
    assert settings.station.code == "PHY3" and settings.station.demo
    assert settings.kiosk.idle_timeout == 60


BAD_CONFIGS = Path(__file__).parent / "configs"


@pytest.mark.parametrize(
    "path", sorted(BAD_CONFIGS.glob("*.toml")), ids=lambda path: path.stem
)
def test_bad_values_name_the_file_the_key_and_what_is_allowed(path):
    """Each file's first line says ``# KEY: WORDS THE MESSAGE MUST HOLD``."""
    expected = path.read_text(encoding="utf-8").splitlines()[0]
    key, _, allowed = expected.removeprefix("# ").partition(": ")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message and key in message and allowed in message


def test_the_template_documents_every_setting_and_loads_as_the_defaults(tmp_path):
    path = tmp_path / "kiosk.toml"
    text = render_config(path, "PHY3", "", "", "")
    for section, kind in SECTIONS.items():
        assert f"[{section}]" in text
        for item in dataclasses.fields(kind):
            spec = item.metadata["spec"]
            assert f"{item.name} = " in text
            assert spec.doc.split()[0] in text
            if allowed_text(spec):
                assert allowed_text(spec).split()[0] in text
    path.write_text(text, encoding="utf-8")
    loaded = load_settings(path)
    defaults = load_settings(None)
    for section in SECTIONS:
        assert getattr(loaded, section) == getattr(defaults, section), section


def run_cli(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_cli_bad_config_stops_with_a_message_and_no_traceback(tmp_path):
    path = write(tmp_path, '[kiosk]\nlanguage = "fr"\n')
    result = run_cli("--config", str(path), "stats")
    assert result.returncode == 2
    assert "kiosk.language" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_reads_config_from_the_environment(tmp_path):
    path = write(tmp_path, '[kiosk]\nlanguage = "klingon"\n')
    result = run_cli("stats", env={"KIOSK_CONFIG": str(path)})
    assert result.returncode == 2 and "klingon" in result.stderr


def test_init_writes_an_owner_only_config_that_loads(tmp_path):
    path = tmp_path / "etc" / "kiosk.toml"
    result = run_cli(
        "init",
        str(path),
        "--station",
        "DTJ7",
        "--central",
        "https://central.example",
        "--api-key",
        "secret-key",
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(path)
    assert settings.station.code == "DTJ7"
    assert settings.central.url == "https://central.example"
    assert settings.central.api_key == "secret-key"
    assert settings.database_path == path.parent / "kiosk.db"
    assert run_cli("init", str(path)).returncode == 1  # never overwrites silently
    stats = run_cli("--config", str(path), "stats", "--json")
    assert stats.returncode == 0, stats.stderr
    assert '"tickets": 0' in stats.stdout and '"pending_events": 0' in stats.stdout


def test_cli_unusable_database_is_a_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    path = write(tmp_path, f'[database]\npath = "{blocker}/kiosk.db"\n')
    result = run_cli("--config", str(path), "stats")
    assert result.returncode == 1
    assert "cannot create the folder" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-CN", "数据库文件已损坏"), ("en", "the station database file is damaged")],
)
def test_the_resident_kiosk_says_what_is_wrong_with_its_database_in_its_language(
    tmp_path, language, words
):
    """``kiosk`` prints on the kiosk's own screen: the resident's language."""
    damaged = tmp_path / "kiosk.db"
    damaged.write_bytes(b"this is not a database" * 100)
    config = f'[database]\npath = "{damaged}"\n[kiosk]\nlanguage = "{language}"\n'
    result = run_cli("--config", str(write(tmp_path, config)))
    assert result.returncode == 1
    assert words in result.stderr and "Traceback" not in result.stderr
    if language == "zh-CN":
        assert "damaged" not in result.stderr


def test_settings_behave_as_frozen_dataclasses():
    settings = load_settings(None)
    kiosk = settings.kiosk
    assert dataclasses.is_dataclass(settings) and dataclasses.is_dataclass(kiosk)
    with pytest.raises(dataclasses.FrozenInstanceError):
        kiosk.language = "en"  # type: ignore[misc]
    changed = dataclasses.replace(kiosk, idle_timeout=30.0)
    assert (changed.idle_timeout, kiosk.idle_timeout) == (30.0, 60.0)
    assert changed != kiosk and changed == dataclasses.replace(kiosk, idle_timeout=30)
    assert hash(load_settings(None).kiosk) == hash(kiosk)
    assert repr(kiosk).startswith("KioskSettings(language='zh-CN', idle_timeout=60.0")
    assert KioskSettings("en").language == "en"
    with pytest.raises(TypeError):
        KioskSettings(colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Settings()  # type: ignore[call-arg]
    assert dataclasses.asdict(settings)["station"]["code"] == "PHY3"
