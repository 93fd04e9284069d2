"""What the station shows of the resident's phone: the ticket screen's word on
an offline station, the board's call-back words, the timeline's resident,
and the call-back form's tries and 无法回访 by keyboard."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import timedelta

from textual.widgets import DataTable

from db import Ticket, TicketEvent
from kiosk import desk
from kiosk.config import FollowUpSettings
from kiosk.sync.apply import apply_pulled_events
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.resident.welcome import WelcomeScreen
from screens.staff.app import StaffApp
from screens.staff.forms import ChoiceForm, TextForm
from tests.helpers import FIXED_NOW, issue, screen_text, wait_for, wait_screen
from tests.pilot.test_staff_app import (
    board_rows,
    kinds,
    log_in,
    notices,
    open_ticket,
    press_in_form,
)

SIZE = (120, 40)


async def test_the_offline_ticket_screen_says_the_phone_waits(make_app, settings):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        app.show_ticket(issue(settings))
        await wait_screen(pilot, IssuedTicketScreen)
        await wait_for(pilot, lambda: "本站联网后才查得到" in screen_text(app))
        app.online = True
        await wait_for(pilot, lambda: "用手机扫右边的二维码" in screen_text(app))
        assert "本站联网后才查得到" not in screen_text(app)
        app.online = False
        await wait_for(pilot, lambda: "本站联网后才查得到" in screen_text(app))


def resident_event(settings, number: str, kind: str, payload: dict, at) -> None:
    """A resident's event from the phone, as the station's pull brings it."""
    ticket = Ticket.get(Ticket.ticket_no == number)
    event = {
        "uuid": str(uuid.uuid4()),
        "ticket_uuid": ticket.uuid,
        "ticket_no": number,
        "station": ticket.station,
        "kind": kind,
        "actor": "resident",
        "at": at.isoformat(),
        "payload": payload,
    }
    apply_pulled_events(settings, [event], None)


def resolved(settings, head, days_ago: float) -> str:
    number = issue(settings, mobile="13812345678").ticket_no
    moment = FIXED_NOW - timedelta(days=days_ago)
    desk.dispatch(settings, head, number, "property", now=moment)
    desk.resolve(settings, head, number, "修好", now=moment)
    return number


def board_cells(table: DataTable) -> dict[str, str]:
    """Each row's 状态 cell, wherever the board's width puts that column."""
    status = list(table.columns).index("status")
    return {
        str(row_key.value): str(table.get_row(row_key)[status])
        for row_key in table.rows
    }


async def test_the_board_says_who_answered_on_the_phone_and_whom_to_call(
    make_staff_app, settings, head
):
    waiting = resolved(settings, head, days_ago=1)
    to_call = resolved(settings, head, days_ago=5)
    answered = resolved(settings, head, days_ago=1)
    resident_event(settings, answered, "callback",
                   {"solved": True, "rating": "satisfied"}, FIXED_NOW)  # fmt: skip
    unhappy = resolved(settings, head, days_ago=1)
    resident_event(settings, unhappy, "callback",
                   {"solved": False, "rating": "dissatisfied"}, FIXED_NOW)  # fmt: skip
    noted = issue(settings).ticket_no
    resident_event(settings, noted, "note", {"text": "楼道灯还是不亮"}, FIXED_NOW)
    assert Ticket.get(Ticket.ticket_no == answered).status == "closed"
    assert Ticket.get(Ticket.ticket_no == unhappy).status == "dispatched"
    app = make_staff_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await board_rows(pilot, 1)  # 待派单: the ticket with the note
        await pilot.press("6")  # 全部
        table = await board_rows(pilot, 5)
        cells = board_cells(table)
        assert cells == {
            waiting: "等手机评价",
            to_call: "待电话回访",
            answered: "已回访·手机",
            unhappy: "手机评不满意",
            noted: "居民补充说明",
        }
        screen = await open_ticket(pilot, noted)
        timeline = screen.query_one("#timeline", DataTable)
        await wait_for(pilot, lambda: timeline.row_count == 2)
        last = timeline.get_row_at(1)
        assert (str(last[1]), str(last[2]), str(last[3])) == (
            "补充说明",
            "居民（手机）",
            "楼道灯还是不亮",
        )


async def test_the_days_to_wait_for_the_phone_are_a_setting(settings, head, clock):
    number = resolved(settings, head, days_ago=1)
    settings = dataclasses.replace(
        settings, follow_up=FollowUpSettings(phone_answer_days=0.5)
    )
    app = StaffApp(settings, clock=clock, now=lambda: FIXED_NOW)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await board_rows(pilot, 0)  # 待派单, once logged in
        await pilot.press("4")  # 待回访
        table = await board_rows(pilot, 1)
        assert board_cells(table) == {number: "待电话回访"}


async def test_tries_then_unreachable_by_keyboard(make_staff_app, settings, head):
    number = resolved(settings, head, days_ago=4)
    app = make_staff_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await board_rows(pilot, 0)
        await open_ticket(pilot, number)
        for attempt in (1, 2, 3):
            await pilot.press("c")
            await wait_screen(pilot, ChoiceForm)
            # 无法回访 is offered only once the set number of calls failed.
            assert [value for value, _ in app.screen.options] == ["reached", "attempt"]
            await press_in_form(pilot, ChoiceForm, "2")  # not reached
            tried = f"第 {attempt} 次未接通"
            await wait_for(pilot, lambda text=tried: text in notices(app))
            await app.workers.wait_for_complete()
        assert kinds(number).count("callback_attempt") == 3
        await pilot.press("c")
        await press_in_form(pilot, ChoiceForm, "3")  # 无法回访
        await press_in_form(pilot, TextForm, *"三次关机", "enter")
        await wait_for(pilot, lambda: kinds(number)[-1] == "callback")
        await wait_for(pilot, lambda: "已记为无法回访" in notices(app))
    last = TicketEvent.select().order_by(TicketEvent.id.desc()).first()
    assert json.loads(last.payload) == {
        "unreachable": True,
        "reason": "not_reached",
        "tries": 3,
        "text": "三次关机",
    }
    assert Ticket.get(Ticket.ticket_no == number).status == "closed"


async def test_the_call_back_form_says_the_resident_may_still_answer(
    make_staff_app, settings, head
):
    number = resolved(settings, head, days_ago=1)
    app = make_staff_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await board_rows(pilot, 0)
        await open_ticket(pilot, number)
        await pilot.press("c")
        await wait_screen(pilot, ChoiceForm)
        title = str(app.screen.query_one(".form-title").render())
        assert title == "回访（居民可在手机上回答，2026-11-27 09:30 前未答再打电话）"
