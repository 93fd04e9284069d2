"""Time the station can trust.

A box with no real-time-clock battery that boots without a network starts
at 1970, or at its last saved time. The kiosk then never dates a ticket
before the newest ticket it holds, nor before this release's date: a ticket
issued under a clock that is behind takes the earliest moment that can be
true, and staff (the board) and ``kiosk doctor`` are told that the clock
needs setting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time

from db import database
from kiosk.config import Settings

log = logging.getLogger(__name__)

# This release's date: no ticket this kiosk issues can be older. Moved on
# with each release.
RELEASE_DATE = date(2026, 11, 20)


@dataclass(frozen=True)
class ClockCheck:
    """The box's clock against the earliest moment that can be true."""

    now: datetime
    floor: datetime  # the newest ticket's time, or the release date
    floor_is_ticket: bool

    @property
    def behind(self) -> bool:
        return self.now < self.floor

    def problem(self) -> str | None:
        """A sentence for staff when the clock is behind; None when it is not."""
        if not self.behind:
            return None
        source = "最新一张工单" if self.floor_is_ticket else "本软件的发布日期"
        reason = "the newest ticket" if self.floor_is_ticket else "this release's date"
        return (
            f"本机时钟 {self.now:%Y-%m-%d %H:%M} 早于{source}"
            f"（{self.floor:%Y-%m-%d %H:%M}）：请校准时间（timedatectl 或联网）。"
            f"校准前新工单按 {self.floor:%Y-%m-%d %H:%M} 记时。"
            f" / The box's clock ({self.now:%Y-%m-%d %H:%M}) is before {reason}"
            f" ({self.floor:%Y-%m-%d %H:%M}): set the time; new tickets are dated"
            f" {self.floor:%Y-%m-%d %H:%M} meanwhile."
        )


def release_start(settings: Settings) -> datetime:
    return datetime.combine(RELEASE_DATE, time(), settings.zone)


def newest_ticket_at(settings: Settings) -> datetime | None:
    """When the newest ticket in the station's database was issued."""
    # created_at is an ISO time: times with the same UTC offset sort as text,
    # so the latest of each offset is read and those are compared as moments.
    newest = None
    rows = database.execute_sql(
        "SELECT MAX(created_at) FROM ticket GROUP BY substr(created_at, 20)"
    ).fetchall()
    for (text,) in rows:
        try:
            moment = datetime.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=settings.zone)
        if newest is None or moment > newest:
            newest = moment
    return newest.astimezone(settings.zone) if newest else None


def check_clock(settings: Settings, now: datetime) -> ClockCheck:
    """Read the newest ticket (in the caller's connection or transaction)
    and compare the clock with it and with the release date."""
    release = release_start(settings)
    newest = newest_ticket_at(settings)
    if newest is not None and newest > release:
        return ClockCheck(now.astimezone(settings.zone), newest, True)
    return ClockCheck(now.astimezone(settings.zone), release, False)


def trusted_moment(settings: Settings, moment: datetime) -> datetime:
    """``moment``, or the earliest moment that can be true when the clock is
    behind (logged). Call it in the transaction that writes the ticket."""
    check = check_clock(settings, moment)
    if not check.behind:
        return moment
    log.warning(
        "clock behind: %s is before %s; the ticket is dated %s",
        moment.isoformat(),
        "the newest ticket" if check.floor_is_ticket else "the release date",
        check.floor.isoformat(),
    )
    return check.floor.replace(microsecond=0)
