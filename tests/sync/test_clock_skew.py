"""Time the station can trust, against a real central process: every sync
answer carries the central's time, a station whose clock is wrong learns it
at its next sync, staff see it (the board's header, ``kiosk doctor``), and
the tickets it issues meanwhile reach the central marked.

The station's processes run under libfaketime (Debian's ``faketime``): the
whole process sees a clock days off, as a box with no RTC battery does; the
monotonic clock stays the system's, as it does on such a box.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta

import pytest
import requests
from textual.widgets import Input, Static

from db import Ticket
from kiosk import accounts
from kiosk.tickets import TicketDraft, issue_ticket
from screens.staff.app import StaffApp
from screens.staff.board import BoardScreen
from screens.staff.login import LoginScreen
from tests.helpers import HEAD_PIN, wait_for, wait_screen
from tests.sync.conftest import PYTHON, Completed, Station

FAKETIME = shutil.which("faketime")
pytestmark = pytest.mark.skipif(
    FAKETIME is None, reason="needs Debian's faketime (apt-get install faketime)"
)


def under_clock(offset: str, station: Station, *args: str) -> Completed:
    """``kiosk ARGS`` in a process whose clock is ``offset`` off ("-3d")."""
    assert FAKETIME is not None
    return subprocess.run(
        [FAKETIME, "-f", offset, PYTHON, "-m", "kiosk"]
        + ["--config", str(station.config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"FAKETIME_DONT_FAKE_MONOTONIC": "1"},
    )


def clock_line(output: str) -> str:
    return next(line for line in output.splitlines() if " clock: " in line)


def test_every_sync_answer_carries_the_central_time(station: Station) -> None:
    before = datetime.now().astimezone()
    answer = requests.get(
        station.central.url + "/api/v1/events",
        headers={"Authorization": f"Bearer {station.api_key}"},
        timeout=10,
    )
    after = datetime.now().astimezone()
    assert answer.status_code == 200
    central_time = datetime.fromisoformat(answer.headers["Central-Time"])
    assert before - timedelta(seconds=1) <= central_time <= after


def test_a_station_three_days_slow_is_told_by_its_first_sync(
    station: Station,
) -> None:
    # Three days slow is after the release date and there are no tickets:
    # only the central's time can tell that this clock is wrong.
    doctor = under_clock("-3d", station, "doctor")
    assert clock_line(doctor.stdout).startswith("ok   clock")
    assert "not yet compared with the central" in clock_line(doctor.stdout)

    synced = under_clock("-3d", station, "sync", "--once")
    assert synced.returncode == 0, synced.stderr

    doctor = under_clock("-3d", station, "doctor")
    line = clock_line(doctor.stdout)
    assert line.startswith("FAIL clock"), doctor.stdout
    assert "慢3天" in line and "3 d" in line and "slow" in line
    assert doctor.returncode == 1
    assert "Traceback" not in doctor.stdout + doctor.stderr

    # The box's clock set right since: the same measurement, carried
    # forward on the monotonic clock, no longer blames it.
    doctor = station.kiosk("doctor")
    line = clock_line(doctor.stdout)
    assert line.startswith("ok   clock"), doctor.stdout
    assert "s from the central's clock" in line


def test_tickets_issued_under_a_clock_ahead_reach_the_central_marked(
    station: Station,
) -> None:
    zone = station.settings.zone
    right = issue_ticket(station.settings, TicketDraft(category="housing", item="lift"))
    synced = under_clock("+2d", station, "sync", "--once")
    assert synced.returncode == 0, synced.stderr

    # Two days ahead: after every ticket and the release date, so only the
    # skew the sync measured finds it out.
    ahead = issue_ticket(
        station.settings,
        TicketDraft(category="housing", item="lift"),
        clock=lambda: datetime.now(zone) + timedelta(days=2),
    )
    stored = {t.ticket_no: t for t in Ticket.select()}
    assert not stored[right.ticket_no].clock_suspect
    assert stored[ahead.ticket_no].clock_suspect
    skew = stored[ahead.ticket_no].clock_skew
    assert skew == pytest.approx(-2 * 86400, abs=60)

    synced = station.kiosk("sync", "--once")
    assert synced.returncode == 0, synced.stderr
    payloads = {
        json.loads(payload)["ticket_no"]: json.loads(payload)
        for (payload,) in station.central.query(
            "SELECT payload FROM event WHERE station = ? AND kind = 'received'",
            (station.code,),
        )
    }
    assert "clock" not in payloads[right.ticket_no]
    mark = payloads[ahead.ticket_no]["clock"]
    assert mark["suspect"] is True
    assert mark["skew_seconds"] == pytest.approx(-2 * 86400, abs=60)

    doctor = station.kiosk("doctor")
    assert "1 tickets were issued under a suspect clock" in clock_line(doctor.stdout)


def header_text(app: StaffApp) -> str:
    return " ".join(
        str(static.render()) for static in app.screen.query("StaffHeader Static")
    )


async def test_the_board_header_shows_a_clock_three_days_slow(
    station: Station,
) -> None:
    synced = under_clock("-3d", station, "sync", "--once")
    assert synced.returncode == 0, synced.stderr
    settings = station.settings
    accounts.add_user(settings, "wang", "head", HEAD_PIN)
    slow = lambda: datetime.now(settings.zone) - timedelta(days=3)  # noqa: E731
    app = StaffApp(settings, now=slow)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_screen(pilot, LoginScreen)
        app.screen.query_one("#login-name", Input).value = "wang"
        app.screen.query_one("#login-pin", Input).focus()
        await pilot.press(*HEAD_PIN, "enter")
        await wait_screen(pilot, BoardScreen)
        await wait_for(pilot, lambda: "时钟慢3天" in header_text(app))
        warning = app.screen.query_one("#header-clock-warning", Static)
        assert warning.display
