"""``kiosk privacy purge``: no mobile number left past the limit, in any
table, payload or backup; the report figures unchanged."""

from __future__ import annotations

import dataclasses
import json
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from db import AuditLog, database
from kiosk import desk
from kiosk.accounts import check_audit_chain
from kiosk.backup import make_backup
from kiosk.catalog import load_catalog
from kiosk.config import PrivacySettings, Settings, render_config
from kiosk.ledger import import_rows, read_ledger
from kiosk.privacy import purge
from kiosk.report_sums import station_month
from kiosk.search import BoardQuery, search_ids
from tests.helpers import FIXED_NOW, issue

MOBILE = re.compile(rb"(?<!\d)1[3-9]\d{9}(?!\d)")  # 11 digits, no more
# Ended long ago: all of these must go.
OLD_CLOSED, OLD_WITHDRAWN = "13800000001", "13800000002"
IN_DESCRIPTION, IN_NOTE = "13700000005", "13600000006"
# Still needed: an open ticket, one ended within the limit.
OPEN, RECENT = "13900000003", "13900000004"
# Every number the tests write. Eleven digits can also turn up by chance
# inside a random identifier or a hash (a uuid's "a19921662512"): not a
# mobile number anyone gave, so only these are looked for.
PLANTED = frozenset({OLD_CLOSED, OLD_WITHDRAWN, IN_DESCRIPTION, IN_NOTE, OPEN, RECENT})
PURGE_AT = FIXED_NOW + timedelta(days=200)  # the limit: FIXED_NOW + 20 days


def _figures(settings: Settings) -> dict[str, object]:
    """What the reports count. The purge's own ``purged`` events (one per
    ticket it erased, in the outbox for the central) are counted apart by
    the test."""

    def rows(sql: str) -> list[tuple[object, ...]]:
        return [tuple(row) for row in database.execute_sql(sql).fetchall()]

    return {
        "by_status_category_unit": rows(
            "SELECT status, category, unit, building, day, count(*) FROM ticket "
            "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
        ),
        "status_counts": rows("SELECT * FROM ticket_status_count ORDER BY 1"),
        "events": rows(
            "SELECT kind, actor, at, count(*) FROM ticket_event "
            "WHERE kind <> 'purged' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        ),
        "outbox": rows(
            "SELECT count(*), count(sent_at) FROM outbox AS o JOIN ticket_event "
            "AS e ON e.uuid = o.event_uuid WHERE e.kind <> 'purged'"
        ),
        # The month's report itself: counts, 三率, units.
        "month": station_month(settings, load_catalog(), "2026-11", PURGE_AT),
        "ratings": rows(
            "SELECT json_extract(payload, '$.rating'), count(*) FROM ticket_event "
            "WHERE kind = 'callback' GROUP BY 1 ORDER BY 1"
        ),
    }


def _mobiles_in(path: Path) -> set[str]:
    """Every planted mobile number anywhere in a SQLite file (and its WAL),
    as bytes."""
    found = set()
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            found |= {match.decode() for match in MOBILE.findall(name.read_bytes())}
    return found & PLANTED


def _mobiles_in_rows(path: Path) -> set[str]:
    """Every planted mobile number in any value of any table (the search index's
    own tables included)."""
    found: set[str] = set()
    connection = sqlite3.connect(path)
    try:
        tables = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'"
        ).fetchall()
        for (table,) in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    found |= {match.decode() for match in MOBILE.findall(raw)}
    finally:
        connection.close()
    return found & PLANTED


