"""Lockdown keys do nothing; an idle kiosk forgets the last resident."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from screens.resident.contact import ContactScreen
from screens.resident.description import DescriptionScreen
from screens.resident.details import DetailsScreen
from screens.resident.idle import IdleScreen
from screens.resident.welcome import WelcomeScreen
from tests.helpers import screen_text, wait_for, wait_screen

ESCAPE_KEYS = [
    "ctrl+q",
    "ctrl+c",
    "ctrl+z",
    "ctrl+p",
    "ctrl+s",
    "ctrl+backslash",
    "ctrl+d",
    "ctrl+w",
    "ctrl+x",
    "ctrl+t",
    "f1",
    "tab",
    "shift+tab",
]


@pytest.mark.parametrize("path", [(), ("1", "1", "1"), ("1", "1", "1", "2")])
async def test_lockdown_keys_are_inert(make_app, path):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press(*path)
        await pilot.pause()
        screen_before = app.screen
        for key in ESCAPE_KEYS:
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert app.screen is screen_before
        assert not any(isinstance(s, CommandPalette) for s in app.screen_stack)
        assert not app.ENABLE_COMMAND_PALETTE


async def test_idle_countdown_more_time_keeps_everything(make_app, clock):
    app = make_app(idle_timeout=60, idle_countdown=15)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "3", "2", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"gate broken")
        clock.advance(61)
        await wait_screen(pilot, IdleScreen)
        await wait_for(pilot, lambda: "15" in screen_text(app))
        clock.advance(5)
        await wait_for(pilot, lambda: "10" in screen_text(app))
        await pilot.press("enter")  # "yes, more time"
        await wait_screen(pilot, DescriptionScreen)
        assert app.screen.query_one("#description").value == "gate broken"


async def test_idle_reset_clears_every_field(make_app, clock):
    app = make_app(idle_timeout=60, idle_countdown=15)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("asterisk", "slash")  # English, large text
        await pilot.press("1", "3", "2", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"gate broken")
        await pilot.press("enter", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13912345678")
        clock.advance(61)
        await wait_screen(pilot, IdleScreen)
        clock.advance(16)
        await wait_screen(pilot, WelcomeScreen)
        assert app.language == "zh-CN" and not app.large_text
        await wait_for(pilot, lambda: "我要反映问题" in screen_text(app))
        draft = app.draft
        assert (
            draft.category,
            draft.item,
            draft.description,
            draft.contact_mobile,
        ) == ("", "", "", "")
        # The next resident starts from nothing.
        await pilot.press("1", "3", "2")
        await wait_screen(pilot, DetailsScreen)
        text = screen_text(app)
        assert "gate broken" not in text and "139" not in text
        assert text.count("未填写") == 2


async def test_welcome_screen_forgets_language_after_idle(make_app, clock):
    app = make_app(idle_timeout=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: "Make a request" in screen_text(app))
        clock.advance(61)
        await wait_for(pilot, lambda: "我要反映问题" in screen_text(app))
