"""Tracking a ticket at the kiosk: the digit form and the scanner."""

from __future__ import annotations

import json
import uuid

import pytest

from db import Ticket, TicketEvent
from kiosk.tickets import TicketDraft, issue_ticket
from kiosk.tracking import check_code
from screens.resident.track import TrackScreen
from screens.resident.track_result import TrackResultScreen
from screens.resident.welcome import WelcomeScreen
from tests.helpers import screen_text, wait_for, wait_screen


def dispatch(ticket_uuid: str) -> None:
    """A dispatch as the staff terminal records it (test set-up)."""
    TicketEvent.create(
        uuid=str(uuid.uuid4()),
        ticket=ticket_uuid,
        kind="dispatched",
        actor="staff:t",
        at="2026-11-25T10:00:00+08:00",
        payload=json.dumps({"unit": "property"}),
    )
    Ticket.update(status="dispatched").where(Ticket.uuid == ticket_uuid).execute()


async def scan(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """What a USB scanner does: type the characters, then Enter."""
    await pilot.press(*text)
    await pilot.press("enter")


async def test_scanning_a_ticket_shows_its_progress(make_app, settings):
    ticket = issue_ticket(
        settings,
        TicketDraft(
            category="housing",
            item="lift",
            contact_mobile="13800138000",
            contact_name="王阿姨",
            consent=True,
        ),
    )
    dispatch(ticket.uuid)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await scan(pilot, ticket.url)
        await wait_screen(pilot, TrackResultScreen)
        text = screen_text(app)
        assert (
            "已转交承办单位" in text
            and "吹哨" not in text
            and "物业公司" in text
            and ticket.ticket_no in text
        )
        assert "13800138000" not in text and "138****" not in text and "王" not in text
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: "Passed to the unit" in screen_text(app))
        await pilot.press("enter")
        await wait_screen(pilot, WelcomeScreen)


async def test_a_wrong_token_says_not_found(make_app, settings):
    ticket = issue_ticket(settings, TicketDraft(category="housing", item="lift"))
    forged = ticket.url[:-4] + ("AAAA" if not ticket.url.endswith("AAAA") else "BBBB")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(pilot, forged)
        await wait_screen(pilot, TrackScreen)
        await wait_for(pilot, lambda: "没有找到这张小票" in screen_text(app))
        assert ticket.ticket_no not in screen_text(app)


async def test_an_unknown_number_says_not_found(make_app, settings):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await scan(
            pilot, "http://127.0.0.1:8311/t/PHY3-261125-999?k=Zm9yLXNuYXBzaG90cy1vbmx5"
        )
        await wait_screen(pilot, TrackScreen)
        await wait_for(pilot, lambda: "没有找到这张小票" in screen_text(app))


@pytest.mark.parametrize(
    "garbage",
    ["hello 123", "https://example.com/x?y=1", "ABC-42", "x" * 400, "q1w2e3-/*"],
)
async def test_scanner_garbage_changes_nothing(make_app, garbage):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        welcome = app.screen
        await scan(pilot, garbage)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is welcome and len(app.screen_stack) == 2
        assert app.draft.category == "" and app.language == "zh-CN"


async def test_track_by_keyed_number_and_check_code(make_app, settings):
    ticket = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))
    digits = ticket.ticket_no.split("-", 1)[1].replace("-", "")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_screen(pilot, TrackScreen)
        await pilot.press(*digits, "enter", *check_code(ticket.token), "enter")
        await wait_screen(pilot, TrackResultScreen)
        assert "已受理" in screen_text(app) and "消防安全" in screen_text(app)


async def test_wrong_check_codes_make_the_kiosk_wait(make_app, settings, clock):
    ticket = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))
    digits = ticket.ticket_no.split("-", 1)[1].replace("-", "")
    wrong = f"{(int(check_code(ticket.token)) + 1) % 1_000_000:06d}"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_screen(pilot, TrackScreen)
        await pilot.press(*digits, "enter")
        for _attempt in range(5):
            await pilot.press(*wrong, "enter")
            await wait_for(pilot, lambda: "没有找到" in screen_text(app))
            app.screen.query_one("#track-error").update("")
            for _ in range(6):
                await pilot.press("backspace")
        await pilot.press(*check_code(ticket.token), "enter")  # right, but too soon
        await wait_for(pilot, lambda: "请稍等一分钟" in screen_text(app))
        assert isinstance(app.screen, TrackScreen)
        clock.advance(61)
        await pilot.press("enter")
        await wait_screen(pilot, TrackResultScreen)
