"""What the tests share: constants (the fixed clock, PINs, hostile text),
making tickets, waiting on conditions, reading what is on screen."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk import desk
from kiosk.accounts import StaffSession
from kiosk.config import Settings
from kiosk.tickets import IssuedTicket, TicketDraft, issue_ticket
from screens.resident.category import CategoryScreen
from screens.resident.details import DetailsScreen
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.resident.item import ItemScreen
from screens.resident.review import ReviewScreen
from screens.widgets.writing_pad import KeyStrip

ZONE = ZoneInfo("Asia/Shanghai")
FIXED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=ZONE)


class ManualClock:
    """A monotonic clock the test moves by hand (for idle and timeouts)."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


# Resident text that would be an action or a markup error if it were ever
# parsed as Textual markup.
HOSTILE_MARKUP = "[@click=app.quit]x[/] [link="
# Text from outside (a resident, a station, an Open311 client) that has broken
# or could break something: markup, escapes, control and bidi characters,
# lone surrogates, injection, paths, look-alike numbers, sheer length.
HOSTILE_STRINGS = (
    "",
    HOSTILE_MARKUP,
    "\x00",
    "\x1b[31mRED\x1b[0m",
    "\x07 \x0b \x0c \x7f \ufffe",
    "\ud800",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "PHY3-261125-001",
    "DTJ7",
    "9" * 400,
    "2026-11-25T09:30:00",
    "2026-13-45T99:99:99+08:00",
    "../../etc/passwd",
    "\u202e\u200b",
    "👨‍👩‍👧‍👦🏳️‍🌈",
    "②²",
)

HEAD_PIN = "246810"
STAFF_PIN = "135790"


def issue(
    settings: Settings,
    category: str = "housing",
    item: str = "lift",
    description: str = "",
    building: str = "五巷3号楼",
    mobile: str = "",
    at: datetime | None = None,
) -> IssuedTicket:
    draft = TicketDraft(
        category=category,
        item=item,
        building=building,
        description=description,
        contact_mobile=mobile,
        contact_name="张" if mobile else "",
        consent=bool(mobile),
    )
    return issue_ticket(settings, draft, now=at or FIXED_NOW - timedelta(hours=1))


async def wait_for(
    pilot: Pilot[object], condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Let the app run until ``condition`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.01)


async def tap(pilot: Pilot[object], name: str) -> None:
    """Tap the writing pad's key ``name``: on the touch keyboard (key-q, key-3,
    key-delete …) or in the candidate bar (candidate-1 …)."""
    for strip in pilot.app.screen.query(KeyStrip):
        spot = strip.offset_of(name)
        if spot is not None:
            assert await pilot.click(strip, offset=spot), f"{name} is covered"
            return
    raise AssertionError(f"no key {name} on screen")


async def paste(pilot: Pilot[object], text: str) -> None:
    """Text that arrives whole (a paste, as a scanner or a keyboard's paste
    sends it) into the focused field: on a writing field, typed keys would
    be the keypad's (digits spell, ``.`` deletes)."""
    focused = pilot.app.focused
    assert focused is not None
    focused.post_message(events.Paste(text))
    await pilot.pause()


def screen_text(app: App[object]) -> str:
    """All text of the Static widgets on the current screen, one per line."""
    parts = []
    for widget in app.screen.query(Static):
        parts.append(str(widget.render()))
    return "\n".join(parts)


async def wait_screen(pilot: Pilot[object], screen_type: type) -> None:
    """Wait until a screen of ``screen_type`` is current and mounted (composed,
    its mount handlers run), so its widgets can be queried."""

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and screen.is_mounted

    await wait_for(pilot, shown)
    # Let the screen change be fully handled (the resident app drops keys
    # pressed before it): a person cannot press within the same moment.
    await pilot.pause()


async def keypad_to_ticket(pilot: Pilot[object], category: str = "2") -> None:
    """From the welcome screen to a ticket with keypad keys alone: 1 (make a
    request), the category's tile (2: housing), 1 (its first item: for
    housing, the roof leak), Enter (details), Enter (submit)."""
    for key, screen_type in (
        ("1", CategoryScreen),
        (category, ItemScreen),
        ("1", DetailsScreen),
        ("enter", ReviewScreen),
        ("enter", IssuedTicketScreen),
    ):
        await pilot.press(key)
        await wait_screen(pilot, screen_type)


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Outside an app: return once ``condition`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.02)  # paces the checks of the condition


def process_ended(pid: int) -> bool:
    """The process has ended; perhaps a zombie still, waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def with_printer(settings: Settings, target: str, **changes: Any) -> Settings:
    """The settings with another printer (and a short timeout)."""
    printer = dataclasses.replace(
        settings.printer, target=target, timeout=1.0, **changes
    )
    return dataclasses.replace(settings, printer=printer)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def fill_desk_month(settings: Settings, head: StaffSession) -> tuple[str, str]:
    """Through the front desk's own actions: a ticket answered in 1 h and
    rated 满意; one answered in 6 h, reopened twice, then 基本满意; one
    withdrawn as its duplicate; one at the month's last second."""
    first = issue(settings, at=at("2026-11-03T09:00:00+08:00")).ticket_no
    desk.dispatch(
        settings, head, first, "property", now=at("2026-11-03T10:00:00+08:00")
    )
    desk.resolve(settings, head, first, "修好", now=at("2026-11-04T09:00:00+08:00"))
    desk.call_back(settings, head, first, "satisfied", now=at("2026-11-05T09:00+08:00"))
    second = issue(settings, at=at("2026-11-04T09:00:00+08:00")).ticket_no
    desk.dispatch(settings, head, second, "property", now=at("2026-11-04T15:00+08:00"))
    for day, rating in (("06", "dissatisfied"), ("08", "dissatisfied"),
                        ("10", "basically_satisfied")):  # fmt: skip
        desk.resolve(
            settings, head, second, "办结", now=at(f"2026-11-{day}T09:00+08:00")
        )
        desk.call_back(
            settings, head, second, rating, now=at(f"2026-11-{day}T10:00+08:00")
        )
    copy = issue(settings, at=at("2026-11-04T09:10:00+08:00")).ticket_no
    desk.withdraw(settings, head, copy, "duplicate", original_no=second,
                  now=at("2026-11-04T09:20:00+08:00"))  # fmt: skip
    issue(settings, "sanitation", "rubbish", at=at("2026-11-30T23:59:59+08:00"))
    issue(settings, "sanitation", "rubbish", at=at("2026-12-01T00:00:00+08:00"))
    return first, second


def run_kiosk_command(capsys, *argv: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """``kiosk ARGV...`` in this process: the exit code, stdout and stderr."""
    # kiosk.cli loads the command modules; only the tests that run one need it
    from kiosk import cli

    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
