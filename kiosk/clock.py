"""Time the station can trust.

A box with no real-time-clock battery that boots without a network starts
at 1970, or at its last saved time. The kiosk then never dates a ticket
before the newest ticket it holds, nor before this release's date: a ticket
issued under a clock that is behind takes the earliest moment that can be
true, and staff (the board) and ``kiosk doctor`` are told that the clock
needs setting.

Every sync answer carries the central's time (docs/sync-protocol.md): the
sync engine records the box's skew against it, with the moment on the
system's monotonic clock, so a later check can tell whether the box's clock
has been set since. A ticket issued while the clock is behind or skewed past
``[central] clock_skew_limit`` is marked (``ticket.clock_suspect``, and
``clock`` in the payload the central receives) with the skew known then, so
that its number and its SLA times can be trusted or corrected.
"""

from __future__ import annotations

import json
import logging
import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from db import KeyValue, database
from kiosk.config import Settings

log = logging.getLogger(__name__)

# This release's date: no ticket this kiosk issues can be older. Moved on
# with each release.
RELEASE_DATE = date(2026, 11, 20)

# The last measurement of the box's clock against the central's (JSON).
SKEW_KEY = "clock_skew"
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")


@dataclass(frozen=True)
class SkewReading:
    """The central's clock minus the box's, measured in a sync answer."""

    seconds: float
    central_at: datetime  # the central's time in that answer
    monotonic: float  # the box's monotonic clock then
    boot_id: str  # the boot that monotonic clock belongs to

    def to_json(self) -> str:
        return json.dumps(
            {
                "seconds": round(self.seconds, 3),
                "central_at": self.central_at.isoformat(),
                "monotonic": self.monotonic,
                "boot_id": self.boot_id,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> SkewReading | None:
        try:
            data = json.loads(text)
            return cls(
                float(data["seconds"]),
                datetime.fromisoformat(data["central_at"]),
                float(data["monotonic"]),
                str(data["boot_id"]),
            )
        except (TypeError, ValueError, KeyError):
            return None

    def skew_at(self, now: datetime) -> float:
        """The skew now: the central's time carried forward on the monotonic
        clock, against the box's clock ``now``. After a reboot (a new
        monotonic clock) the skew as measured."""
        if self.boot_id and self.boot_id == current_boot_id():
            elapsed = time_module.monotonic() - self.monotonic
            if elapsed >= 0:
                central_now = self.central_at + timedelta(seconds=elapsed)
                return (central_now - now).total_seconds()
        return self.seconds


def current_boot_id() -> str:
    try:
        return BOOT_ID_FILE.read_text(encoding="ascii").strip()
    except OSError:
        return ""


def measure_skew(
    central_at: datetime, sent: datetime, received: datetime, sent_monotonic: float
) -> SkewReading:
    """The skew from one request: the central's time against the midpoint of
    the box's send and receive times (off by at most half the round trip)."""
    round_trip = max((received - sent).total_seconds(), 0.0)
    middle = sent + timedelta(seconds=round_trip / 2)
    return SkewReading(
        (central_at - middle).total_seconds(),
        central_at,
        sent_monotonic + round_trip / 2,
        current_boot_id(),
    )


def record_skew(reading: SkewReading) -> None:
    """Keep the newest measurement (in the caller's transaction)."""
    text = reading.to_json()
    KeyValue.insert(key=SKEW_KEY, value=text).on_conflict(
        conflict_target=[KeyValue.key], update={KeyValue.value: text}
    ).execute()


def last_skew() -> SkewReading | None:
    row = KeyValue.get_or_none(KeyValue.key == SKEW_KEY)
    return SkewReading.from_json(row.value) if row else None


def describe_seconds(seconds: float) -> tuple[str, str]:
    """A duration in Chinese and in English, in its largest two units,
    rounded to the smaller one (3 d 0 h rather than 2 d 23 h)."""
    units = [(86400, "天", "d"), (3600, "小时", "h"), (60, "分", "min"), (1, "秒", "s")]
    size = abs(seconds)
    index = next((i for i, unit in enumerate(units) if size >= unit[0]), 3)
    small = units[min(index + 1, 3)][0]
    left = round(size / small) * small
    shown = []
    for length, zh, en in units[index : index + 2]:
        value, left = divmod(left, length)
        shown.append((int(value), zh, en))
    if len(shown) == 2 and not shown[1][0]:
        shown.pop()
    if not shown[0][0] and len(shown) == 2:
        shown.pop(0)
    chinese = "".join(f"{value}{zh}" for value, zh, _ in shown)
    english = " ".join(f"{value} {en}" for value, _, en in shown)
    return chinese, english


@dataclass(frozen=True)
class ClockCheck:
    """The box's clock against the earliest moment that can be true."""

    now: datetime
    floor: datetime  # the newest ticket's time, or the release date
    floor_is_ticket: bool
    # The central's clock minus the box's, as the last sync measured it;
    # None when the box has never compared its clock with the central's.
    skew: float | None = None
    skew_limit: float = 120.0

    @property
    def behind(self) -> bool:
        return self.now < self.floor

    @property
    def skewed(self) -> bool:
        return self.skew is not None and abs(self.skew) > self.skew_limit

    @property
    def suspect(self) -> bool:
        """New tickets would carry a time that cannot be trusted."""
        return self.behind or self.skewed

    def skew_text(self) -> tuple[str, str]:
        """The skew in Chinese and in English: "慢 3天2小时" / "3 d 2 h slow"."""
        if self.skew is None:
            return "", ""
        chinese, english = describe_seconds(self.skew)
        if self.skew >= 0:
            return f"慢{chinese}", f"{english} slow"
        return f"快{chinese}", f"{english} fast"

    def header_warning(self) -> str:
        """A few words for the board's header; empty when the clock is right."""
        if self.skewed:
            return f"时钟{self.skew_text()[0]}"
        if self.behind:
            return "时钟未校准"
        return ""

    def problem(self) -> str | None:
        """A sentence for staff when the clock is wrong; None when it is not."""
        if self.skewed and not self.behind:
            chinese, english = self.skew_text()
            return (
                f"本机时钟比街道平台{chinese}（上次同步时测得）：请校准时间"
                f"（timedatectl 或联网）。校准前的新工单标记为时间存疑。"
                f" / The box's clock is {english} against the central's"
                f" (measured at the last sync): set the time; new tickets are"
                f" marked as issued under a suspect clock meanwhile."
            )
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
    # UTC offsets lie within 26 hours of each other, so only a ticket written
    # in the two days before the latest text can be the newest: the index is
    # read from there, never a station's years of tickets (this runs at every
    # Submit).
    newest = None
    (latest,) = database.execute_sql("SELECT MAX(created_at) FROM ticket").fetchone()
    if latest is None:
        return None
    rows = database.execute_sql(
        "SELECT MAX(created_at) FROM ticket WHERE created_at >= ?"
        " GROUP BY substr(created_at, 20)",
        (_two_days_before(latest),),
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


def _two_days_before(text: str) -> str:
    """The date two days before the ISO time ``text``, as text ("" if it is
    not a time: then every ticket is read)."""
    try:
        day = date.fromisoformat(str(text)[:10])
    except ValueError:
        return ""
    return (day - timedelta(days=2)).isoformat()


def suspect_ticket_count() -> int:
    """Tickets issued under a clock that was behind or skewed."""
    row = database.execute_sql(
        "SELECT COUNT(*) FROM ticket WHERE clock_suspect"
    ).fetchone()
    return int(row[0])


def check_clock(settings: Settings, now: datetime) -> ClockCheck:
    """Read the newest ticket and the last skew measurement (in the caller's
    connection or transaction) and compare the clock with them and with the
    release date."""
    release = release_start(settings)
    newest = newest_ticket_at(settings)
    reading = last_skew()
    skew = reading.skew_at(now) if reading is not None else None
    limit = settings.central.clock_skew_limit
    moment = now.astimezone(settings.zone)
    if newest is not None and newest > release:
        return ClockCheck(moment, newest, True, skew, limit)
    return ClockCheck(moment, release, False, skew, limit)


@dataclass(frozen=True)
class TrustedMoment:
    """When a ticket is dated, and whether that time can be trusted."""

    moment: datetime
    suspect: bool
    skew: float | None  # the central's clock minus the box's, if known


def trusted_moment(settings: Settings, moment: datetime) -> TrustedMoment:
    """``moment``, or the earliest moment that can be true when the clock is
    behind (logged), and whether it is suspect. Call it in the transaction
    that writes the ticket."""
    check = check_clock(settings, moment)
    if not check.behind:
        if check.skewed:
            log.warning(
                "clock skewed by %.0f s against the central; the ticket is marked",
                check.skew,
            )
        return TrustedMoment(moment, check.skewed, check.skew)
    log.warning(
        "clock behind: %s is before %s; the ticket is dated %s",
        moment.isoformat(),
        "the newest ticket" if check.floor_is_ticket else "the release date",
        check.floor.isoformat(),
    )
    return TrustedMoment(check.floor.replace(microsecond=0), True, check.skew)
