"""Snapshots of the staff terminal at 120x40 (and at 80x24, over SSH): login,
the board, a ticket.

Update after an intended change with ``pytest tests/pilot/test_staff_snapshots.py
--snapshot-update`` and look at the new SVGs before committing them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input

from kiosk import desk
from screens.staff.board import BoardScreen
from screens.staff.forms import ChoiceForm, TextForm
from screens.staff.login import LoginScreen
from screens.staff.ticket_detail import TicketDetailScreen
from tests.helpers import (
    FIXED_NOW,
    HEAD_PIN,
    HOSTILE_MARKUP,
    issue,
    wait_for,
    wait_screen,
)

SIZE = (120, 40)


@pytest.fixture
def board_data(settings, head):
    """A small, fixed board: every state, an overdue ticket, hostile text."""
    at = FIXED_NOW - timedelta(days=4)
    old = issue(settings, "sanitation", "rubbish", "垃圾三天没人清运", "1号楼", at=at)
    lift = issue(
        settings,
        description="电梯困人，" + HOSTILE_MARKUP,
        mobile="13812345678",
        at=FIXED_NOW - timedelta(hours=5),
    )
    noise = issue(
        settings, "property", "parking", "消防通道被占", "沿街商铺", at=FIXED_NOW
    )
    moment = FIXED_NOW - timedelta(hours=4)
    desk.dispatch(settings, head, lift.ticket_no, "property", now=moment)
    desk.acknowledge(settings, head, lift.ticket_no, now=moment + timedelta(hours=1))
    desk.add_note(
        settings, head, lift.ticket_no, "物业已派人，" + HOSTILE_MARKUP, now=moment
    )
    desk.dispatch(settings, head, old.ticket_no, "enforcement", now=moment)
    return noise.ticket_no, lift.ticket_no


async def settle(pilot, screen_type) -> None:
    await wait_screen(pilot, screen_type)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def logged_in(pilot) -> None:
    await settle(pilot, LoginScreen)
    pilot.app.screen.query_one("#login-name", Input).value = "wang"
    pilot.app.screen.query_one("#login-pin", Input).focus()
    await pilot.press(*HEAD_PIN, "enter")
    await wait_screen(pilot, BoardScreen)


def test_login_screen(snap_compare, make_staff_app, board_data):
    async def run_before(pilot) -> None:
        await settle(pilot, LoginScreen)
        pilot.app.screen.query_one("#login-name", Input).value = "wang"
        pilot.app.screen.query_one("#login-pin", Input).focus()
        await pilot.press(*"000000", "enter")
        await wait_for(
            pilot,
            lambda: (
                "还可尝试" in str(pilot.app.screen.query_one("#login-error").render())
            ),
        )
        await settle(pilot, LoginScreen)

    assert snap_compare(make_staff_app(), terminal_size=SIZE, run_before=run_before)


def test_board(snap_compare, make_staff_app, board_data):
    async def run_before(pilot) -> None:
        await logged_in(pilot)
        pilot.app.screen.query_one("#tabs").active = "tab-all"
        table = pilot.app.screen.query_one("#board", DataTable)
        await wait_for(pilot, lambda: table.row_count == 3)
        await settle(pilot, BoardScreen)

    assert snap_compare(make_staff_app(), terminal_size=SIZE, run_before=run_before)


def test_ticket_detail(snap_compare, make_staff_app, board_data):
    _, lift = board_data

    async def run_before(pilot) -> None:
        await logged_in(pilot)
        pilot.app.screen.open_ticket(lift)
        await wait_screen(pilot, TicketDetailScreen)
        await wait_for(pilot, lambda: pilot.app.screen.detail is not None)
        await settle(pilot, TicketDetailScreen)

    assert snap_compare(make_staff_app(), terminal_size=SIZE, run_before=run_before)


# Over SSH at 80x24: the board keeps its time left, its ticket numbers and
# the building; the footer its actions; the detail view wraps and scrolls.
NARROW = (80, 24)


def test_board_at_80x24(snap_compare, make_staff_app, board_data):
    async def run_before(pilot) -> None:
        await logged_in(pilot)
        pilot.app.screen.query_one("#tabs").active = "tab-all"
        table = pilot.app.screen.query_one("#board", DataTable)
        await wait_for(pilot, lambda: table.row_count == 3)
        await settle(pilot, BoardScreen)

    assert snap_compare(make_staff_app(), terminal_size=NARROW, run_before=run_before)


def test_ticket_detail_at_80x24(snap_compare, make_staff_app, settings, head):
    number = issue(
        settings, description="楼上漏水，" * 100, mobile="13812345678"
    ).ticket_no  # 500 characters; dispatched: the most actions apply
    desk.dispatch(settings, head, number, "property", now=FIXED_NOW)
    desk.add_note(
        settings, head, number, "物业说明天来修，" * 12 + HOSTILE_MARKUP, now=FIXED_NOW
    )

    async def run_before(pilot) -> None:
        await logged_in(pilot)
        pilot.app.screen.open_ticket(number)
        await wait_screen(pilot, TicketDetailScreen)
        await wait_for(pilot, lambda: pilot.app.screen.detail is not None)
        await settle(pilot, TicketDetailScreen)

    assert snap_compare(make_staff_app(), terminal_size=NARROW, run_before=run_before)


def test_duplicate_form_at_80x24(snap_compare, make_staff_app, settings):
    building = "第二网格（五巷银行小区） 五巷4号楼"
    for hours, text in ((30, "电梯困人，" + HOSTILE_MARKUP), (5, "")):
        issue(
            settings,
            building=building,
            description=text,
            at=FIXED_NOW - timedelta(hours=hours),
        )
    number = issue(settings, building=building).ticket_no

    async def run_before(pilot) -> None:
        await logged_in(pilot)
        pilot.app.screen.open_ticket(number)
        await wait_screen(pilot, TicketDetailScreen)
        await wait_for(pilot, lambda: pilot.app.screen.detail is not None)
        await pilot.press("w")
        await wait_screen(pilot, ChoiceForm)
        await pilot.pause()
        await pilot.press("1")  # a duplicate
        # Not settle(): the withdraw worker waits on this form.
        await wait_screen(pilot, TextForm)
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_staff_app(), terminal_size=NARROW, run_before=run_before)