@pytest.fixture
def station(settings, station_db, head):
    at = FIXED_NOW - timedelta(hours=2)
    closed = issue(settings, mobile=OLD_CLOSED, at=at)
    desk.dispatch(settings, head, closed.ticket_no, "property", now=FIXED_NOW)
    desk.add_note(settings, head, closed.ticket_no, f"已联系 {IN_NOTE}", now=FIXED_NOW)
    desk.resolve(settings, head, closed.ticket_no, "已修好", now=FIXED_NOW)
    desk.call_back(settings, head, closed.ticket_no, "satisfied", now=FIXED_NOW)
    withdrawn = issue(
        settings, mobile=OLD_WITHDRAWN, description=f"请打{IN_DESCRIPTION}", at=at
    )
    desk.withdraw(
        settings, head, withdrawn.ticket_no, "resident_withdrew", now=FIXED_NOW
    )
    issue(settings, mobile=OPEN, at=at)
    recent = issue(settings, mobile=RECENT, at=at)
    later = FIXED_NOW + timedelta(days=100)
    desk.withdraw(settings, head, recent.ticket_no, "out_of_scope", now=later)
    return settings


def test_purge_leaves_no_mobile_past_the_limit_anywhere(station, tmp_path):
    settings = station
    backup = make_backup(settings).check.path  # holds every number
    assert {OLD_CLOSED, IN_NOTE, IN_DESCRIPTION} <= _mobiles_in(backup)
    # What a restore replaced and what an upgrade copied are purged too.
    database_path = settings.database_path
    others = [
        database_path.with_name("kiosk.db.replaced-20261201T000000Z"),
        database_path.with_name("kiosk.db.before-v3-20261201T000000"),
    ]
    for other in others:
        database.execute_sql("VACUUM INTO ?", (str(other),))
    before = _figures(settings)
    dry = purge(settings, dry_run=True, now=PURGE_AT)
    assert _figures(settings) == before
    assert AuditLog.select().where(AuditLog.action == "privacy_purge").count() == 0
    assert {OLD_CLOSED, IN_NOTE} <= _mobiles_in_rows(settings.database_path)

    report = purge(settings, now=PURGE_AT)
    assert report.database.as_dict() == dry.database.as_dict()
    assert report.database.tickets == 2
    assert report.database.events == 2  # the two "received" snapshots
    # The description (ticket and first event), the note.
    assert report.database.texts == 3
    assert report.database.unsent_events == 2
    assert report.backup_files == 3 and report.backups.tickets == 2 * 3
    assert _figures(settings) == before
    # Each erased ticket tells the central once, naming no data.
    assert report.database.central_events == 2
    purged = database.execute_sql(
        "SELECT e.payload, o.sent_at FROM ticket_event AS e "
        "JOIN outbox AS o ON o.event_uuid = e.uuid WHERE e.kind = 'purged'"
    ).fetchall()
    assert len(purged) == 2 and all(sent is None for _, sent in purged)
    assert not any(MOBILE.search(payload.encode()) for payload, _ in purged)

    kept = {OPEN, RECENT}
    assert _mobiles_in_rows(settings.database_path) == kept
    assert _mobiles_in(settings.database_path) <= kept  # not even in free pages
    assert _mobiles_in_rows(backup) == kept
    assert _mobiles_in(backup) <= kept
    for other in others:
        assert _mobiles_in(other) <= kept

    (entry,) = AuditLog.select().where(AuditLog.action == "privacy_purge")
    detail = json.loads(entry.detail)
    assert detail["tickets"] == 2 and detail["retention_days"] == 180
    assert not MOBILE.search(entry.detail.encode())

    # The search index followed the notes: the rest of the note is found.
    found = search_ids(BoardQuery(text="联系"), PURGE_AT)
    assert len(found) == 1
    assert search_ids(BoardQuery(text=IN_NOTE[:4]), PURGE_AT) == []

    again = purge(settings, now=PURGE_AT)
    assert again.database.as_dict() == {
        "tickets": 0,
        "events": 0,
        "texts": 0,
        "unsent_events": 0,
        "central_events": 0,
    }


