"""A ticket whose contact details the retention purge erased: the desk sees
when and why in its timeline, and no contact details."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable

from db import database
from kiosk import desk
from kiosk.privacy import purge
from screens.staff.ticket_detail import TicketDetailScreen
from tests.helpers import FIXED_NOW, issue, wait_for, wait_screen
from tests.pilot.test_staff_snapshots import logged_in, settle


async def test_the_timeline_says_the_contact_details_were_erased(
    make_staff_app, settings, head
):
    ended = FIXED_NOW - timedelta(days=300)
    ticket = issue(settings, mobile="13812345678", description="电梯故障", at=ended)
    desk.withdraw(settings, head, ticket.ticket_no, "resident_withdrew", now=ended)
    database.execute_sql("UPDATE outbox SET sent_at = ?", (ended.isoformat(),))
    assert purge(settings, now=FIXED_NOW).database.central_events == 1
    app = make_staff_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await logged_in(pilot)
        pilot.app.screen.open_ticket(ticket.ticket_no)
        await wait_screen(pilot, TicketDetailScreen)
        await wait_for(pilot, lambda: pilot.app.screen.detail is not None)
        await settle(pilot, TicketDetailScreen)
        table = pilot.app.screen.query_one("#timeline", DataTable)
        last = [str(cell) for cell in table.get_row_at(table.row_count - 1)]
        assert last == [
            f"{FIXED_NOW:%Y-%m-%d %H:%M}",
            "到期清除",
            "system:privacy",
            "联系人和手机号已按保存期限清除",
        ]
        contact = str(pilot.app.screen.query_one("#field-contact").render())
        assert "未留" in contact and "138" not in contact
