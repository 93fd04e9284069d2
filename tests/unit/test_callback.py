"""The call-back (回访): both answers 12345 asks, the tries that reached
nobody, 无法回访, and how the station's numbers count each."""

from __future__ import annotations

import dataclasses
import json
import uuid as uuid_module

import pytest

from db import Outbox, Ticket, TicketEvent
from kiosk import desk
from kiosk.catalog import load_catalog
from kiosk.config import FollowUpSettings
from kiosk.desk import ActionError
from kiosk.report_sums import station_month
from kiosk.states import TransitionError, next_status
from kiosk.sync.apply import apply_pulled_events
from kiosk.tracking import track_by_token
from tests.helpers import at, issue


def resolved_ticket(settings, head, mobile: str = "13812345678") -> str:
    number = issue(settings, mobile=mobile, at=at("2026-11-03T09:00+08:00")).ticket_no
    desk.dispatch(settings, head, number, "property", now=at("2026-11-03T10:00+08:00"))
    desk.resolve(settings, head, number, "已修好", now=at("2026-11-04T09:00+08:00"))
    return number


def events_of(number: str) -> list[tuple[str, dict]]:
    ticket = Ticket.get(Ticket.ticket_no == number)
    return [
        (event.kind, json.loads(event.payload))
        for event in TicketEvent.select()
        .where(TicketEvent.ticket == ticket.uuid)
        .order_by(TicketEvent.id)
    ]


def month_counts(settings) -> dict:
    report = station_month(
        settings, load_catalog(), "2026-11", at("2026-11-30T12:00+08:00")
    )
    return report["counts"]


def test_a_call_back_records_both_answers(settings, head):
    number = resolved_ticket(settings, head)
    desk.call_back(settings, head, number, "basically_satisfied", solved=False,
                   now=at("2026-11-05T09:00+08:00"))  # fmt: skip
    kind, payload = events_of(number)[-1]
    assert kind == "callback"
    assert payload == {"rating": "basically_satisfied", "solved": False}
    assert Ticket.get(Ticket.ticket_no == number).status == "closed"
    counts = month_counts(settings)
    assert (counts["solved"], counts["unsolved"]) == (0, 1)
    assert counts["basically_satisfied"] == 1


def test_the_notice_of_a_dissatisfied_call_back_names_the_unit():
    notice = desk.call_back_notice("dissatisfied", False, "物业公司")
    assert notice == "已回访：未解决，不满意，工单已退回物业公司重办"
    assert desk.call_back_notice("satisfied", True, "物业公司") == (
        "已回访：解决，满意，工单已结束"
    )


def test_tries_are_recorded_and_unreachable_needs_enough_of_them(settings, head):
    settings = dataclasses.replace(
        settings, follow_up=FollowUpSettings(tries_before_unreachable=2)
    )
    number = resolved_ticket(settings, head)
    with pytest.raises(ActionError, match="已拨打 0 次，拨打 2 次都未接通后才可以"):
        desk.close_unreachable(settings, head, number)
    desk.record_callback_try(settings, head, number, "关机",
                             now=at("2026-11-05T09:00+08:00"))  # fmt: skip
    assert Ticket.get(Ticket.ticket_no == number).status == "resolved"
    with pytest.raises(ActionError, match="已拨打 1 次"):
        desk.close_unreachable(settings, head, number)
    desk.record_callback_try(settings, head, number,
                             now=at("2026-11-06T09:00+08:00"))  # fmt: skip
    desk.close_unreachable(settings, head, number, now=at("2026-11-07T09:00+08:00"))
    assert Ticket.get(Ticket.ticket_no == number).status == "closed"
    kinds = events_of(number)[-3:]
    assert kinds == [
        ("callback_attempt", {"try": 1, "text": "关机"}),
        ("callback_attempt", {"try": 2}),
        ("callback", {"unreachable": True, "reason": "not_reached", "tries": 2}),
    ]
    # Every one of them is an event the sync sends.
    sent = {uuid for (uuid,) in Outbox.select(Outbox.event).tuples()}
    ticket = Ticket.get(Ticket.ticket_no == number)
    assert all(
        event.uuid in sent
        for event in TicketEvent.select().where(TicketEvent.ticket == ticket.uuid)
    )


