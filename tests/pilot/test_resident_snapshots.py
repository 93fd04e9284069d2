"""Snapshots of every resident screen at the smallest and a large terminal.

Update after an intended change with ``pytest --snapshot-update`` and look at
the report before committing the new SVGs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from db import Ticket
from kiosk.tickets import IssuedTicket, TicketDraft, issue_ticket, tracking_url
from screens.resident.category import CategoryScreen
from screens.resident.consent import ConsentScreen
from screens.resident.contact import ContactScreen
from screens.resident.description import DescriptionScreen
from screens.resident.details import DetailsScreen
from screens.resident.idle import IdleScreen
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.resident.item import ItemScreen
from screens.resident.location import LocationScreen
from screens.resident.review import ReviewScreen
from screens.resident.track import TrackScreen
from screens.resident.track_result import TrackResultScreen
from screens.resident.welcome import WelcomeScreen
from tests.helpers import (
    FIXED_NOW,
    HOSTILE_MARKUP,
    paste,
    screen_text,
    wait_for,
    wait_screen,
)

SIZES = [(80, 24), (120, 40)]


async def settle(pilot: Pilot[object], screen_type: type) -> None:
    await wait_screen(pilot, screen_type)
    await pilot.pause()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def keys(*pressed: str, then: type) -> Callable[[Pilot[object]], Awaitable[None]]:
    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot, WelcomeScreen)
        await pilot.press(*pressed)
        await settle(pilot, then)

    return run_before


FIXED_TOKEN = "Zm9yLXNuYXBzaG90cy1vbmx5"


def fixed_ticket_in_db(app) -> IssuedTicket:  # type: ignore[no-untyped-def]
    """A real stored ticket with a fixed token, so the QR never changes."""
    draft = TicketDraft(
        category="housing",
        item="roof-leak",
        building="第二网格（五巷银行小区） 五巷3号楼",
    )
    ticket = issue_ticket(app.settings, draft, now=FIXED_NOW)
    Ticket.update(token=FIXED_TOKEN).where(Ticket.uuid == ticket.uuid).execute()
    return dataclasses.replace(
        ticket,
        token=FIXED_TOKEN,
        url=tracking_url(app.settings, ticket.ticket_no, FIXED_TOKEN),
    )


async def fixed_ticket(pilot: Pilot[object]) -> None:
    await settle(pilot, WelcomeScreen)
    ticket = fixed_ticket_in_db(pilot.app)
    pilot.app.show_ticket(ticket)  # type: ignore[attr-defined]
    await settle(pilot, IssuedTicketScreen)
    # PNG files (the default printer): no paper, so no "please take it"
    await wait_for(pilot, lambda: "拍下二维码" in screen_text(pilot.app))


async def fixed_ticket_en(pilot: Pilot[object]) -> None:
    await settle(pilot, WelcomeScreen)
    await pilot.press("asterisk")
    await wait_for(pilot, lambda: "Make a request" in screen_text(pilot.app))
    ticket = fixed_ticket_in_db(pilot.app)
    pilot.app.show_ticket(ticket)  # type: ignore[attr-defined]
    await settle(pilot, IssuedTicketScreen)
    await wait_for(pilot, lambda: "take a photo" in screen_text(pilot.app))


async def tracked_ticket(pilot: Pilot[object]) -> None:
    await settle(pilot, WelcomeScreen)
    ticket = fixed_ticket_in_db(pilot.app)
    await pilot.press(*ticket.url, "enter")
    await settle(pilot, TrackResultScreen)


async def idle_countdown(pilot: Pilot[object]) -> None:
    await settle(pilot, WelcomeScreen)
    await pilot.press("1", "2")
    await settle(pilot, ItemScreen)
    pilot.app.clock.advance(61)  # type: ignore[attr-defined]
    await settle(pilot, IdleScreen)
    await wait_for(
        pilot, lambda: "15" in str(pilot.app.screen.query_one("#idle-count").render())
    )


async def contact_error(pilot: Pilot[object]) -> None:
    await settle(pilot, WelcomeScreen)
    await pilot.press("1", "5", "1", "3")
    await settle(pilot, ContactScreen)
    await pilot.press(*"1234567")
    await pilot.press("enter")
    await wait_for(
        pilot, lambda: bool(str(pilot.app.screen.query_one("#mobile-error").render()))
    )
    await settle(pilot, ContactScreen)


async def review_hostile(pilot: Pilot[object]) -> None:
    await settle(pilot, WelcomeScreen)
    await pilot.press("1", "2", "1", "1", "2", "3", "enter")  # Enter confirms
    await settle(pilot, DetailsScreen)
    await pilot.press("2")
    await settle(pilot, DescriptionScreen)
    await paste(pilot, HOSTILE_MARKUP)  # typed, - / * . would be keypad keys
    await pilot.press("enter", "enter")
    await settle(pilot, ReviewScreen)


async def review_published(pilot: Pilot[object]) -> None:
    """The description to be published: the resident said yes with 1."""
    await settle(pilot, WelcomeScreen)
    await pilot.press("1", "2", "1", "2")
    await settle(pilot, DescriptionScreen)
    await paste(pilot, "楼道灯坏了三天，晚上看不见，电话13800138000")
    await pilot.press("enter", "enter", "1")
    await settle(pilot, ReviewScreen)
    await wait_for(
        pilot, lambda: "同意" in str(pilot.app.screen.query_one("#publish").render())
    )


SCREENS: dict[str, Callable[[Pilot[object]], Awaitable[None]]] = {
    "welcome": keys(then=WelcomeScreen),
    "welcome_en": keys("asterisk", then=WelcomeScreen),
    "welcome_large": keys("slash", then=WelcomeScreen),
    "category": keys("1", then=CategoryScreen),
    "item": keys("1", "2", then=ItemScreen),
    "details": keys("1", "2", "1", then=DetailsScreen),
    "location_grids": keys("1", "2", "1", "1", then=LocationScreen),
    "location_buildings": keys("1", "2", "1", "1", "3", then=LocationScreen),
    "description": keys("1", "2", "1", "2", then=DescriptionScreen),
    "contact_error": contact_error,
    "consent": keys("1", "2", "1", "3", *"13800138000", "enter", then=ConsentScreen),
    "review_hostile_text": review_hostile,
    "review_published": review_published,
    "ticket": fixed_ticket,
    "ticket_en": fixed_ticket_en,
    "category_en": keys("asterisk", "1", then=CategoryScreen),
    "category_large": keys("slash", "1", then=CategoryScreen),
    "location_buildings_en": keys(
        "asterisk", "1", "2", "1", "1", "3", then=LocationScreen
    ),
    "location_chosen": keys("1", "2", "1", "1", "3", "3", then=LocationScreen),
    "contact_en_large": keys(
        "asterisk", "slash", "1", "2", "1", "3", then=ContactScreen
    ),
    "track_en": keys("asterisk", "2", then=TrackScreen),
    "track": keys("2", then=TrackScreen),
    "track_result": tracked_ticket,
    "idle": idle_countdown,
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(snap_compare, make_app, name, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[name])
