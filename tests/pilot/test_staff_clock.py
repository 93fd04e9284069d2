"""Staff are told when the box's clock is behind the newest ticket."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, Input

from kiosk.tickets import TicketDraft, issue_ticket
from screens.staff.board import BoardScreen
from screens.staff.login import LoginScreen
from tests.helpers import FIXED_NOW, HEAD_PIN, wait_for, wait_screen


def notices(app) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def log_in(pilot) -> None:
    await wait_screen(pilot, LoginScreen)
    pilot.app.screen.query_one("#login-name", Input).value = "wang"
    pilot.app.screen.query_one("#login-pin", Input).focus()
    await pilot.press(*HEAD_PIN, "enter")


async def test_staff_are_told_when_the_clock_is_behind(make_staff_app, settings):
    ahead = FIXED_NOW + timedelta(days=2)
    issue_ticket(settings, TicketDraft(category="housing", item="lift"), now=ahead)
    app = make_staff_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot)
        await wait_for(pilot, lambda: "时钟" in notices(app))
        assert f"{ahead:%Y-%m-%d %H:%M}" in notices(app)


async def test_a_right_clock_says_nothing(make_staff_app, settings):
    issue_ticket(settings, TicketDraft(category="housing", item="lift"), now=FIXED_NOW)
    app = make_staff_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "时钟" not in notices(app)


async def test_a_ticket_issued_under_a_suspect_clock_is_marked_on_the_board(
    make_staff_app, settings
):
    right = issue_ticket(
        settings, TicketDraft(category="housing", item="lift"), now=FIXED_NOW
    )
    # The box's clock a day behind the newest ticket: dated at it, and marked.
    behind = issue_ticket(
        settings,
        TicketDraft(category="housing", item="lift"),
        clock=lambda: FIXED_NOW - timedelta(days=1),
    )
    app = make_staff_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot)
        await wait_screen(pilot, BoardScreen)
        table = app.screen.query_one("#board", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        marked = table.get_cell(behind.ticket_no, "created")
        plain = table.get_cell(right.ticket_no, "created")
        assert "yellow" in str(marked.style) and "yellow" not in str(plain.style)
        assert marked.plain == plain.plain == f"{FIXED_NOW:%m-%d %H:%M}"
