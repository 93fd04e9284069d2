"""Tickets through the real kiosk, headless, as a resident at the keypad.

Each ticket starts on the welcome screen: "1" (make a request), "2" (housing),
"1" (roof leak), the building and description put into the draft, "enter"
(details -> review), then the timed "enter" on the review screen until the
ticket screen shows its QR code, and "enter" back to the welcome screen.

The resident reads the ticket for a while before pressing "enter": the app's
clock (``KioskApp(clock=...)``) is moved on by READING_SECONDS instead of
sleeping, so a guard against an accidental double "enter" on the ticket
screen lets the finishing "enter" through without slowing the run down.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen

from bench.apps import SIZE, PaintProbe, kiosk_target
from bench.baseline import RawInsert

STEP_TIMEOUT_S = 30.0
READING_SECONDS = 8.0  # well below the ticket screen's and idle timeouts
FINISH_WAIT_S = 2.0


class SkewedClock:
    """time.monotonic() plus a skew the benchmark moves on (never back)."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skew

    def advance(self, seconds: float) -> None:
        self.skew += seconds
BUILDING = "3号楼"
DESCRIPTION = "顶层东户屋顶漏水，雨天滴到卧室。"


async def wait_until(
    pilot: Pilot[object], condition: Callable[[], bool], what: str
) -> None:
    """Pause (``Pilot.pause``) until ``condition`` holds; no fixed sleeps."""
    deadline = time.perf_counter() + STEP_TIMEOUT_S
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause()


async def press_to(
    pilot: Pilot[object], key: str, screen_type: type[Screen[Any]]
) -> None:
    await pilot.press(key)
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, screen_type), screen_type.__name__
    )


async def finish_ticket(
    pilot: Pilot[object], clock: SkewedClock, welcome: type[Screen[Any]]
) -> bool:
    """"enter" on the ticket screen, back to welcome; False if it took a reset.

    Should the app ignore that "enter" (some guard the benchmark does not
    know about), the flow is reset the way the app's own timeout does it.
    """
    app = pilot.app
    clock.advance(READING_SECONDS)
    await pilot.press("enter")
    deadline = time.perf_counter() + FINISH_WAIT_S
    while not isinstance(app.screen, welcome):
        if time.perf_counter() > deadline:
            app.reset_flow()  # type: ignore[attr-defined]
            await wait_until(pilot, lambda: isinstance(app.screen, welcome), "reset")
            return False
        await pilot.pause()
    return True


async def run_tickets(job: dict[str, Any], rss: Callable[[], int]) -> dict[str, Any]:
    """Issue ``job["tickets"]`` tickets; per-ticket times and RSS samples.

    With ``job["baseline"]`` a raw SQLite insert (bench/baseline.py) is timed
    before each ticket, outside the timed span, as the same-run baseline.
    """
    from screens.category import CategoryScreen
    from screens.details import DetailsScreen
    from screens.item import ItemScreen
    from screens.messages import TicketIssued
    from screens.review import ReviewScreen
    from screens.ticket import TicketScreen
    from screens.welcome import WelcomeScreen

    count = int(job["tickets"])
    sample_every = int(job.get("sample_every") or 0)
    clock = SkewedClock()
    target = kiosk_target(Path(job["database"]), clock=clock)
    app = target.app
    probe = PaintProbe(app)
    probe.watch_first_paint(target, "welcome")
    probe.watch_message(TicketIssued, "issued")
    probe.watch_mount("qr", lambda widget: isinstance(widget.screen, TicketScreen), "qr")
    raw = RawInsert(Path(job["baseline"])) if job.get("baseline") else None

    submit_ms: list[float] = []
    issued_ms: list[float] = []
    mounted_ms: list[float] = []
    polled_ms: list[float] = []
    raw_ms: list[float] = []
    samples: list[tuple[int, int]] = []
    finish_resets = 0
    started = time.perf_counter()
    async with app.run_test(size=SIZE, message_hook=probe.hook) as pilot:
        await wait_until(pilot, lambda: "welcome" in probe.marks, "the welcome screen")
        if sample_every:
            samples.append((0, rss()))
        for number in range(1, count + 1):
            if raw is not None:
                raw_ms.append(raw.timed_insert() * 1000)
            await press_to(pilot, "1", CategoryScreen)
            await press_to(pilot, "2", ItemScreen)
            await press_to(pilot, "1", DetailsScreen)
            draft = app.draft  # type: ignore[attr-defined]
            draft.building = BUILDING
            draft.description = DESCRIPTION
            await press_to(pilot, "enter", ReviewScreen)

            probe.marks.clear()
            t_press = time.perf_counter()
            await pilot.press("enter")
            await wait_until(
                pilot,
                lambda: isinstance(app.screen, TicketScreen)
                and bool(app.screen.query("#qr"))
                and "qr" in probe.marks,
                "the ticket screen with its QR code",
            )
            polled_ms.append((time.perf_counter() - t_press) * 1000)
            submit_ms.append((probe.marks["qr"] - t_press) * 1000)
            mounted_ms.append((probe.marks["qr_mounted"] - t_press) * 1000)
            issued_ms.append((probe.marks["issued"] - t_press) * 1000)

            if not await finish_ticket(pilot, clock, WelcomeScreen):
                finish_resets += 1
            if sample_every and number % sample_every == 0:
                samples.append((number, rss()))
    if raw is not None:
        raw.close()
    return {
        "submit_to_qr_ms": submit_ms,
        "submit_to_issued_ms": issued_ms,
        "submit_to_qr_mounted_ms": mounted_ms,
        "submit_to_qr_polled_ms": polled_ms,
        "raw_insert_ms": raw_ms,
        "rss_samples": samples,
        "tickets_in_database": _ticket_count(Path(job["database"])),
        "finish_resets": finish_resets,
        "elapsed_s": time.perf_counter() - started,
    }


def _ticket_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute("SELECT count(*) FROM ticket").fetchone()[0])
