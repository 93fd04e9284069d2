"""Snapshots of every resident screen at the smallest and a large terminal.

Update after an intended change with ``pytest --snapshot-update`` and look at
the report before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.tickets import IssuedTicket
from screens.category import CategoryScreen
from screens.consent import ConsentScreen
from screens.contact import ContactScreen
from screens.description import DescriptionScreen
from screens.details import DetailsScreen
from screens.idle import IdleScreen
from screens.item import ItemScreen
from screens.location import LocationScreen
from screens.review import ReviewScreen
from screens.ticket import TicketScreen
from screens.track import TrackScreen
from screens.welcome import WelcomeScreen
from tests.conftest import FIXED_NOW
from tests.helpers import wait_for, wait_screen

SIZES = [(80, 24), (120, 40)]
HOSTILE = "[@click=app.quit]x[/] [link="


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


async def fixed_ticket(pilot: Pilot[object]) -> None:
    await settle(pilot, WelcomeScreen)
    token = "Zm9yLXNuYXBzaG90cy1vbmx5"
    ticket = IssuedTicket(
        uuid="00000000-0000-4000-8000-000000000001",
        ticket_no="PHY3-261125-007",
        queue_no="B007",
        token=token,
        category="housing",
        item="roof-leak",
        building="第二网格（五巷银行小区） 五巷3号楼",
        description="",
        unit="property",
        created_at=FIXED_NOW,
        due_at=FIXED_NOW + timedelta(hours=48),
        has_contact=False,
        url=f"http://127.0.0.1:8311/t/PHY3-261125-007?k={token}",
    )
    pilot.app.show_ticket(ticket)  # type: ignore[attr-defined]
    await settle(pilot, TicketScreen)


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
    await pilot.press("1", "2", "1", "1", "2", "3")
    await settle(pilot, DetailsScreen)
    await pilot.press("2")
    await settle(pilot, DescriptionScreen)
    await pilot.press(*HOSTILE)
    await pilot.press("enter", "enter")
    await settle(pilot, ReviewScreen)


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
    "ticket": fixed_ticket,
    "track": keys("2", then=TrackScreen),
    "idle": idle_countdown,
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(snap_compare, make_app, name, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[name])