def test_a_ticket_the_central_never_had_tells_it_nothing(
    settings, station_db, head, tmp_path
):
    """An imported ticket (never sent) is erased here, and no ``purged``
    event goes to the central about it; a ticket that went through the
    outbox gets exactly one."""
    ledger = tmp_path / "台账.csv"
    ledger.write_text(
        "登记日期,事项类别,联系人,联系电话,办理状态,回访评价\n"
        f"2025-03-01,房屋设施报修,王五,{OLD_CLOSED},已回访,满意\n",
        "utf-8",
    )
    rows = read_ledger(settings, ledger).rows
    assert import_rows(settings, rows, source=ledger.name) == (1, 0)
    sent = issue(settings, mobile=OLD_WITHDRAWN, at=FIXED_NOW - timedelta(hours=2))
    desk.withdraw(settings, head, sent.ticket_no, "resident_withdrew", now=FIXED_NOW)

    report = purge(settings, now=PURGE_AT)
    assert report.database.tickets == 2
    assert report.database.central_events == 1
    told = database.execute_sql(
        "SELECT ticket_uuid FROM ticket_event WHERE kind = 'purged'"
    ).fetchall()
    assert told == [(sent.uuid,)]


def test_a_longer_limit_keeps_them(station):
    settings = dataclasses.replace(station, privacy=PrivacySettings(retention_days=365))
    report = purge(settings, now=PURGE_AT)
    assert report.database.tickets == 0
    assert OLD_CLOSED in _mobiles_in_rows(settings.database_path)


def test_the_command_says_what_it_would_erase(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(render_config(config, "PHY3", "", "", ""), "utf-8")

    def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    dry = kiosk("privacy", "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would erase the contact details of 0 tickets" in dry.stdout
    done = kiosk("privacy", "purge", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["database"]["tickets"] == 0


def test_the_purge_keeps_the_history_guarded_and_the_audit_chain_whole(station):
    """The purge is the one sanctioned change to the ticket history: after
    it, the history refuses rewrites again and the audit chain verifies."""
    settings = station
    report = purge(settings, now=PURGE_AT)
    assert report.database.events > 0
    with pytest.raises(Exception, match="append-only"):
        database.execute_sql("UPDATE ticket_event SET actor = 'someone else'")
    check = check_audit_chain()
    assert check.broken_at is None and check.rows > 0


def test_a_number_written_next_to_latin_letters_goes_too(settings, station_db, head):
    """Residents and staff write "tel13812345678" or "13812345678转" alike:
    a number that touches a Latin letter is erased from the description, the
    received snapshot and a note, while the events' identifiers are kept."""
    at = FIXED_NOW - timedelta(hours=2)
    ticket = issue(
        settings,
        mobile=OLD_CLOSED,
        description=f"请打TEL{IN_DESCRIPTION}ext2",
        at=at,
    )
    desk.add_note(settings, head, ticket.ticket_no, f"tel:{IN_NOTE}a", now=FIXED_NOW)
    desk.withdraw(settings, head, ticket.ticket_no, "resident_withdrew", now=FIXED_NOW)
    identifiers = database.execute_sql(
        "SELECT uuid FROM ticket_event ORDER BY id"
    ).fetchall()
    assert {IN_DESCRIPTION, IN_NOTE} <= _mobiles_in_rows(settings.database_path)

    report = purge(settings, now=PURGE_AT)

    assert report.database.tickets == 1
    assert _mobiles_in_rows(settings.database_path) == set()
    (description,) = database.execute_sql(
        "SELECT description FROM ticket WHERE ticket_no = ?", (ticket.ticket_no,)
    ).fetchone()
    assert description == "请打TEL***********ext2"
    notes = database.execute_sql(
        "SELECT json_extract(payload, '$.text') FROM ticket_event WHERE kind = 'note'"
    ).fetchall()
    assert notes == [("tel:***********a",)]
    kept = database.execute_sql(
        "SELECT uuid FROM ticket_event WHERE kind != 'purged' ORDER BY id"
    ).fetchall()
    assert kept == identifiers
    assert search_ids(BoardQuery(text="ext2"), PURGE_AT) != []
