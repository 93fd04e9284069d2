"""The central's schema moves forward on start, keeping the data."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from central.db import MIGRATIONS, SCHEMA_VERSION, CentralDatabase, parse_target
from central.store.tickets import ticket_events
from tests.central.conftest import scratch_database, start_server


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with scratch_database(request.param, tmp_path, "kiosk_central_migrate") as url:
        yield url


def _version_1(db: CentralDatabase) -> None:
    """The database as the first schema left it, with one ticket's events."""
    with db.write():
        for statement in (
            MIGRATIONS[0].postgres if db.is_postgres else MIGRATIONS[0].sqlite
        ):
            db.execute(statement)
        db.execute(
            "CREATE TABLE central_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        db.execute("INSERT INTO central_meta VALUES ('schema_version', '1')")
        db.execute(
            "INSERT INTO ticket (uuid, ticket_no, station, category, item, "
            "created_at, created_utc, unit, due_at, token, status, updated_at, "
            "source) VALUES ('t1', 'PHY3-261125-001', 'PHY3', 'housing', 'lift', "
            "'2026-11-25T09:30:00+08:00', '2026-11-25T01:30:00', 'property', "
            "'2026-11-27T09:30:00+08:00', 'token', 'dispatched', "
            "'2026-11-25T09:40:00+08:00', 'station')"
        )
        for number, kind in enumerate(("received", "dispatched")):
            db.execute(
                "INSERT INTO event (uuid, ticket_uuid, ticket_no, station, kind, "
                "actor, at, payload, origin, received_at) VALUES "
                "(?, 't1', 'PHY3-261125-001', 'PHY3', ?, 'kiosk:PHY3', "
                "'2026-11-25T09:30:00+08:00', '{}', 'station', "
                "'2026-11-25T09:30:00+08:00')",
                (f"e{number}", kind),
            )


def _event_indexes(db: CentralDatabase) -> set[str]:
    sql = (
        "SELECT indexname FROM pg_indexes WHERE tablename = 'event'"
        if db.is_postgres
        else "SELECT name FROM sqlite_master WHERE type = 'index' "
        "AND tbl_name = 'event'"
    )
    return {str(row[0]) for row in db.rows(sql)}


def test_a_version_1_database_finds_events_by_ticket_number(
    empty_db_url: str,
) -> None:
    old = CentralDatabase(parse_target(empty_db_url))
    old.database.connect()
    _version_1(old)
    assert "event_ticket" in _event_indexes(old)
    old.close()

    db = CentralDatabase(parse_target(empty_db_url))
    db.open()  # migrates
    try:
        indexes = _event_indexes(db)
        assert "event_ticket_no" in indexes
        assert "event_ticket" not in indexes
        version = db.rows("SELECT value FROM central_meta")
        assert version == [(str(SCHEMA_VERSION),)]
        kinds = [row["kind"] for row in ticket_events(db, "PHY3-261125-001")]
        assert kinds == ["received", "dispatched"]
    finally:
        db.close()


def _version_4_with_tickets(db: CentralDatabase, count: int) -> list[str]:
    """The database as the fourth schema left it (no public ids), holding
    ``count`` tickets numbered in order, each with its received event."""
    numbers = [f"PHY3-261125-{serial:03d}" for serial in range(1, count + 1)]
    with db.write():
        for step in MIGRATIONS[:4]:
            for statement in step.postgres if db.is_postgres else step.sqlite:
                db.execute(statement)
        db.execute(
            "CREATE TABLE central_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        db.execute("INSERT INTO central_meta VALUES ('schema_version', '4')")
        for serial, number in enumerate(numbers):
            db.execute(
                "INSERT INTO ticket (uuid, ticket_no, station, category, item, "
                "building, description, created_at, created_utc, unit, due_at, "
                "token, status, updated_at, source) VALUES (?, ?, 'PHY3', "
                "'housing', 'lift', '3号楼', '电梯坏了', "
                "'2026-11-25T09:30:00+08:00', '2026-11-25T01:30:00', 'property', "
                "'2026-11-27T09:30:00+08:00', 'token', 'received', "
                "'2026-11-25T09:30:00+08:00', 'station')",
                (f"t{serial}", number),
            )
            db.execute(
                "INSERT INTO event (uuid, ticket_uuid, ticket_no, station, kind, "
                "actor, at, payload, origin, received_at) VALUES "
                "(?, ?, ?, 'PHY3', 'received', 'kiosk:PHY3', "
                "'2026-11-25T09:30:00+08:00', '{}', 'station', "
                "'2026-11-25T09:30:00+08:00')",
                (f"e{serial}", f"t{serial}", number),
            )
    return numbers


def test_tickets_stored_before_public_ids_get_one_and_open311_serves_them(
    empty_db_url: str, tmp_path: Path
) -> None:
    old = CentralDatabase(parse_target(empty_db_url))
    old.database.connect()
    numbers = _version_4_with_tickets(old, 5)
    old.close()

    # A real central starts on the old database, migrating it.
    server = start_server(empty_db_url, tmp_path)
    try:
        db = CentralDatabase(parse_target(empty_db_url))
        db.database.connect()
        try:
            rows = db.rows("SELECT ticket_no, public_id FROM ticket ORDER BY ticket_no")
        finally:
            db.close()
        assert [row[0] for row in rows] == numbers
        public_ids = [str(row[1]) for row in rows]
        assert all(re.fullmatch("[0-9a-f]{20}", public_id) for public_id in public_ids)
        assert len(set(public_ids)) == len(numbers)
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            listed = client.get(
                "/open311/v2/requests.json",
                params={"service_request_id": ",".join(public_ids)},
            )
            walked = client.get(
                "/open311/v2/requests.json",
                params={"service_request_id": ",".join(numbers)},
            )
        assert listed.status_code == 200, listed.text
        assert sorted(r["service_request_id"] for r in listed.json()) == sorted(
            public_ids
        )
        assert all(r["service_code"] == "housing" for r in listed.json())
        assert walked.status_code == 200 and walked.json() == []
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


def test_an_older_database_has_its_report_facts_folded_once(
    empty_db_url: str,
) -> None:
    """Tickets stored before the facts were kept are marked by the migration
    and folded by the first report, which then counts them."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from central.reports import read_central, subdistrict_month
    from kiosk.catalog import load_catalog
    from kiosk.reports import Rules, month_report, read_window

    old = CentralDatabase(parse_target(empty_db_url))
    old.database.connect()
    _version_1(old)
    old.close()

    db = CentralDatabase(parse_target(empty_db_url))
    db.open()  # migrates
    try:
        assert db.rows("SELECT ticket_uuid, folded FROM ticket_fact") == [("t1", 0)]
        zone = ZoneInfo("Asia/Shanghai")
        as_of = datetime(2026, 11, 26, 9, 0, tzinfo=zone)
        rules = Rules(load_catalog())
        report = subdistrict_month(db, load_catalog(), "2026-11", as_of)
        assert db.rows("SELECT ticket_uuid, folded FROM ticket_fact") == [("t1", 1)]
        station = report["stations"]["PHY3"]
        assert station["tickets"] == 1
        # Dispatched at once: in time; open, due on the 27th.
        assert station["counts"]["responded_in_time"] == 1
        assert station["counts"]["overdue"] == 0
        assert station["units"]["property"]["dispatched"] == 1
        tickets, events, _ = read_central(db, read_window("2026-11", zone))
        folded = month_report(tickets, events, "2026-11", zone, rules, as_of)
        assert {key: station[key] for key in folded} == folded
    finally:
        db.close()