def test_a_ticket_without_contact_details_closes_as_unreachable_at_once(settings, head):
    number = resolved_ticket(settings, head, mobile="")
    with pytest.raises(ActionError, match="未留联系方式"):
        desk.record_callback_try(settings, head, number)
    desk.close_unreachable(settings, head, number, now=at("2026-11-05T09:00+08:00"))
    assert events_of(number)[-1] == (
        "callback",
        {"unreachable": True, "reason": "no_contact", "tries": 0},
    )
    assert Ticket.get(Ticket.ticket_no == number).status == "closed"


def test_reports_count_unreachable_apart_never_as_satisfied(settings, head):
    reached = resolved_ticket(settings, head)
    desk.call_back(settings, head, reached, "satisfied", solved=True,
                   now=at("2026-11-05T09:00+08:00"))  # fmt: skip
    nobody = resolved_ticket(settings, head, mobile="")
    desk.close_unreachable(settings, head, nobody, now=at("2026-11-05T09:00+08:00"))
    report = station_month(
        settings, load_catalog(), "2026-11", at("2026-11-30T12:00+08:00")
    )
    counts = report["counts"]
    assert counts["unreachable"] == 1
    assert counts["called_back"] == 1  # only the one reached
    assert counts["satisfied"] == 1 and counts["solved"] == 1
    assert report["satisfaction_rate"] == 1.0  # 无法回访 is not in the base
    assert counts["closed"] == 2


def test_the_stale_view_message_and_the_resident_timeline_say_unreachable(
    settings, head
):
    number = resolved_ticket(settings, head, mobile="")
    desk.close_unreachable(settings, head, number, now=at("2026-11-05T09:00+08:00"))
    last = TicketEvent.select().order_by(TicketEvent.id.desc()).limit(1).get()
    assert "回访（无法回访（未留联系方式））" in desk.describe_event(last)
    ticket = Ticket.get(Ticket.ticket_no == number)
    tracked = track_by_token(number, ticket.token)
    assert tracked is not None
    assert tracked["zh-CN"].timeline[-1].text == "回访：未能联系上您，工单结束"
    assert tracked["en"].status == "closed"
    assert tracked["zh-CN"].next_step.startswith("本次诉求已办结；工作人员没能联系上您")
    assert "could not reach you" in tracked["en"].next_step


def test_solved_must_be_true_or_false(settings, head):
    number = resolved_ticket(settings, head)
    with pytest.raises(TransitionError, match="solved"):
        next_status("resolved", "callback", {"rating": "satisfied", "solved": "maybe"})
    assert Ticket.get(Ticket.ticket_no == number).status == "resolved"


def test_a_changed_phone_answer_replaces_the_first_in_the_numbers(settings, head):
    number = resolved_ticket(settings, head)
    ticket = Ticket.get(Ticket.ticket_no == number)

    def pulled(payload: dict, at_text: str) -> str:
        uuid = str(uuid_module.uuid4())
        event = {
            "uuid": uuid,
            "ticket_uuid": ticket.uuid,
            "ticket_no": number,
            "kind": "callback",
            "actor": "resident",
            "at": at_text,
            "payload": payload,
        }
        apply_pulled_events(settings, [event], None)
        return uuid

    first = pulled(
        {"solved": False, "rating": "dissatisfied"}, "2026-11-05T09:00:00+08:00"
    )
    assert Ticket.get(Ticket.ticket_no == number).status == "dispatched"
    pulled(
        {"solved": True, "rating": "satisfied", "amends": first},
        "2026-11-05T10:00:00+08:00",
    )
    assert Ticket.get(Ticket.ticket_no == number).status == "closed"
    counts = month_counts(settings)
    assert counts["satisfied"] == 1 and counts["dissatisfied"] == 0
    assert counts["reopenings"] == 0 and counts["reopened_tickets"] == 0
    assert counts["called_back"] == 1
