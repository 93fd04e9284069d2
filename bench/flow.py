"""Tickets through the real kiosk, headless, as a resident at the keypad.

Each ticket starts on the welcome screen. With the "direct" flow (the
default) the whole draft is set on the app and the review screen pushed
straight from the welcome screen. With the "keypad" flow the resident's keys
get there: "1" (make a request), "2" (housing), "1" (roof leak), the building
and description put into the draft, "enter" (details -> review); that renders
every screen of the flow (and makes their garbage) but takes about twice as
long per ticket. Then, either way, the timed "enter" on the review screen until
the ticket screen shows its QR code, and "enter" back to the welcome screen.

Keys are the same ``Key`` events ``Pilot.press`` sends, but the steps before
and after the timed one wait for the next screen's first paint (a message hook,
no polling) instead of ``Pilot.press``'s idle waits, which sleep 20 ms at a
time and would make a 500-ticket run take several times longer. The timed
step waits the same way for the frame with the QR code: a poll with
``Pilot.pause`` would run in the app's own event loop and take time from the
span it measures.

The resident reads the ticket for a while before pressing "enter": meanwhile
the app's background work for the ticket (its printing, say) is let finish,
so that it does not spill into the next resident's timed span, and the app's
clock (``KioskApp(clock=...)``) is moved on by READING_SECONDS instead of
sleeping, so a guard against an accidental double "enter" on the ticket
screen lets the finishing "enter" through without slowing the run down.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import time
from array import array
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App
from textual.message import Message
from textual.pilot import Pilot
from textual.screen import Screen

from bench.apps import SIZE, PaintProbe, kiosk_target
from bench.baseline import RawInsert

STEP_TIMEOUT_S = 30.0
READING_SECONDS = 8.0  # well below the ticket screen's and the idle timeouts
FINISH_WAIT_S = 2.0
FLOWS = ("direct", "keypad")
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


class FullCollections:
    """Pauses of the garbage collector's full (generation 2) collections."""

    def __init__(self) -> None:
        self.count = 0
        self.pauses_ms = array("d")
        self.ignore = False  # set around the benchmark's own gc.collect()
        self._started = 0.0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        if self.ignore or info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.pauses_ms.append((time.perf_counter() - self._started) * 1000)


