"""Snapshots of the writing screens (#12) at the smallest and a large terminal:
the phrases, spelling on the keypad, several words spelled at once (整句),
choosing in English, the words that
follow a chosen word (联想) and the same in English (none), the name.

Update after an intended change with ``pytest --snapshot-update`` and look at
the pictures (rsvg-convert) before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from kiosk.writing.dictionary import to_digits
from screens.resident.contact import ContactScreen
from screens.resident.description import DescriptionScreen
from screens.resident.welcome import WelcomeScreen
from screens.widgets.writing_pad import WritingPad
from tests.helpers import wait_for, wait_screen

SIZES = [(80, 24), (120, 40)]


async def settled(pilot: Pilot[object], screen_type: type) -> None:
    await wait_screen(pilot, screen_type)
    pads = list(pilot.app.screen.query(WritingPad))
    await wait_for(pilot, lambda: all(p.composer.dictionary for p in pads))
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def writing(
    *before: str, then: type, keys: tuple[str, ...] = ()
) -> Callable[[Pilot[object]], Awaitable[None]]:
    async def run_before(pilot: Pilot[object]) -> None:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press(*before)
        await settled(pilot, then)
        await pilot.press(*keys)
        await settled(pilot, then)

    return run_before


SCREENS = {
    "phrases": writing("1", "2", "1", "2", then=DescriptionScreen),
    "spelling": writing(
        "1",
        "2",
        "1",
        "2",
        then=DescriptionScreen,
        keys=(
            "plus",
            "3",
            "plus",
            *to_digits("danyuan"),
            "enter",
            *to_digits("loushui"),
        ),
    ),  # fmt: skip
    # 整句: the keys of several words, read as a sentence, first on offer
    "sentence": writing(
        "1",
        "2",
        "1",
        "2",
        then=DescriptionScreen,
        keys=tuple(to_digits("lajimeirenqingli")),
    ),  # fmt: skip
    "choosing_en": writing(
        "asterisk",
        "1",
        "5",
        "1",
        "2",
        then=DescriptionScreen,
        keys=(*to_digits("noise"), "0"),
    ),  # fmt: skip
    # 联想: after 楼顶, the words that follow it, and how to leave them
    "following": writing(
        "1",
        "2",
        "1",
        "2",
        then=DescriptionScreen,
        keys=(*to_digits("louding"), "enter"),
    ),  # fmt: skip
    # English words have no association: after a word, the common details
    "following_en": writing(
        "asterisk",
        "1",
        "2",
        "1",
        "2",
        then=DescriptionScreen,
        keys=(*to_digits("water"), "enter"),
    ),  # fmt: skip
    "name": writing(
        "1",
        "2",
        "1",
        "3",
        then=ContactScreen,
        keys=(*"13800138000", "plus", *to_digits("wang"), "0", "1", *to_digits("xiu")),
    ),  # fmt: skip
}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(SCREENS))
def test_writing_screen(snap_compare, make_app, name, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=SCREENS[name])
