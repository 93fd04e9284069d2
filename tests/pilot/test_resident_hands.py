"""Issue 16: the resident kiosk under real hands. Bursts of keys, crashes,
a scanner in the middle of a request, keys that are not on the bar."""

from __future__ import annotations

import inspect
import logging
from pathlib import Path

import pytest
from textual import events
from textual.keys import _character_to_key

from db import Ticket
from kiosk.cli import run_kiosk
from kiosk.tickets import TicketDraft, issue_ticket
from screens.resident.app import KioskApp
from screens.resident.category import CategoryScreen
from screens.resident.consent import ConsentScreen
from screens.resident.contact import ContactScreen
from screens.resident.description import DescriptionScreen
from screens.resident.details import DetailsScreen
from screens.resident.item import ItemScreen
from screens.resident.review import ReviewScreen
from screens.resident.welcome import WelcomeScreen
from tests.helpers import wait_for, wait_screen

CHARACTERS = {"enter": "\r", "minus": "-", "asterisk": "*", "slash": "/"}


def key_event(key: str) -> events.Key:
    """A key by name ("enter", "minus") or by character ("h", ":")."""
    if len(key) == 1:
        return events.Key(_character_to_key(key), key)
    return events.Key(key, CHARACTERS.get(key))


async def burst(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Keys that reach the kiosk together, all pressed before any is handled
    (the box paused, a key bounced, a resident pressed twice, a scanner)."""
    for key in keys:
        pilot.app.post_message(key_event(key))
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def sane(app: KioskApp) -> bool:
    stack = app.screen_stack
    return len(stack) >= 2 and isinstance(stack[1], WelcomeScreen)


@pytest.mark.parametrize("enters", [2, 4, 5, 6, 8])
async def test_enters_together_on_the_description_go_one_step(make_app, enters):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"roof")
        await burst(pilot, *["enter"] * enters)
        assert app.is_running and sane(app)
        assert isinstance(app.screen, DetailsScreen)
        assert app.draft.description == "roof"
    assert app.return_code in (None, 0)


async def test_enters_together_after_a_mobile_ask_for_consent_once(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13912345678")
        await burst(pilot, "enter", "enter", "enter")
        # Enter on a valid mobile goes on to the name; the burst's other
        # Enters were meant for the mobile and never open a second dialog.
        consents = [s for s in app.screen_stack if isinstance(s, ConsentScreen)]
        assert len(consents) <= 1
        if not consents:
            await pilot.press("enter")  # no name: go on
        await wait_screen(pilot, ConsentScreen)
        consents = [s for s in app.screen_stack if isinstance(s, ConsentScreen)]
        assert len(consents) == 1


async def test_a_burst_of_back_keys_never_empties_the_stack(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1")
        await wait_screen(pilot, DetailsScreen)
        await burst(pilot, *["minus"] * 10, *["escape"] * 10)
        assert app.is_running and sane(app)
        await burst(pilot, "1")
        assert app.is_running and sane(app)
        for _ in range(6):
            app.pop_screen()  # even the app itself cannot pop the welcome screen
        await pilot.pause()
        assert sane(app) and isinstance(app.screen, WelcomeScreen)


async def test_keys_in_one_burst_act_on_one_screen_only(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await burst(pilot, "1", "2", "1", "enter", "enter")
        assert isinstance(app.screen, CategoryScreen)
        assert Ticket.select().count() == 0


async def test_one_on_the_review_screen_does_not_submit(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.press("1")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert Ticket.select().count() == 0


@pytest.mark.parametrize("where", ["category", "item", "description", "review"])
async def test_a_scanned_ticket_in_a_request_never_acts_as_keys(
    make_app, settings, where
):
    ticket = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))
    keys = {
        "category": ("1",),
        "item": ("1", "2"),
        "description": ("1", "2", "1", "2"),
        "review": ("1", "2", "1", "enter"),
    }[where]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        screen = app.screen
        stack = list(app.screen_stack)
        await burst(pilot, *ticket.url, "enter")  # as fast as a scanner types
        assert app.screen is screen and list(app.screen_stack) == stack
        assert Ticket.select().count() == 1  # the scanned one, no other
        assert app.draft.description == ""
        if where == "description":
            assert app.screen.query_one("#description").value == ""


async def test_a_word_typed_in_the_description_still_types(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"the http thing", "enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == "the http thing"


async def test_the_numlock_off_keys_mean_the_digits(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("end")  # keypad 1 with NumLock off
        await wait_screen(pilot, CategoryScreen)
        await pilot.press("down")  # 2: housing
        await wait_screen(pilot, ItemScreen)
        assert app.draft.category == "housing"


class CrashingApp(KioskApp):
    CSS_PATH = str(Path(inspect.getfile(KioskApp)).with_name("resident.tcss"))

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self.crash)

    def crash(self) -> None:
        raise RuntimeError("something broke")


def test_a_crash_exits_non_zero_and_is_logged_with_its_traceback(
    settings, station_db, caplog
):
    caplog.set_level(logging.INFO)
    status = run_kiosk(CrashingApp(settings), headless=True)
    assert status == 1
    crashed = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert crashed and crashed[0].exc_info is not None
    assert "something broke" in caplog.text and "Traceback" in caplog.text


async def test_a_crash_in_a_pilot_run_is_not_hidden(make_app):
    app = make_app()
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_screen(pilot, WelcomeScreen)

            def crash() -> None:
                raise RuntimeError("something broke")

            app.call_later(crash)
            await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 1
