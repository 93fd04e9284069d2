"""Staff accounts, login and lockout, every ticket action and every refusal."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from peewee import IntegrityError, OperationalError

from db import AuditLog, Outbox, StaffUser, Ticket, TicketEvent, database, open_database
from kiosk import accounts, desk
from kiosk.accounts import LoginError, SessionError, StaffError
from kiosk.desk import ActionError
from tests.helpers import FIXED_NOW, HEAD_PIN, STAFF_PIN, issue


def counts() -> tuple[int, int, int]:
    return (
        TicketEvent.select().count(),
        Outbox.select().count(),
        AuditLog.select().count(),
    )


def status(ticket_no: str) -> str:
    return Ticket.get(Ticket.ticket_no == ticket_no).status


# -- PINs, accounts, login ------------------------------------------------------


def test_pins_are_stored_as_salted_scrypt_hashes(settings, staff_accounts):
    stored = StaffUser.get(StaffUser.name == "wang").pin_hash
    assert HEAD_PIN not in stored and stored.startswith("scrypt$")
    assert accounts.verify_pin(HEAD_PIN, stored)
    assert not accounts.verify_pin("000000", stored)
    assert accounts.hash_pin(HEAD_PIN) != accounts.hash_pin(HEAD_PIN)  # salted
    audit_text = " ".join(a.detail + a.target for a in AuditLog.select())
    assert HEAD_PIN not in audit_text


@pytest.mark.parametrize("pin", ["12345", "abcdef", "1234567890123", ""])
def test_short_or_non_digit_pins_are_refused(settings, station_db, pin):
    with pytest.raises(StaffError, match="6 到 12 位数字"):
        accounts.add_user(settings, "zhao", "staff", pin)
    assert StaffUser.select().count() == 0


def test_duplicate_name_and_bad_role_are_refused(settings, staff_accounts):
    with pytest.raises(StaffError, match="已存在"):
        accounts.add_user(settings, "wang", "staff", "123456")
    with pytest.raises(StaffError, match="角色"):
        accounts.add_user(settings, "zhao", "boss", "123456")


def test_login_with_the_right_pin_is_audited(settings, staff_accounts):
    session = accounts.login(settings, "li", STAFF_PIN, now=FIXED_NOW)
    assert (session.name, session.role, session.actor) == ("li", "staff", "staff:li")
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (last.actor, last.action) == ("staff:li", "login")


def test_unknown_name_gets_the_same_message_as_a_wrong_pin(settings, staff_accounts):
    with pytest.raises(LoginError, match="用户名或 PIN 不正确"):
        accounts.login(settings, "nobody", "123456", now=FIXED_NOW)


def test_five_wrong_pins_lock_the_account_across_restarts(settings, staff_accounts):
    for attempt in range(1, 5):
        with pytest.raises(LoginError, match=f"还可尝试 {5 - attempt} 次"):
            accounts.login(settings, "li", "000000", now=FIXED_NOW)
    with pytest.raises(LoginError, match="锁定至 09:35:00"):
        accounts.login(settings, "li", "000000", now=FIXED_NOW)
    # A restart: a fresh connection reads the lock from the file.
    database.close()
    open_database(settings.database_path)
    with pytest.raises(LoginError, match="锁定"):
        accounts.login(settings, "li", STAFF_PIN, now=FIXED_NOW + timedelta(minutes=4))
    session = accounts.login(
        settings, "li", STAFF_PIN, now=FIXED_NOW + timedelta(minutes=5, seconds=1)
    )
    assert session.name == "li"
    actions = [a.action for a in AuditLog.select().where(AuditLog.target == "li")]
    assert actions.count("login_failed") == 4 and "login_locked" in actions


def test_lockout_time_follows_the_config(settings, staff_accounts):
    longer = dataclasses.replace(
        settings, staff=dataclasses.replace(settings.staff, lockout_minutes=30)
    )
    for _ in range(5):
        with pytest.raises(LoginError):
            accounts.login(longer, "li", "000000", now=FIXED_NOW)
    with pytest.raises(LoginError, match="锁定至 10:00:00"):
        accounts.login(longer, "li", STAFF_PIN, now=FIXED_NOW + timedelta(minutes=29))


def test_reset_pin_clears_a_lockout(settings, staff_accounts):
    for _ in range(5):
        with pytest.raises(LoginError):
            accounts.login(settings, "li", "000000", now=FIXED_NOW)
    accounts.reset_pin(settings, "li", "777777", now=FIXED_NOW)
    assert accounts.login(settings, "li", "777777", now=FIXED_NOW).name == "li"


def test_a_disabled_account_cannot_log_in_or_act(settings, staff_accounts, clerk):
    ticket = issue(settings)
    accounts.disable_user(settings, "li", now=FIXED_NOW)
    with pytest.raises(LoginError, match="已停用"):
        accounts.login(settings, "li", STAFF_PIN, now=FIXED_NOW)
    before = counts()
    with pytest.raises(SessionError, match="已停用"):
        desk.dispatch(settings, clerk, ticket.ticket_no, "property", now=FIXED_NOW)
    assert counts() == before
    assert status(ticket.ticket_no) == "received"


def test_the_audit_log_cannot_be_edited(settings, staff_accounts):
    with pytest.raises((IntegrityError, OperationalError), match="append-only"):
        AuditLog.update(actor="someone").execute()
    with pytest.raises((IntegrityError, OperationalError), match="append-only"):
        AuditLog.delete().execute()


# -- actions --------------------------------------------------------------------


def last_event(ticket_no: str) -> TicketEvent:
    ticket = Ticket.get(Ticket.ticket_no == ticket_no)
    return (
        TicketEvent.select()
        .where(TicketEvent.ticket == ticket.uuid)
        .order_by(TicketEvent.id.desc())
        .first()
    )


def test_an_action_writes_event_outbox_status_and_audit_together(settings, head):
    ticket = issue(settings)
    before = counts()
    result = desk.dispatch(settings, head, ticket.ticket_no, "police", now=FIXED_NOW)
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    row = Ticket.get(Ticket.ticket_no == ticket.ticket_no)
    assert (row.status, row.unit) == ("dispatched", "police")
    event = last_event(ticket.ticket_no)
    assert event.uuid == result.event_uuid
    assert (event.kind, event.actor) == ("dispatched", "staff:wang")
    assert event.at == FIXED_NOW.isoformat()
    assert json.loads(event.payload) == {"unit": "police"}
    assert Outbox.get(Outbox.event == event.uuid).sent_at is None
    audit = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (audit.actor, audit.action, audit.target) == (
        "staff:wang",
        "dispatched",
        ticket.ticket_no,
    )


def test_the_whole_life_of_a_ticket(settings, head):
    number = issue(settings, mobile="13812345678").ticket_no
    desk.dispatch(settings, head, number, "property", now=FIXED_NOW)
    desk.acknowledge(settings, head, number, now=FIXED_NOW)
    assert status(number) == "acknowledged"
    desk.add_note(settings, head, number, "物业已上门", now=FIXED_NOW)
    assert status(number) == "acknowledged"
    desk.escalate(settings, head, number, "需要街道协调", now=FIXED_NOW)
    assert status(number) == "escalated"
    desk.resolve(settings, head, number, "已更换水管", now=FIXED_NOW)
    assert status(number) == "resolved"
    desk.call_back(settings, head, number, "dissatisfied", "还在漏", now=FIXED_NOW)
    assert status(number) == "dispatched"  # 不满意 reopens
    desk.resolve(settings, head, number, "再次维修", now=FIXED_NOW)
    desk.call_back(settings, head, number, "satisfied", now=FIXED_NOW)
    assert status(number) == "closed"
    desk.rate_unit(settings, head, number, "property", "satisfied", now=FIXED_NOW)
    assert last_event(number).kind == "unit_rated"
    kinds = [
        e.kind
        for e in TicketEvent.select()
        .join(Ticket, on=(TicketEvent.ticket == Ticket.uuid))
        .where(Ticket.ticket_no == number)
        .order_by(TicketEvent.id)
    ]
    assert kinds == [
        "received",
        "dispatched",
        "acknowledged",
        "note",
        "escalated",
        "resolved",
        "callback",
        "resolved",
        "callback",
        "unit_rated",
    ]


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (lambda s, u, n: desk.acknowledge(s, u, n), "只有「已吹哨派单」"),
        (lambda s, u, n: desk.resolve(s, u, n, "修好了"), "不能办结"),
        (lambda s, u, n: desk.escalate(s, u, n, "太难"), "不能上报街道"),
        (lambda s, u, n: desk.call_back(s, u, n, "satisfied"), "不能回访"),
        (lambda s, u, n: desk.rate_unit(s, u, n, "property", "satisfied"), "未派过"),
    ],
)
def test_illegal_moves_are_refused_with_the_reason_and_write_nothing(
    settings, head, act, message
):
    number = issue(settings).ticket_no
    before = counts()
    with pytest.raises(ActionError, match=message):
        act(settings, head, number)
    assert counts() == before
    assert status(number) == "received"


def test_a_closed_ticket_takes_no_more_moves(settings, head):
    number = issue(settings).ticket_no
    desk.withdraw(settings, head, number, "out_of_scope", now=FIXED_NOW)
    before = counts()
    for act in (
        lambda: desk.dispatch(settings, head, number, "police"),
        lambda: desk.withdraw(settings, head, number, "resident_withdrew"),
    ):
        with pytest.raises(ActionError, match="「已撤销」"):
            act()
    assert counts() == before


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (lambda s, u, n: desk.resolve(s, u, n, "  "), "请填写办结情况"),
        (lambda s, u, n: desk.escalate(s, u, n, ""), "请填写上报原因"),
        (lambda s, u, n: desk.add_note(s, u, n, "\x1b[2J"), "请填写备注内容"),
        (lambda s, u, n: desk.call_back(s, u, n, "great"), "请选择回访评价"),
        (lambda s, u, n: desk.withdraw(s, u, n, "bored"), "请选择撤销原因"),
        (lambda s, u, n: desk.withdraw(s, u, n, "duplicate"), "须填写原工单号"),
        (
            lambda s, u, n: desk.withdraw(s, u, n, "duplicate", original_no=n),
            "不能是本工单",
        ),
        (
            lambda s, u, n: desk.withdraw(
                s, u, n, "duplicate", original_no="PHY3-000000-999"
            ),
            "没有原工单",
        ),
        (lambda s, u, n: desk.dispatch(s, u, n, "army"), "未知单位"),
        (lambda s, u, n: desk.reveal_mobile(s, u, n), "未留手机号"),
        (lambda s, u, n: desk.add_note(s, u, "PHY3-000000-999", "x"), "没有工单"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(settings, head, act, message):
    number = issue(settings).ticket_no
    desk.dispatch(settings, head, number, "property", now=FIXED_NOW)
    desk.resolve(settings, head, number, "好了", now=FIXED_NOW)
    before = counts()
    with pytest.raises(ActionError, match=message):
        act(settings, head, number)
    assert counts() == before


def test_a_duplicate_is_linked_to_its_original(settings, head):
    original = issue(settings, description="电梯困人").ticket_no
    duplicate = issue(settings, description="电梯困人了").ticket_no
    desk.withdraw(settings, head, duplicate, "duplicate", original_no=original)
    assert status(duplicate) == "withdrawn"
    assert json.loads(last_event(duplicate).payload) == {
        "reason": "duplicate",
        "original": original,
    }


def test_only_the_head_rates_units(settings, head, clerk):
    number = issue(settings).ticket_no
    desk.dispatch(settings, head, number, "property", now=FIXED_NOW)
    with pytest.raises(ActionError, match="只有站长"):
        desk.rate_unit(settings, clerk, number, "property", "satisfied")
    desk.rate_unit(settings, head, number, "property", "basically_satisfied")
    assert json.loads(last_event(number).payload) == {
        "unit": "property",
        "rating": "basically_satisfied",
    }


def test_revealing_the_mobile_is_audited(settings, clerk):
    number = issue(settings, mobile="13812345678").ticket_no
    assert desk.reveal_mobile(settings, clerk, number, now=FIXED_NOW) == "13812345678"
    audit = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (audit.actor, audit.action, audit.target, audit.at) == (
        "staff:li",
        "reveal_mobile",
        number,
        FIXED_NOW.isoformat(),
    )
    assert "13812345678" not in audit.detail


def test_reprint_prints_the_ticket_again(settings, clerk):
    number = issue(settings).ticket_no
    desk.reprint(settings, clerk, number, now=FIXED_NOW)
    assert Ticket.get(Ticket.ticket_no == number).print_state == "printed"
    assert (settings.database_path.parent / "printed" / f"{number}.png").exists()
    assert AuditLog.select().where(AuditLog.action == "reprint").count() == 1


def test_a_failed_reprint_says_why_and_is_still_audited(settings, clerk, tmp_path):
    number = issue(settings).ticket_no
    dead = dataclasses.replace(
        settings,
        printer=dataclasses.replace(settings.printer, target=f"escpos:{tmp_path}/x"),
    )
    with pytest.raises(desk.ActionError, match="补打失败"):
        desk.reprint(dead, clerk, number, now=FIXED_NOW)
    assert Ticket.get(Ticket.ticket_no == number).print_state == "failed"
    assert AuditLog.select().where(AuditLog.action == "reprint").count() == 1


def test_call_next_goes_through_todays_queue_in_order(settings, clerk, head):
    yesterday = issue(settings, at=FIXED_NOW - timedelta(days=1))
    first = issue(settings, at=FIXED_NOW - timedelta(minutes=30))
    withdrawn = issue(settings, at=FIXED_NOW - timedelta(minutes=20))
    last = issue(settings, category="sanitation", item="rubbish")
    desk.withdraw(settings, head, withdrawn.ticket_no, "resident_withdrew")
    called = [desk.call_next(settings, clerk, now=FIXED_NOW) for _ in range(3)]
    assert [c.queue_no if c else None for c in called] == [
        first.queue_no,
        last.queue_no,
        None,
    ]
    recent = desk.recent_calls(FIXED_NOW.strftime("%Y-%m-%d"))
    assert [c.queue_no for c in recent] == [last.queue_no, first.queue_no]
    assert yesterday.queue_no not in [c.queue_no for c in recent] or (
        yesterday.ticket_no not in [c.ticket_no for c in recent]
    )


# -- login answers that protect accounts (issue 18, item 3) --------------------


@pytest.mark.parametrize("pin", ["", "1", "12345"])
def test_an_empty_or_short_pin_is_refused_without_counting(
    settings, staff_accounts, pin
):
    for _ in range(accounts.MAX_FAILED_ATTEMPTS + 2):
        with pytest.raises(LoginError, match="6 到 12 位数字"):
            accounts.login(settings, "li", pin, now=FIXED_NOW)
    assert StaffUser.get(StaffUser.name == "li").failed_attempts == 0
    assert accounts.login(settings, "li", STAFF_PIN, now=FIXED_NOW).name == "li"


def test_the_answers_are_the_same_whether_or_not_the_name_exists(
    settings, staff_accounts
):
    def answers(name: str) -> list[str]:
        said = []
        for _ in range(accounts.MAX_FAILED_ATTEMPTS + 1):
            with pytest.raises(LoginError) as refused:
                accounts.login(settings, name, "000000", now=FIXED_NOW)
            said.append(str(refused.value))
        return said

    assert answers("li") == answers("nobody")
    later = FIXED_NOW + timedelta(minutes=6)
    with pytest.raises(LoginError) as unknown:
        accounts.login(settings, "nobody", "000000", now=later)
    with pytest.raises(LoginError) as known:
        accounts.login(settings, "li", "000000", now=later)
    assert str(unknown.value) == str(known.value)


def test_a_wrong_pin_on_a_disabled_account_says_nothing_of_it(settings, staff_accounts):
    accounts.disable_user(settings, "li", now=FIXED_NOW)
    with pytest.raises(LoginError) as disabled:
        accounts.login(settings, "li", "000000", now=FIXED_NOW)
    with pytest.raises(LoginError) as unknown:
        accounts.login(settings, "nobody", "000000", now=FIXED_NOW)
    assert str(disabled.value) == str(unknown.value)


def test_attempts_on_a_locked_account_are_audited(settings, staff_accounts):
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(LoginError):
            accounts.login(settings, "li", "000000", now=FIXED_NOW)
    with pytest.raises(LoginError, match="锁定"):
        accounts.login(settings, "li", STAFF_PIN, now=FIXED_NOW)
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (last.action, last.target) == ("login_refused", "li")
    assert json.loads(last.detail) == {"reason": "locked"}


# -- two desks, one ticket (issue 18, items 12, 13) ----------------------------


def test_an_action_on_a_stale_view_is_refused_with_what_changed(settings, head, clerk):
    from kiosk.search import ticket_detail

    number = issue(settings).ticket_no
    seen = ticket_detail(number)
    assert seen is not None
    desk.dispatch(settings, head, number, "police", now=FIXED_NOW)  # desk A
    before = counts()
    with pytest.raises(ActionError) as refused:  # desk B, on what it saw
        desk.dispatch(
            settings,
            clerk,
            number,
            "fire",
            now=FIXED_NOW,
            expected_event=seen.last_event,
        )
    assert "派出所" in str(refused.value) and "wang" in str(refused.value)
    assert counts() == before
    assert Ticket.get(Ticket.ticket_no == number).unit == "police"
    fresh = ticket_detail(number)
    assert fresh is not None
    desk.acknowledge(settings, clerk, number, expected_event=fresh.last_event)
    assert status(number) == "acknowledged"


def test_dispatching_twice_to_the_same_unit_is_refused(settings, head):
    number = issue(settings).ticket_no
    desk.dispatch(settings, head, number, "police", now=FIXED_NOW)
    before = counts()
    with pytest.raises(ActionError, match="已派给派出所"):
        desk.dispatch(settings, head, number, "police", now=FIXED_NOW)
    assert counts() == before
    desk.dispatch(settings, head, number, "fire", now=FIXED_NOW)  # another unit
    assert Ticket.get(Ticket.ticket_no == number).unit == "fire"


def test_the_head_rates_a_unit_once_per_ticket(settings, head):
    number = issue(settings).ticket_no
    desk.dispatch(settings, head, number, "police", now=FIXED_NOW)
    desk.rate_unit(settings, head, number, "police", "satisfied", now=FIXED_NOW)
    before = counts()
    with pytest.raises(ActionError, match="已评价"):
        desk.rate_unit(settings, head, number, "police", "dissatisfied", now=FIXED_NOW)
    assert counts() == before


def test_a_duplicate_names_its_original_by_queue_number_or_any_case(settings, head):
    original = issue(settings)
    for text in (original.queue_no, original.ticket_no.lower()):
        duplicate = issue(settings).ticket_no
        desk.withdraw(settings, head, duplicate, "duplicate", original_no=text)
        payload = json.loads(last_event(duplicate).payload)
        assert payload["original"] == original.ticket_no


def test_the_original_shows_its_duplicates(settings, head):
    from kiosk.search import ticket_detail

    original = issue(settings).ticket_no
    duplicate = issue(settings).ticket_no
    desk.withdraw(settings, head, duplicate, "duplicate", original_no=original)
    detail = ticket_detail(original)
    assert detail is not None and detail.duplicates == (duplicate,)


def test_likely_originals_are_recent_tickets_of_the_same_building_and_category(
    settings, head
):
    from kiosk.search import likely_originals

    building = "第二网格（五巷银行小区） 五巷4号楼"
    older = issue(settings, building=building, at=FIXED_NOW - timedelta(days=3))
    newer = issue(settings, building=building, at=FIXED_NOW - timedelta(hours=3))
    issue(settings, building="第二网格（五巷银行小区） 五巷1号楼")  # elsewhere
    issue(settings, "sanitation", "rubbish", building=building)  # another matter
    withdrawn = issue(settings, building=building).ticket_no
    desk.withdraw(settings, head, withdrawn, "resident_withdrew")
    duplicate = issue(settings, building=building).ticket_no
    offered = [row.ticket_no for row in likely_originals(duplicate)]
    # Newest first; never the ticket itself or a withdrawn one.
    assert offered == [newer.ticket_no, older.ticket_no]
