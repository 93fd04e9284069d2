"""Upgrading a station with a year of data from the first schema: a copy is
taken first, the data comes through whole, and a failed migration leaves the
database as the older program left it."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from db import DatabaseUnavailable, Outbox, Ticket, database, open_database
from db.migrations import MIGRATIONS, SCHEMA_VERSION, schema_version
from kiosk.search import BoardQuery, search_ids
from tests.helpers import FIXED_NOW, ZONE

DAYS = 365
PER_DAY = 3


def _first_release(path: Path, *, extra: str = "") -> None:
    """A schema-1 database with a year of tickets, as the first release made it."""
    old = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    old.execute("PRAGMA user_version = 1")
    if extra:
        old.execute(extra)
    start = datetime(2025, 11, 1, 9, 0, tzinfo=ZONE)
    for day in range(DAYS):
        moment = start + timedelta(days=day)
        for serial in range(1, PER_DAY + 1):
            uuid = f"t-{day}-{serial}"
            at = (moment + timedelta(minutes=serial)).isoformat()
            old.execute(
                "INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, "
                "category, item, building, description, contact_name, "
                "contact_mobile, created_at, status, unit, due_at, token) VALUES "
                "(?, ?, ?, 'PHY3', ?, 'housing', 'lift', '5号楼', ?, '张', "
                "'13812345678', ?, ?, 'property', ?, 'tok')",
                (
                    uuid,
                    f"PHY3-{moment:%y%m%d}-{serial:03d}",
                    f"B{serial:03d}",
                    f"{moment:%Y-%m-%d}",
                    f"电梯故障 第{day}天",
                    at,
                    "dispatched" if serial == 1 else "received",
                    (moment + timedelta(days=2)).isoformat(),
                ),
            )
            kinds = ["received"] + (["dispatched"] if serial == 1 else [])
            for kind in kinds:
                event = f"e-{kind}-{uuid}"
                old.execute(
                    "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at, "
                    "payload) VALUES (?, ?, ?, 'kiosk:PHY3', ?, '{}')",
                    (event, uuid, kind, at),
                )
                old.execute(
                    "INSERT INTO outbox (event_uuid, created_at, sent_at) "
                    "VALUES (?, ?, ?)",
                    (event, at, at if day < DAYS - 7 else None),
                )
    old.commit()
    old.close()


def _copies(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".before-v1-*"))


def test_a_year_on_the_first_schema_upgrades_with_a_copy_first(tmp_path):
    path = tmp_path / "kiosk.db"
    _first_release(path)
    open_database(path)
    try:
        version = database.execute_sql("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        assert Ticket.select().count() == DAYS * PER_DAY
        assert Outbox.select().where(Outbox.sent_at.is_null()).count() == 7 * 4
        counts = dict(
            database.execute_sql("SELECT status, count FROM ticket_status_count")
        )
        assert counts == {"dispatched": DAYS, "received": DAYS * 2}
        # The search index was built for the old tickets.
        assert len(search_ids(BoardQuery(text="第10天"), FIXED_NOW)) == PER_DAY
    finally:
        database.close()
    (copy,) = _copies(path)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with sqlite3.connect(copy) as before:
        assert before.execute("PRAGMA user_version").fetchone() == (1,)
        assert before.execute("SELECT count(*) FROM ticket").fetchone() == (
            DAYS * PER_DAY,
        )
    open_database(path)  # up to date: no second copy
    database.close()
    assert len(_copies(path)) == 1


def test_a_failed_migration_leaves_the_old_database_as_it_was(tmp_path):
    path = tmp_path / "kiosk.db"
    # Something local in the way of migration 3 (its queue_call table).
    _first_release(path, extra="CREATE TABLE queue_call (x)")
    with pytest.raises(DatabaseUnavailable, match="queue_call"):
        open_database(path)
    with sqlite3.connect(path) as after:
        assert after.execute("PRAGMA user_version").fetchone() == (1,)
        tables = {row[0] for row in after.execute("SELECT name FROM sqlite_master")}
        assert "staff_user" not in tables and "ticket_search" not in tables
        assert after.execute("SELECT count(*) FROM ticket").fetchone() == (
            DAYS * PER_DAY,
        )
        columns = {row[1] for row in after.execute("PRAGMA table_info(ticket)")}
        assert "language" not in columns  # migration 2 rolled back too
    assert len(_copies(path)) == 1


def test_the_old_tickets_are_counted_by_the_first_report_after_upgrading(tmp_path):
    """The step that keeps report facts marks every old ticket; the first
    report folds them and counts them as folding their events would."""
    from kiosk.catalog import load_catalog
    from kiosk.config import DEMO_STATION, Settings
    from kiosk.report_facts import facts_are_stale, station_query
    from kiosk.report_sums import station_month
    from kiosk.reports import month_report, read_station, read_window, station_rules

    path = tmp_path / "kiosk.db"
    _first_release(path)
    settings = Settings(station=DEMO_STATION, database_path=path)
    open_database(path)
    try:
        assert facts_are_stale(station_query)
        as_of = datetime(2026, 11, 1, tzinfo=ZONE)
        report = station_month(settings, load_catalog(), "2026-10", as_of)
        assert not facts_are_stale(station_query)
        assert report["tickets"] == 31 * PER_DAY
        # One ticket a day dispatched at once (in time), two never answered.
        assert report["counts"]["responded_in_time"] == 31
        rules = station_rules(settings, load_catalog())
        folded = month_report(*read_station(read_window("2026-10", ZONE)),
                              "2026-10", ZONE, rules, as_of)  # fmt: skip
        assert report == {"station": "PHY3", **folded}
    finally:
        database.close()


def test_notes_written_before_the_note_ticket_step_are_found_after_it(tmp_path):
    """The step that maps each note to its ticket (search reads notes through
    it) maps every note the older schema had indexed."""
    path = tmp_path / "kiosk.db"
    _first_release(path)
    old = sqlite3.connect(path)
    old.execute("PRAGMA foreign_keys = ON")
    for version in range(2, SCHEMA_VERSION):  # up to the step before the last
        for statement in MIGRATIONS[version - 1]:
            old.execute(statement)
    old.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    notes = {"t-10-2": "楼下住户说已经修好", "t-20-3": "网格员上门查看"}
    for number, (ticket_uuid, text) in enumerate(notes.items()):
        old.execute(
            "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at, payload) "
            "VALUES (?, ?, 'note', 'staff:wang', '2026-11-20T10:00:00+08:00', ?)",
            (f"note-{number}", ticket_uuid, json.dumps({"text": text})),
        )
    old.commit()
    old.close()
    open_database(path)
    try:
        assert schema_version(database) == SCHEMA_VERSION
        found = {
            ticket_id
            for word in ("修好", "网格员", "上门查看")
            for ticket_id in search_ids(BoardQuery(text=word), FIXED_NOW)
        }
        expected = {
            row[0]
            for row in database.execute_sql(
                "SELECT id FROM ticket WHERE uuid IN (?, ?)", list(notes)
            )
        }
        assert found == expected and len(expected) == 2
        assert not search_ids(BoardQuery(text="修好 网格员"), FIXED_NOW)
    finally:
        database.close()