class TicketRun:
    """One kiosk, ``tickets`` tickets, per-ticket timings and RSS samples."""

    def __init__(
        self,
        database: Path,
        rss: Callable[[], int],
        flow: str = FLOWS[0],
        baseline: Path | None = None,
    ) -> None:
        if flow not in FLOWS:
            raise ValueError(f"flow must be one of {FLOWS}, not {flow!r}")
        self.flow = flow
        self.clock = SkewedClock()
        self.database = database
        self.target = kiosk_target(database, clock=self.clock)
        self.app = self.target.app
        self.probe = PaintProbe(self.app)
        self.rss = rss
        self.submit_to_qr_ms = array("d")
        self.submit_to_issued_ms = array("d")
        self.submit_to_ticket_shown_ms = array("d")
        self.submit_to_qr_seen_ms = array("d")
        self.ticket_wall_ms = array("d")
        self.raw = RawInsert(baseline) if baseline is not None else None
        self.raw_insert_ms = array("d")
        self.rss_samples: list[tuple[int, int]] = []
        self.full_gc = FullCollections()
        self.submits_with_full_gc = 0
        self.finish_resets = 0
        self.done = 0
        self.issued_url = ""

    async def step(self, key: str, screen_type: type[Screen[Any]]) -> None:
        send_key(self.app, key)
        await self.probe.wait_shown(screen_type, STEP_TIMEOUT_S)

    async def run(self, count: int, sample_every: int) -> str | None:
        """Issue the tickets; the error that stopped the run, if any."""
        from screens.resident.issued_ticket import IssuedTicketScreen
        from screens.resident.messages import TicketIssued

        probe = self.probe
        probe.watch_screens()
        probe.watch_message(TicketIssued, "issued")
        probe.watch_screen_shown(IssuedTicketScreen, "qr", "qr")

        def keep_issued(message: Message, pump: object) -> None:
            if isinstance(message, TicketIssued):
                self.issued_url = message.ticket.url

        probe.watchers.append(keep_issued)
        error: str | None = None
        gc.callbacks.append(self.full_gc.callback)
        try:
            async with self.app.run_test(size=SIZE, message_hook=probe.hook) as pilot:
                try:
                    await self.tickets(pilot, count, sample_every)
                except Exception as failure:
                    error = f"{type(failure).__name__}: {failure}"
        except Exception as failure:  # the app's own exception, re-raised on exit
            error = f"{type(failure).__name__}: {failure}"
        finally:
            gc.callbacks.remove(self.full_gc.callback)
            if self.raw is not None:
                self.raw.close()
        if error is not None:
            error = f"after {self.done} tickets: {error}"
        return error

    async def tickets(self, pilot: Pilot[Any], count: int, sample_every: int) -> None:
        from kiosk.tickets import TicketDraft
        from screens.resident.category import CategoryScreen
        from screens.resident.details import DetailsScreen
        from screens.resident.issued_ticket import IssuedTicketScreen
        from screens.resident.item import ItemScreen
        from screens.resident.review import ReviewScreen
        from screens.resident.welcome import WelcomeScreen
        from screens.widgets.qrcode import QRCode

        app = self.app
        probe = self.probe
        await probe.wait_shown(WelcomeScreen, STEP_TIMEOUT_S)
        if sample_every:
            self.sample_rss(0)
        for number in range(1, count + 1):
            if self.raw is not None:
                self.raw_insert_ms.append(self.raw.timed_insert() * 1000)
            started = time.perf_counter()
            if self.flow == "keypad":
                await self.step("1", CategoryScreen)
                await self.step("2", ItemScreen)
                await self.step("1", DetailsScreen)
                draft = app.draft  # type: ignore[attr-defined]
                draft.building = BUILDING
                draft.description = DESCRIPTION
                await self.step("enter", ReviewScreen)
            else:
                app.draft = TicketDraft(  # type: ignore[attr-defined]
                    language=app.language,  # type: ignore[attr-defined]
                    category="housing",
                    item="roof-leak",
                    building=BUILDING,
                    description=DESCRIPTION,
                )
                # From the app's own task, as a key binding would: screens
                # started from this (the pilot's) task would miss the hook.
                app.call_later(app.push_screen, ReviewScreen())
                await probe.wait_shown(ReviewScreen, STEP_TIMEOUT_S)

            probe.marks.clear()
            gc_before = self.full_gc.count
            t_press = time.perf_counter()
            send_key(app, "enter")
            await probe.wait_mark("qr", STEP_TIMEOUT_S)
            self.submit_to_qr_seen_ms.append((time.perf_counter() - t_press) * 1000)
            screen = app.screen
            if not (
                isinstance(screen, IssuedTicketScreen)
                and screen.query_one("#qr", QRCode).data == self.issued_url
            ):
                raise RuntimeError("the QR code painted is not the new ticket's")
            self.submit_to_qr_ms.append((probe.marks["qr"] - t_press) * 1000)
            self.submit_to_ticket_shown_ms.append(
                (probe.marks["qr_shown"] - t_press) * 1000
            )
            self.submit_to_issued_ms.append((probe.marks["issued"] - t_press) * 1000)
            if self.full_gc.count > gc_before:
                self.submits_with_full_gc += 1

            await self.background_done()
            await self.finish(WelcomeScreen)
            self.ticket_wall_ms.append((time.perf_counter() - started) * 1000)
            self.done = number
            if sample_every and number % sample_every == 0:
                self.sample_rss(number)

    def sample_rss(self, tickets: int) -> None:
        self.full_gc.ignore = True
        try:
            self.rss_samples.append((tickets, self.rss()))
        finally:
            self.full_gc.ignore = False

    async def background_done(self) -> None:
        """Wait for the app's workers (printing, status) to finish."""
        deadline = time.perf_counter() + STEP_TIMEOUT_S
        for worker in list(self.app.workers):
            remaining = deadline - time.perf_counter()
            try:
                await asyncio.wait_for(worker.wait(), max(remaining, 0.001))
            except TimeoutError:
                raise TimeoutError(f"worker {worker.name!r} still running") from None
            except Exception:  # failed or cancelled: the app deals with it
                pass

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
            "submit_to_ticket_shown_ms": self.submit_to_ticket_shown_ms.tolist(),
            "submit_to_qr_seen_ms": self.submit_to_qr_seen_ms.tolist(),
            "ticket_wall_ms": self.ticket_wall_ms.tolist(),
            "raw_insert_ms": self.raw_insert_ms.tolist(),
            "rss_samples": self.rss_samples,
            "flow": self.flow,
            "full_gc_ms": self.full_gc.pauses_ms.tolist(),
            "submits_with_full_gc": self.submits_with_full_gc,
            "finish_resets": self.finish_resets,
            "tickets_done": self.done,
            "tickets_in_database": ticket_count(self.database),
        }


def ticket_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return int(connection.execute("SELECT count(*) FROM ticket").fetchone()[0])


async def run_tickets(job: dict[str, Any], rss: Callable[[], int]) -> dict[str, Any]:
    """The driver's "tickets" job: issue ``job["tickets"]`` tickets."""
    baseline = job.get("baseline")
    run = TicketRun(
        Path(job["database"]),
        rss,
        job.get("flow", FLOWS[0]),
        Path(baseline) if baseline else None,
    )
    started = time.perf_counter()
    error = await run.run(int(job["tickets"]), int(job.get("sample_every") or 0))
    result = run.result()
    result["elapsed_s"] = time.perf_counter() - started
    result["error"] = error
    return result
