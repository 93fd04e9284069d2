"""The review asks whether the description may be published (Open311 shows
it to anyone, cleaned of phone numbers by the central): no until the
resident says yes with 1 (or a tap), asked only when there is a
description, and the answer goes to the central in the received event."""

from __future__ import annotations

import json

from db import TicketEvent
from screens.resident.description import DescriptionScreen
from screens.resident.details import DetailsScreen
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.resident.review import ReviewScreen
from screens.resident.welcome import WelcomeScreen
from tests.helpers import paste, screen_text, wait_for, wait_screen

WORDS = "楼道灯坏了三天，电话13800138000"
PRIVATE = "问题说明不公开"
PUBLIC = "您已同意把问题说明公开"


async def _to_review(pilot, app, description: str = WORDS) -> None:
    await wait_screen(pilot, WelcomeScreen)
    await pilot.press("1", "2", "1")  # housing repairs, leaking roof
    await wait_screen(pilot, DetailsScreen)
    if description:
        await pilot.press("2")
        await wait_screen(pilot, DescriptionScreen)
        await paste(pilot, description)
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
    await pilot.press("enter")
    await wait_screen(pilot, ReviewScreen)


def _received_payload() -> dict[str, object]:
    event = TicketEvent.get(TicketEvent.kind == "received")
    payload: dict[str, object] = json.loads(event.payload)
    return payload


async def test_the_description_is_not_published_unless_the_resident_says_yes(
    make_app,
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_review(pilot, app)
        text = screen_text(app)
        assert PRIVATE in text and "公开说明" in text
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
    payload = _received_payload()
    assert payload["description"] == WORDS
    assert "publish_description" not in payload


async def test_1_says_yes_and_1_again_takes_it_back(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_review(pilot, app)
        await pilot.press("1")
        await wait_for(pilot, lambda: PUBLIC in screen_text(app))
        assert "取消公开" in screen_text(app)
        await pilot.press("1")
        await wait_for(pilot, lambda: PRIVATE in screen_text(app))
        await pilot.press("1")
        await wait_for(pilot, lambda: PUBLIC in screen_text(app))
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
    assert _received_payload()["publish_description"] is True


async def test_the_answer_is_kept_when_the_resident_goes_back_and_returns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_review(pilot, app)
        await pilot.press("1")
        await wait_for(pilot, lambda: PUBLIC in screen_text(app))
        await pilot.press("minus")
        await wait_screen(pilot, DetailsScreen)
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        await wait_for(pilot, lambda: PUBLIC in screen_text(app))


async def test_a_tap_on_the_bar_says_yes_in_english(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("asterisk")
        await _to_review(pilot, app, "lamp broken")
        assert "The description stays private" in screen_text(app)
        # The first hint is Enter's (submit); the one for 1 comes next.
        hints = list(app.screen.query("KeyHint"))
        await pilot.click(hints[1])
        await wait_for(pilot, lambda: "You agreed to publish" in screen_text(app))
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
    assert _received_payload()["publish_description"] is True


async def test_without_a_description_nothing_is_asked_and_1_does_nothing(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_review(pilot, app, "")
        assert PRIVATE not in screen_text(app) and "公开说明" not in screen_text(app)
        await pilot.press("1")
        await pilot.pause()
        assert PUBLIC not in screen_text(app)
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
    assert "publish_description" not in _received_payload()
