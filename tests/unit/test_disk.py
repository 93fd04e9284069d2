"""The disk: new tickets refused before SQLite would fail mid-write, and
``kiosk doctor``'s use and days left."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from datetime import timedelta

import pytest

from db import Outbox, Ticket
from kiosk.backup import make_backup
from kiosk.cli.backup import disk_report
from kiosk.config import DiskSettings, render_config
from kiosk.disk import MEGABYTE, disk_space
from kiosk.tickets import TicketSaveError
from tests.helpers import FIXED_NOW, issue


def _free_megabytes(settings) -> float:
    return disk_space(settings.database_path.parent).free / MEGABYTE


def test_new_tickets_are_refused_when_the_reserve_is_reached(settings, station_db):
    issue(settings)
    short = dataclasses.replace(
        settings, disk=DiskSettings(reserve_mb=_free_megabytes(settings) + 1000)
    )
    with pytest.raises(TicketSaveError, match="almost full .* no new tickets"):
        issue(short)
    assert Ticket.select().count() == Outbox.select().count() == 1
    status = disk_report(short, FIXED_NOW)
    assert status.level == "FAIL" and "NEW TICKETS ARE REFUSED" in status.doctor_line()
    issue(settings)  # with room again, tickets are issued
    assert Ticket.select().count() == 2


def test_days_left_follow_the_rate_of_tickets(settings, station_db):
    assert disk_report(settings, FIXED_NOW).days_left is None  # no rate yet
    for day in range(10):  # 3 a day over the last 10 days
        for _ in range(3):
            issue(settings, at=FIXED_NOW - timedelta(days=day, hours=1))
    issue(settings, at=FIXED_NOW - timedelta(days=200))  # outside the window
    make_backup(settings)  # a copy on the same disk
    status = disk_report(settings, FIXED_NOW)
    assert status.tickets == 31 and status.copies == 1
    assert status.tickets_per_day == pytest.approx(30 / 30)
    size = settings.database_path.stat().st_size
    wal = settings.database_path.with_name("kiosk.db-wal")
    size += wal.stat().st_size if wal.exists() else 0
    assert status.bytes_per_day == pytest.approx(1.0 * size / 31 * 2)
    expected = (status.space.free - status.reserve) / status.bytes_per_day
    assert status.days_left == pytest.approx(expected)
    assert f"about {expected:,.0f} days left" in status.doctor_line()


def test_a_young_station_counts_its_days_only(settings, station_db):
    for hours in (1, 30, 50):
        issue(settings, at=FIXED_NOW - timedelta(hours=hours))
    status = disk_report(settings, FIXED_NOW)
    assert status.tickets_per_day == pytest.approx(3 / (50 / 24))


def test_doctor_warns_past_the_limit_and_fails_below_the_reserve(tmp_path):
    config = tmp_path / "kiosk.toml"
    text = render_config(config, "PHY3", "", "", "")

    def doctor(line: str = "") -> str:
        key = line.split(" = ")[0]
        changed = re.sub(rf"(?m)^{key} = .*$", line, text) if line else text
        config.write_text(changed, "utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "doctor"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in done.stderr
        (line,) = [line for line in done.stdout.splitlines() if " disk: " in line]
        return line

    assert doctor().startswith("ok   disk: ")
    warned = doctor("warn_percent = 1")
    assert warned.startswith("WARN disk: ") and "over 1%" in warned
    failed = doctor("reserve_mb = 999999")
    assert failed.startswith("FAIL disk: ") and "NEW TICKETS ARE REFUSED" in failed
