"""Issue 16: random hands on the whole resident app (hypothesis).

Each example starts a kiosk and drives it with a random sequence of keypad
presses, bursts of keys that arrive together, bytes from the terminal (any
bytes, through the kiosk driver's decoder and Textual's parser), pastes and
scanner strings. After every step:

- the kiosk is up;
- the welcome screen is at the root of the flow and one of the resident
  screens is on top;
- no ticket was issued except by a Submit on the review screen;

and at the end the idle reset brings the kiosk back to the welcome screen.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from textual import events
from textual._xterm_parser import XTermParser
from textual.keys import _character_to_key
from textual.pilot import Pilot

from db import Ticket
from kiosk.tickets import TicketDraft, issue_ticket
from screens.resident.app import KioskApp
from screens.resident.driver import tolerant_decoder
from screens.resident.review import ReviewScreen
from screens.resident.welcome import WelcomeScreen
from tests.helpers import wait_for

KEYPAD = [
    *"0123456789",
    "enter",
    "minus",
    "asterisk",
    "slash",
    "full_stop",
    "plus",
    # NumLock off, and a keyboard's keys
    "escape",
    "backspace",
    "delete",
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "pageup",
    "pagedown",
    "insert",
    "tab",
    "ctrl+c",
    "ctrl+q",
]
CHARACTERS = {"enter": "\r", "minus": "-", "asterisk": "*", "slash": "/"}
CHARACTERS |= {"full_stop": ".", "plus": "+", "escape": "\x1b", "tab": "\t"}
# Bounded by examples and steps: about 2 s an example, well under a minute.
EXAMPLES = 12

steps = st.lists(
    st.one_of(
        st.tuples(st.just("press"), st.sampled_from(KEYPAD)),
        st.tuples(
            st.just("burst"), st.lists(st.sampled_from(KEYPAD), min_size=2, max_size=8)
        ),
        st.tuples(st.just("bytes"), st.binary(min_size=1, max_size=12)),
        st.tuples(st.just("paste"), st.text(max_size=600)),
        st.tuples(st.just("scan"), st.sampled_from(["ticket", "forged", "garbage"])),
    ),
    min_size=1,
    max_size=14,
)


def key_event(key: str) -> events.Key:
    if len(key) == 1:
        return events.Key(_character_to_key(key), key)
    return events.Key(key, CHARACTERS.get(key))


def sane(app: KioskApp) -> bool:
    return app.is_running and app.return_code is None and app.screens_sane()


async def run_steps(app: KioskApp, url: str, drawn: list[tuple[str, Any]]) -> None:
    async with app.run_test(size=(80, 24)) as running:
        pilot = cast("Pilot[object]", running)
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        for kind, value in drawn:
            before = Ticket.select().count()
            on_review = isinstance(app.screen, ReviewScreen)
            keys: list[events.Message] = []
            if kind == "press":
                await pilot.press(str(value))
            elif kind == "burst":
                keys = [key_event(str(key)) for key in value]
            elif kind == "bytes":
                decode = tolerant_decoder()
                parsed = XTermParser().feed(decode(bytes(value), final=True))
                keys = [e for e in parsed if isinstance(e, events.Key | events.Paste)]
            elif kind == "paste":
                target = app.screen.focused or app.screen
                target.post_message(events.Paste(str(value)))
            else:
                text = {"ticket": url, "forged": url[:-3] + "AAA"}.get(
                    str(value), "http://example.com/t/X?k=1"
                )
                keys = [key_event(character) for character in text]
                keys.append(key_event("enter"))
            for message in keys:
                app.post_message(message)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert sane(app), [type(s).__name__ for s in app.screen_stack]
            issued = Ticket.select().count() - before
            assert issued == 0 or (on_review and issued == 1), (kind, value)
        # The idle reset: whatever was left on screen, back to the start.
        for _ in range(4):
            app.clock.advance(10_000)  # type: ignore[attr-defined]
            app.tick()
            await pilot.pause()
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert len(app.screen_stack) == 2 and app.draft.category == ""
    assert app.return_code in (None, 0)


def test_random_hands_never_break_the_kiosk(make_app, settings):
    ticket = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))

    @examples(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
        database=None,
    )
    @given(drawn=steps)
    def drive(drawn: list[tuple[str, Any]]) -> None:
        asyncio.run(run_steps(make_app(), ticket.url, drawn))

    drive()
