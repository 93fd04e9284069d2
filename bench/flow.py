"""Tickets through the real kiosk, headless, as a resident at the keypad.

Each ticket starts on the welcome screen: "1" (make a request), "2" (housing),
"1" (roof leak), the building and description put into the draft, "enter"
(details -> review), then the timed "enter" on the review screen until the
ticket screen shows its QR code, and "enter" back to the welcome screen.

Keys are the same ``Key`` events ``Pilot.press`` sends, but the steps before
and after the timed one wait for the next screen's first paint (a message hook,
no polling) instead of ``Pilot.press``'s idle waits, which sleep 20 ms at a
time and would make a 500-ticket run take several times longer. The timed
step polls with ``Pilot.pause`` until the QR code is there; its figures come
from the hook's timestamps, not from when the poll noticed.

The resident reads the ticket for a while before pressing "enter": the app's
clock (``KioskApp(clock=...)``) is moved on by READING_SECONDS instead of
sleeping, so a guard against an accidental double "enter" on the ticket
screen lets the finishing "enter" through without slowing the run down.
"""

from __future__ import annotations

import sqlite3
import time
from array import array
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from bench.apps import SIZE, PaintProbe, kiosk_target

STEP_TIMEOUT_S = 30.0
READING_SECONDS = 8.0  # well below the ticket screen's and the idle timeouts
FINISH_WAIT_S = 2.0
BUILDING = "3号楼"
DESCRIPTION = "顶层东户屋顶漏水，雨天滴到卧室。"


class SkewedClock:
    """time.monotonic() plus a skew the benchmark moves on (never back)."""

    def __init__(self) -> None:
        self.skew = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skew

    def advance(self, seconds: float) -> None:
        self.skew += seconds


