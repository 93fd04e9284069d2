"""Time the station can trust: a box whose clock is behind (no RTC battery,
no network) never dates a ticket before its newest ticket or before the
release date, and ``kiosk doctor`` says the clock needs setting."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

from db import Ticket, database
from kiosk.clock import RELEASE_DATE, check_clock, newest_ticket_at, release_start
from kiosk.tickets import TicketDraft, issue_ticket
from tests.helpers import FIXED_NOW, ZONE

BOOTED_IN_1970 = datetime(1970, 1, 2, 8, 0, tzinfo=ZONE)


def draft() -> TicketDraft:
    return TicketDraft(category="housing", item="lift")


def test_a_box_booted_in_1970_dates_its_tickets_at_the_release_date(
    settings, station_db
):
    first = issue_ticket(settings, draft(), clock=lambda: BOOTED_IN_1970)
    second = issue_ticket(settings, draft(), clock=lambda: BOOTED_IN_1970)
    release = release_start(settings)
    assert first.ticket_no == f"PHY3-{RELEASE_DATE:%y%m%d}-001"
    assert second.ticket_no == f"PHY3-{RELEASE_DATE:%y%m%d}-002"
    created = [datetime.fromisoformat(t.created_at) for t in Ticket.select()]
    assert created == [release, release]
    # The SLA runs from that moment: never "overdue by -20778 days".
    due = datetime.fromisoformat(Ticket.get(Ticket.ticket_no == first.ticket_no).due_at)
    assert due > release


def test_a_clock_that_steps_back_never_dates_a_ticket_before_the_newest(
    settings, station_db
):
    issue_ticket(settings, draft(), clock=lambda: FIXED_NOW)
    behind = FIXED_NOW - timedelta(hours=3)
    later = issue_ticket(settings, draft(), clock=lambda: behind)
    ticket = Ticket.get(Ticket.ticket_no == later.ticket_no)
    assert datetime.fromisoformat(ticket.created_at) == FIXED_NOW
    assert later.ticket_no.endswith("-002")
    # A clock that is right dates the ticket as it says.
    ahead = FIXED_NOW + timedelta(minutes=5)
    right = issue_ticket(settings, draft(), clock=lambda: ahead)
    assert Ticket.get(Ticket.ticket_no == right.ticket_no).created_at == (
        ahead.isoformat()
    )


def test_the_check_says_what_is_wrong_in_both_languages(settings, station_db):
    assert check_clock(settings, FIXED_NOW).problem() is None
    problem = check_clock(settings, BOOTED_IN_1970).problem()
    assert problem is not None
    assert "1970-01-02 08:00" in problem and "发布日期" in problem
    assert "release" in problem
    issue_ticket(settings, draft(), now=FIXED_NOW + timedelta(days=1))
    problem = check_clock(settings, FIXED_NOW).problem()
    assert problem is not None and "最新一张工单" in problem
    assert "newest ticket" in problem


def test_doctor_reports_a_clock_behind_the_newest_ticket(
    settings, station_db, tmp_path
):
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[printer]\ntarget = "file:{tmp_path / "paper"}"\n'
        f'[database]\npath = "{settings.database_path}"\n',
        encoding="utf-8",
    )

    def doctor() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "doctor"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    fine = doctor()
    assert fine.returncode == 0, fine.stdout
    assert "ok   clock:" in fine.stdout
    # A ticket from a year ahead: this box's clock is now behind it.
    issue_ticket(settings, draft(), now=datetime.now(ZONE) + timedelta(days=365))
    behind = doctor()
    assert behind.returncode == 1
    assert "FAIL clock:" in behind.stdout and "newest ticket" in behind.stdout
    assert "Traceback" not in behind.stderr


def test_the_newest_ticket_is_found_across_utc_offsets(settings, station_db):
    # Text order is not time order across offsets: the "+14:00" ticket sorts
    # last as text but was issued five hours before the "-10:00" one.
    east = datetime.fromisoformat("2026-11-26T01:00:00+14:00")  # 25th 11:00 UTC
    west = datetime.fromisoformat("2026-11-25T06:00:00-10:00")  # 25th 16:00 UTC
    issue_ticket(settings, draft(), now=FIXED_NOW - timedelta(days=700))
    issue_ticket(settings, draft(), now=west)
    issue_ticket(settings, draft(), now=east)
    assert newest_ticket_at(settings) == west
    assert newest_ticket_at(settings).tzinfo == settings.zone


def test_submit_reads_no_table_through(settings, station_db):
    """Submit's write reads only by index: years of tickets (tens of
    thousands) never make the ticket slower to issue."""
    for minutes in range(5):
        moment = FIXED_NOW + timedelta(minutes=minutes)
        issue_ticket(settings, draft(), clock=lambda moment=moment: moment)
    connection = database.connection()
    tables = {
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    try:
        later = FIXED_NOW + timedelta(hours=1)
        issue_ticket(
            settings,
            TicketDraft(category="housing", item="lift", building="3号楼"),
            clock=lambda: later,
        )
    finally:
        connection.set_trace_callback(None)
    scans = []
    for statement in statements:
        if statement.startswith("--") or statement.split()[0].upper() in (
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
        ):
            continue
        for *_, detail in connection.execute("EXPLAIN QUERY PLAN " + statement):
            words = detail.split()
            if words[:1] == ["SCAN"] and words[1] in tables:
                scans.append(f"{detail}: {statement[:80]}")
    assert statements and not scans
