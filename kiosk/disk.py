"""The disk that holds the station database: how full, how long it lasts.

``room_problem`` is checked before each ticket is issued: with less than
``[disk] reserve_mb`` free, the kiosk refuses new tickets with a clear
message rather than have SQLite fail in the middle of a write. ``disk_status``
is what ``kiosk doctor`` shows: the use, and the days left at the current rate
(tickets per day over the last 30 days, times the bytes each ticket takes in
the database, times the copies of it kept on the same disk).

Only ``os`` here: the check runs in the resident kiosk's process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from kiosk.config import Settings

MEGABYTE = 1_000_000
RATE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class DiskSpace:
    total: int
    used: int
    free: int  # available to this user

    @property
    def percent_used(self) -> float:
        return 100.0 * self.used / self.total if self.total else 0.0


def disk_space(folder: Path) -> DiskSpace:
    stats = os.statvfs(folder)
    total = stats.f_blocks * stats.f_frsize
    used = (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    return DiskSpace(total, used, stats.f_bavail * stats.f_frsize)


def _existing_folder(path: Path) -> Path:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def room_problem(settings: Settings) -> str | None:
    """Why no new ticket may be written now, or None when there is room."""
    try:
        free = disk_space(_existing_folder(settings.database_path)).free
    except OSError:
        return None  # cannot tell: let SQLite say what is wrong, if anything
    reserve = int(settings.disk.reserve_mb * MEGABYTE)
    if free >= reserve:
        return None
    return (
        f"the disk holding the station database is almost full ({free // MEGABYTE} "
        f"MB free, {reserve // MEGABYTE} MB kept in reserve): no new tickets until "
        "room is made (see kiosk doctor)"
    )


@dataclass(frozen=True)
class DiskStatus:
    folder: Path
    space: DiskSpace
    warn_percent: float
    reserve: int
    database_bytes: int
    tickets: int
    tickets_per_day: float
    copies: int  # backups of the database on the same disk
    refusing: str | None

    @property
    def bytes_per_ticket(self) -> float:
        return self.database_bytes / self.tickets if self.tickets else 0.0

    @property
    def bytes_per_day(self) -> float:
        return self.tickets_per_day * self.bytes_per_ticket * (1 + self.copies)

    @property
    def days_left(self) -> float | None:
        if self.bytes_per_day <= 0:
            return None
        return max(0.0, (self.space.free - self.reserve) / self.bytes_per_day)

    @property
    def level(self) -> str:
        if self.refusing:
            return "FAIL"
        return "WARN" if self.space.percent_used >= self.warn_percent else "ok"

    def doctor_line(self) -> str:
        space = self.space
        text = (
            f"{space.percent_used:.0f}% used, {space.free / 1e9:.1f} GB free on the "
            f"disk of {self.folder}"
        )
        if self.days_left is None:
            text += "; no tickets in the last 30 days to tell the rate"
        else:
            text += (
                f"; {self.tickets_per_day:.1f} tickets/day x "
                f"{self.bytes_per_ticket / 1000:.1f} KB x {1 + self.copies} copies: "
                f"about {self.days_left:,.0f} days left"
            )
        if self.refusing:
            text += f"; NEW TICKETS ARE REFUSED: {self.refusing}"
        elif self.level == "WARN":
            text += f" (over {self.warn_percent:g}%: make room or add a disk)"
        return f"{self.level:<4} disk: {text}"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def disk_status(
    settings: Settings,
    tickets: int,
    tickets_since: int,
    first_ticket_at: datetime | None,
    backups: list[Path],
    now: datetime,
) -> DiskStatus:
    """The disk's state; the counts come from the caller's database:
    ``tickets`` in all, ``tickets_since`` created in the last 30 days."""
    database = settings.database_path
    folder = _existing_folder(database)
    database_bytes = sum(_size(Path(f"{database}{suffix}")) for suffix in ("", "-wal"))
    window = float(RATE_WINDOW_DAYS)
    if first_ticket_at is not None:
        age_days = (now - first_ticket_at).total_seconds() / 86400
        window = min(window, max(age_days, 1.0))
    try:
        device = os.stat(folder).st_dev
        copies = sum(1 for path in backups if os.stat(path).st_dev == device)
    except OSError:
        copies = 0
    return DiskStatus(
        folder=folder,
        space=disk_space(folder),
        warn_percent=settings.disk.warn_percent,
        reserve=int(settings.disk.reserve_mb * MEGABYTE),
        database_bytes=database_bytes,
        tickets=tickets,
        tickets_per_day=tickets_since / window,
        copies=copies,
        refusing=room_problem(settings),
    )


def rate_window_start(now: datetime) -> datetime:
    return now - timedelta(days=RATE_WINDOW_DAYS)
