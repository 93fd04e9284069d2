"""``kiosk display``: the TV follows the desk's "call next" within a second,
in both languages, and says each new call aloud."""

from __future__ import annotations

import time
from datetime import timedelta

from kiosk import desk
from kiosk.voice import call_words
from screens.display.app import DisplayApp
from screens.display.widgets import HugeNumber
from tests.helpers import FIXED_NOW, issue, screen_text, wait_for


def shown_number(app: DisplayApp) -> str:
    return app.screen.query_one("#number", HugeNumber).text


async def test_the_tv_follows_the_desk_within_a_second(settings, clerk):
    first = issue(settings, at=FIXED_NOW - timedelta(minutes=30))
    second = issue(
        settings,
        category="sanitation",
        item="rubbish",
        at=FIXED_NOW - timedelta(minutes=20),
    )
    issue(settings, at=FIXED_NOW - timedelta(minutes=10))
    said: list[str] = []
    app = DisplayApp(settings, announce=said.append, now=lambda: FIXED_NOW)
    async with app.run_test(size=(106, 30)) as pilot:
        await wait_for(pilot, lambda: "Waiting: 3" in screen_text(app))
        assert "暂未叫号" in screen_text(app) and shown_number(app) == ""

        desk.call_next(settings, clerk, now=FIXED_NOW)
        called_at = time.monotonic()
        await wait_for(pilot, lambda: shown_number(app) == first.queue_no, timeout=1.0)
        assert time.monotonic() - called_at < 1.0
        await wait_for(pilot, lambda: "Waiting: 2" in screen_text(app), timeout=1.0)
        text = screen_text(app)
        assert f"请 {first.queue_no} 号到前台" in text
        assert f"Number {first.queue_no}, please" in text
        assert "等候 2 位" in text

        desk.call_next(settings, clerk, now=FIXED_NOW)
        await wait_for(pilot, lambda: shown_number(app) == second.queue_no, timeout=1.0)
        await wait_for(pilot, lambda: "Waiting: 1" in screen_text(app), timeout=1.0)
        assert f"Called before:  {first.queue_no}" in screen_text(app)
        # The number is drawn in very large type: taller than a third of the TV.
        assert app.screen.query_one("#number", HugeNumber).size.height >= 10
        await wait_for(pilot, lambda: len(said) == 2)
    assert said == [call_words(first.queue_no), call_words(second.queue_no)]


async def test_the_call_being_served_at_start_is_shown_not_said(settings, clerk):
    ticket = issue(settings)
    desk.call_next(settings, clerk, now=FIXED_NOW)
    said: list[str] = []
    app = DisplayApp(settings, announce=said.append, now=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: shown_number(app) == ticket.queue_no)
        await wait_for(pilot, lambda: "Waiting: 0" in screen_text(app))
        # The whole number fits the smallest supported terminal, unclipped,
        # ten rows tall.
        number = app.screen.query_one("#number", HugeNumber)
        await pilot.pause()
        assert number.region.right <= 80 and number.region.bottom <= 24
        assert number.size.width == 15 * number.scale  # four characters, whole
        assert number.size.height >= 10
    assert said == []


async def test_an_unreadable_database_is_said_on_the_tv_not_a_traceback(
    settings, clerk
):
    issue(settings)
    app = DisplayApp(settings, now=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "Waiting: 1" in screen_text(app))
        settings.database_path.unlink()
        settings.database_path.mkdir()  # a folder where the file was
        await wait_for(pilot, lambda: "Queue not readable" in screen_text(app))
        assert "Waiting: 1" in screen_text(app)  # the last picture stays