def send_key(app: App[Any], key: str) -> None:
    """The Key event ``Pilot.press`` would send, without its idle waits."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app.post_message(event)


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], what: str
) -> None:
    """Pause (``Pilot.pause``) until ``condition`` holds; no fixed sleeps."""
    deadline = time.perf_counter() + STEP_TIMEOUT_S
    while not condition():
        if not pilot.app.is_running:
            raise RuntimeError(f"the app stopped while waiting for {what}")
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await pilot.pause()


class TicketRun:
    """One kiosk, ``tickets`` tickets, per-ticket timings and RSS samples."""

    def __init__(self, database: Path, rss: Callable[[], int]) -> None:
        self.clock = SkewedClock()
        self.database = database
        self.target = kiosk_target(database, clock=self.clock)
        self.app = self.target.app
        self.probe = PaintProbe(self.app)
        self.rss = rss
        self.submit_to_qr_ms = array("d")
        self.submit_to_issued_ms = array("d")
        self.submit_to_qr_mounted_ms = array("d")
        self.submit_to_qr_polled_ms = array("d")
        self.ticket_wall_ms = array("d")
        self.rss_samples: list[tuple[int, int]] = []
        self.finish_resets = 0
        self.done = 0

    async def step(self, key: str, screen_type: type[Screen[Any]]) -> None:
        send_key(self.app, key)
        await self.probe.wait_shown(screen_type, STEP_TIMEOUT_S)

    async def run(self, count: int, sample_every: int) -> str | None:
        """Issue the tickets; the error that stopped the run, if any."""
        from screens.messages import TicketIssued
        from screens.ticket import TicketScreen

        probe = self.probe
        probe.watch_screens()
        probe.watch_first_paint(self.target, "welcome")
        probe.watch_message(TicketIssued, "issued")
        probe.watch_mount(
            "qr", lambda widget: isinstance(widget.screen, TicketScreen), "qr"
        )
        error: str | None = None
        try:
            async with self.app.run_test(size=SIZE, message_hook=probe.hook) as pilot:
                try:
                    await self.tickets(pilot, count, sample_every)
                except Exception as failure:
                    error = f"{type(failure).__name__}: {failure}"
        except Exception as failure:  # the app's own exception, re-raised on exit
            error = f"{type(failure).__name__}: {failure}"
        if error is not None:
            error = f"after {self.done} tickets: {error}"
        return error

    async def tickets(self, pilot: Pilot[Any], count: int, sample_every: int) -> None:
        from screens.category import CategoryScreen
        from screens.details import DetailsScreen
        from screens.item import ItemScreen
        from screens.review import ReviewScreen
        from screens.ticket import TicketScreen
        from screens.welcome import WelcomeScreen

        app = self.app
        probe = self.probe
        await probe.wait_shown(WelcomeScreen, STEP_TIMEOUT_S)
        if sample_every:
            self.rss_samples.append((0, self.rss()))
        for number in range(1, count + 1):
            started = time.perf_counter()
            await self.step("1", CategoryScreen)
            await self.step("2", ItemScreen)
            await self.step("1", DetailsScreen)
            draft = app.draft  # type: ignore[attr-defined]
            draft.building = BUILDING
            draft.description = DESCRIPTION
            await self.step("enter", ReviewScreen)

            probe.marks.clear()
            t_press = time.perf_counter()
            send_key(app, "enter")
            await wait_until(
                pilot,
                lambda: (
                    isinstance(app.screen, TicketScreen)
                    and bool(app.screen.query("#qr"))
                    and "qr" in probe.marks
                ),
                "the ticket screen with its QR code",
            )
            self.submit_to_qr_polled_ms.append((time.perf_counter() - t_press) * 1000)
            self.submit_to_qr_ms.append((probe.marks["qr"] - t_press) * 1000)
            self.submit_to_qr_mounted_ms.append(
                (probe.marks["qr_mounted"] - t_press) * 1000
            )
            self.submit_to_issued_ms.append((probe.marks["issued"] - t_press) * 1000)

            await self.finish(WelcomeScreen)
            self.ticket_wall_ms.append((time.perf_counter() - started) * 1000)
            self.done = number
            if sample_every and number % sample_every == 0:
                self.rss_samples.append((number, self.rss()))

    async def finish(self, welcome: type[Screen[Any]]) -> None:
        """ "enter" on the ticket screen, after the resident has read it.

        Should the app ignore that "enter" (a guard the benchmark does not
        know about), the flow is reset the way the app's own timeout does it,
        and counted in ``finish_resets``.
        """
        self.clock.advance(READING_SECONDS)
        send_key(self.app, "enter")
        try:
            await self.probe.wait_shown(welcome, FINISH_WAIT_S)
        except TimeoutError:
            self.finish_resets += 1
            self.app.reset_flow()  # type: ignore[attr-defined]
            await self.probe.wait_shown(welcome, STEP_TIMEOUT_S)

    def result(self) -> dict[str, Any]:
        return {
            "submit_to_qr_ms": self.submit_to_qr_ms.tolist(),
            "submit_to_issued_ms": self.submit_to_issued_ms.tolist(),
            "submit_to_qr_mounted_ms": self.submit_to_qr_mounted_ms.tolist(),
            "submit_to_qr_polled_ms": self.submit_to_qr_polled_ms.tolist(),
            "ticket_wall_ms": self.ticket_wall_ms.tolist(),
            "rss_samples": self.rss_samples,
            "finish_resets": self.finish_resets,
            "tickets_done": self.done,
            "tickets_in_database": ticket_count(self.database),
        }


def ticket_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("SELECT count(*) FROM ticket").fetchone()[0])


async def run_tickets(job: dict[str, Any], rss: Callable[[], int]) -> dict[str, Any]:
    """The driver's "tickets" job: issue ``job["tickets"]`` tickets."""
    run = TicketRun(Path(job["database"]), rss)
    started = time.perf_counter()
    error = await run.run(int(job["tickets"]), int(job.get("sample_every") or 0))
    result = run.result()
    result["elapsed_s"] = time.perf_counter() - started
    result["error"] = error
    return result
