"""The front desk's actions on tickets: dispatch, check-in, notes, resolve,
escalate, call-back, withdraw, unit ratings, reveals, reprints, queue calls.

Every action is one immediate transaction that checks the session, checks the
move against the state machine (kiosk.states), appends the ticket event and
its outbox entry, updates the ticket and appends an audit row: all of it is
written or none of it is.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from peewee import PeeweeException

from db import (
    Outbox,
    QueueCall,
    Ticket,
    TicketEvent,
    write_transaction,
)
from kiosk.accounts import (
    StaffError,
    StaffSession,
    check_session,
    database_error,
    station_now,
    write_audit,
)
from kiosk.catalog import Catalog, load_catalog
from kiosk.config import Settings
from kiosk.queue_calls import Called
from kiosk.queue_calls import recent_calls as recent_calls  # the desk calls them
from kiosk.report_facts import refresh_station
from kiosk.states import (
    ACKNOWLEDGED,
    ALLOWED_FROM,
    DISPATCHED,
    RATING_NAMES,
    RATINGS,
    SOLVED_NAMES,
    STATUS_NAMES,
    STATUSES,
    UNREACHABLE_REASONS,
    WITHDRAW_REASONS,
    WITHDRAWN,
    TransitionError,
    next_status,
)
from kiosk.text import clean_text

NOTE_LIMIT = 500


class ActionError(StaffError):
    """An action was refused: bad input, an illegal move, no permission."""


ACTION_NAMES = {
    "dispatched": "派单",
    "acknowledged": "记录报到",
    "resolved": "办结",
    "escalated": "上报街道",
    "callback": "回访",
    "callback_attempt": "记录回访未接通",
    "withdrawn": "撤销",
    "note": "添加备注",
    "unit_rated": "评价单位",
}


def refusal(kind: str, status: str, error: TransitionError) -> str:
    """Why a move is refused, in words for the desk."""
    action = ACTION_NAMES.get(kind, kind)
    allowed = ALLOWED_FROM.get(kind, frozenset())
    if status in STATUS_NAMES and status not in allowed:
        names = "、".join(f"「{STATUS_NAMES[s][0]}」" for s in STATUSES if s in allowed)
        return (
            f"不能{action}：工单现为「{STATUS_NAMES[status][0]}」，"
            f"只有{names}的工单可以{action}"
        )
    return f"不能{action}：{error.reason}"


@dataclass(frozen=True)
class ActionResult:
    ticket_no: str
    kind: str
    status_before: str
    status_after: str
    event_uuid: str


def _ticket(ticket_no: str) -> Ticket:
    ticket = Ticket.get_or_none(Ticket.ticket_no == ticket_no)
    if ticket is None:
        raise ActionError(f"没有工单 {ticket_no}")
    return ticket


def _required_text(text: str, what: str) -> str:
    cleaned = clean_text(text, NOTE_LIMIT, multiline=True)
    if not cleaned:
        raise ActionError(f"请填写{what}")
    return cleaned


def _apply(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    kind: str,
    payload: dict[str, object],
    *,
    now: datetime | None = None,
    updates: dict[str, object] | None = None,
    expected_event: str | None = None,
    guard: Callable[[Ticket], None] | None = None,
) -> ActionResult:
    """Write one action. ``expected_event``: the uuid of the ticket's last
    event as the person's view showed it; if another desk (or the central)
    wrote since, the action is refused with what changed. ``guard`` refuses
    a repeated action, inside the same transaction."""
    moment = station_now(settings, now)
    try:
        with write_transaction():
            check_session(session)
            ticket = _ticket(ticket_no)
            if expected_event is not None:
                _check_fresh(ticket, expected_event)
            if guard is not None:
                guard(ticket)
            before = ticket.status
            try:
                after = next_status(before, kind, payload)
            except TransitionError as error:
                raise ActionError(refusal(kind, before, error)) from error
            event = TicketEvent.create(
                uuid=str(uuid_module.uuid4()),
                ticket=ticket.uuid,
                kind=kind,
                actor=session.actor,
                at=moment.isoformat(),
                payload=json.dumps(payload, ensure_ascii=False),
            )
            Outbox.create(event=event.uuid, created_at=moment.isoformat())
            changes: dict[str, object] = dict(updates or {})
            if after != before:
                changes["status"] = after
            if changes:
                Ticket.update(**changes).where(Ticket.id == ticket.id).execute()
            refresh_station([ticket.uuid])
            # The row says what was done (unit, rating, reason), not only
            # which event: the free text stays in the event.
            what = {key: value for key, value in payload.items() if key != "text"}
            write_audit(
                moment,
                session.actor,
                kind,
                ticket.ticket_no,
                event=event.uuid,
                status=f"{before}->{after}",
                **what,
            )
    except (PeeweeException, sqlite3.Error) as error:
        raise database_error(settings, error) from error
    return ActionResult(ticket.ticket_no, kind, before, after, event.uuid)


def _check_fresh(ticket: Ticket, expected_event: str) -> None:
    """Refuse an action taken on a view older than the ticket's history,
    saying what changed since."""
    newer = list(
        TicketEvent.select()
        .where(TicketEvent.ticket == ticket.uuid)
        .order_by(TicketEvent.id.desc())
        .limit(20)
    )
    if not newer or newer[0].uuid == expected_event:
        return
    changes = []
    for event in newer:
        if event.uuid == expected_event:
            break
        changes.append(describe_event(event))
    what = "；".join(reversed(changes))
    raise ActionError(f"工单在您查看后已有变动：{what}。画面已更新，请确认后再操作")


def describe_event(event: TicketEvent) -> str:
    """One event in a few words: who, when, what (for a stale view)."""
    try:
        payload = json.loads(event.payload)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    action = ACTION_NAMES.get(event.kind, event.kind)
    detail = ""
    unit = payload.get("unit")
    if isinstance(unit, str) and unit:
        unit_entry = load_catalog().units.get(unit)
        detail = f"（{unit_entry.name if unit_entry else unit}）"
    elif event.kind == "callback":
        detail = f"（{callback_summary(payload)}）"
    who = str(event.actor).removeprefix("staff:")
    at = str(event.at)[11:16]
    return f"{who} {at} {action}{detail}"


def callback_summary(payload: dict[str, object]) -> str:
    """A call-back's answers in a few words: 解决，满意 / 无法回访（…）."""
    if payload.get("unreachable") is True:
        reason = UNREACHABLE_REASONS.get(str(payload.get("reason")), ("",))[0]
        tries = payload.get("tries")
        tried = f"，拨打 {tries} 次" if isinstance(tries, int) and tries else ""
        return f"无法回访（{reason}{tried}）" if reason or tried else "无法回访"
    parts = []
    solved = payload.get("solved")
    if isinstance(solved, bool):
        parts.append(SOLVED_NAMES[solved][0])
    parts.append(RATING_NAMES.get(str(payload.get("rating")), ("?",))[0])
    return "，".join(parts)


def _add_text(payload: dict[str, object], text: str) -> None:
    """The staff member's words, cleaned, when there are any."""
    cleaned = clean_text(text, NOTE_LIMIT, multiline=True)
    if cleaned:
        payload["text"] = cleaned


def dispatch(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    unit: str,
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
    catalog: Catalog | None = None,
) -> ActionResult:
    """Blow the whistle: hand the ticket to a unit."""
    catalog = catalog or load_catalog()
    if unit not in catalog.units:
        raise ActionError(f"未知单位 {unit}")

    def not_again(ticket: Ticket) -> None:
        if ticket.status in (DISPATCHED, ACKNOWLEDGED) and ticket.unit == unit:
            raise ActionError(f"工单已派给{catalog.units[unit].name}，无需重复派单")

    return _apply(
        settings,
        session,
        ticket_no,
        "dispatched",
        {"unit": unit},
        now=now,
        updates={"unit": unit},
        expected_event=expected_event,
        guard=not_again,
    )


def acknowledge(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    """The unit reported in (报到) and is on it."""
    unit = _ticket(ticket_no).unit
    return _apply(
        settings,
        session,
        ticket_no,
        "acknowledged",
        {"unit": unit},
        now=now,
        expected_event=expected_event,
    )


def add_note(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str,
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    payload: dict[str, object] = {"text": _required_text(text, "备注内容")}
    return _apply(
        settings,
        session,
        ticket_no,
        "note",
        payload,
        now=now,
        expected_event=expected_event,
    )


def resolve(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str,
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    payload: dict[str, object] = {"text": _required_text(text, "办结情况")}
    return _apply(
        settings,
        session,
        ticket_no,
        "resolved",
        payload,
        now=now,
        expected_event=expected_event,
    )


def escalate(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str,
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    payload: dict[str, object] = {"text": _required_text(text, "上报原因")}
    return _apply(
        settings,
        session,
        ticket_no,
        "escalated",
        payload,
        now=now,
        expected_event=expected_event,
    )


def call_back(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    rating: str,
    text: str = "",
    *,
    solved: bool | None = None,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    """The call-back, both answers 12345 asks: was the problem solved
    (解决/未解决), and how satisfied the resident is. 满意 / 基本满意 close
    the ticket, 不满意 reopens it to its unit."""
    if rating not in RATINGS:
        raise ActionError("请选择回访评价：满意 / 基本满意 / 不满意")
    payload: dict[str, object] = {"rating": rating}
    if solved is not None:
        payload["solved"] = bool(solved)
    _add_text(payload, text)
    return _apply(
        settings,
        session,
        ticket_no,
        "callback",
        payload,
        now=now,
        expected_event=expected_event,
    )


def call_back_notice(rating: str, solved: bool | None, unit_name: str) -> str:
    """What the desk is told after a call-back is recorded."""
    answers = "，".join(
        part
        for part in (
            SOLVED_NAMES[solved][0] if solved is not None else "",
            RATING_NAMES[rating][0],
        )
        if part
    )
    if rating == "dissatisfied":
        return f"已回访：{answers}，工单已退回{unit_name or '处置单位'}重办"
    return f"已回访：{answers}，工单已结束"


def callback_tries(ticket_no: str) -> int:
    """Calls that reached nobody since the ticket was last resolved."""
    ticket = _ticket(ticket_no)
    kinds = [
        str(event.kind)
        for event in TicketEvent.select(TicketEvent.kind)
        .where(TicketEvent.ticket == ticket.uuid)
        .order_by(TicketEvent.id)
    ]
    tries = 0
    for kind in kinds:
        if kind == "resolved":
            tries = 0
        elif kind == "callback_attempt":
            tries += 1
    return tries


def record_callback_try(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str = "",
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    """A call that reached nobody: recorded, the ticket waits for the next."""
    ticket = _ticket(ticket_no)
    if not ticket.contact_mobile:
        raise ActionError("居民未留联系方式，无需拨打：请直接记为无法回访")
    payload: dict[str, object] = {"try": callback_tries(ticket_no) + 1}
    _add_text(payload, text)
    return _apply(
        settings,
        session,
        ticket_no,
        "callback_attempt",
        payload,
        now=now,
        expected_event=expected_event,
    )


def close_unreachable(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str = "",
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    """无法回访: no contact details, or not reached after the set number of
    tries. The ticket ends; the reports count it apart, never as satisfied."""
    ticket = _ticket(ticket_no)
    tries = callback_tries(ticket_no)
    needed = settings.follow_up.tries_before_unreachable
    if ticket.contact_mobile:
        reason = "not_reached"
        if tries < needed:
            raise ActionError(
                f"不能记为无法回访：已拨打 {tries} 次，拨打 {needed} 次都未接通后才可以"
            )
    else:
        reason = "no_contact"
    payload: dict[str, object] = {"unreachable": True, "reason": reason, "tries": tries}
    _add_text(payload, text)
    return _apply(
        settings,
        session,
        ticket_no,
        "callback",
        payload,
        now=now,
        expected_event=expected_event,
    )


def withdraw(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    reason: str,
    *,
    original_no: str = "",
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    """Withdraw: a duplicate (linked to the original), out of scope, or by the
    resident."""
    if reason not in WITHDRAW_REASONS:
        raise ActionError("请选择撤销原因：重复 / 不属受理范围 / 居民撤回")
    payload: dict[str, object] = {"reason": reason}
    if reason == "duplicate":
        original_no = original_no.strip()
        if not original_no:
            raise ActionError("重复工单须填写原工单号")
        if original_no == ticket_no:
            raise ActionError("原工单不能是本工单")
        original = find_original(original_no)
        if original is None:
            raise ActionError(f"没有原工单 {original_no}")
        original_no = original.ticket_no
        if original_no == ticket_no:
            raise ActionError("原工单不能是本工单")
        if original.status == WITHDRAWN:
            raise ActionError(f"原工单 {original_no} 已撤销，不能作为原工单")
        payload["original"] = original_no
    return _apply(
        settings,
        session,
        ticket_no,
        "withdrawn",
        payload,
        now=now,
        expected_event=expected_event,
    )


def find_original(text: str) -> Ticket | None:
    """The ticket a duplicate points to: its number in any case, or a queue
    number (the most recent ticket that had it)."""
    text = text.strip()
    ticket = Ticket.get_or_none(Ticket.ticket_no == text.upper())
    if ticket is None:
        ticket = (
            Ticket.select()
            .where(Ticket.queue_no == text.upper())
            .order_by(Ticket.id.desc())
            .first()
        )
    return ticket


def rate_unit(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    unit: str,
    rating: str,
    *,
    now: datetime | None = None,
    expected_event: str | None = None,
) -> ActionResult:
    """The station head rates a dispatched unit's handling (评价)."""
    if not session.is_head:
        raise ActionError("只有站长可以评价处置单位")
    if rating not in RATINGS:
        raise ActionError("请选择评价：满意 / 基本满意 / 不满意")
    if unit not in dispatched_units(ticket_no):
        raise ActionError(f"单位 {unit} 未派过此工单，不能评价")

    def once(ticket: Ticket) -> None:
        for event in TicketEvent.select(TicketEvent.payload).where(
            (TicketEvent.ticket == ticket.uuid) & (TicketEvent.kind == "unit_rated")
        ):
            try:
                earlier = json.loads(event.payload)
            except ValueError:
                continue
            if isinstance(earlier, dict) and earlier.get("unit") == unit:
                given = RATING_NAMES.get(str(earlier.get("rating")), ("?",))[0]
                raise ActionError(f"此工单已评价过该单位（{given}），每个单位评价一次")

    return _apply(
        settings,
        session,
        ticket_no,
        "unit_rated",
        {"unit": unit, "rating": rating},
        now=now,
        expected_event=expected_event,
        guard=once,
    )


def dispatched_units(ticket_no: str) -> list[str]:
    """Units the ticket was dispatched to, in order, each once."""
    ticket = _ticket(ticket_no)
    units: list[str] = []
    events = (
        TicketEvent.select(TicketEvent.payload)
        .where((TicketEvent.ticket == ticket.uuid) & (TicketEvent.kind == "dispatched"))
        .order_by(TicketEvent.id)
    )
    for event in events:
        try:
            unit = json.loads(event.payload).get("unit")
        except ValueError:
            continue
        if isinstance(unit, str) and unit not in units:
            units.append(unit)
    return units


def reveal_mobile(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    *,
    now: datetime | None = None,
) -> str:
    """The resident's full mobile number for a call-back; always audited."""
    moment = station_now(settings, now)
    with write_transaction():
        check_session(session)
        ticket = _ticket(ticket_no)
        if not ticket.contact_mobile:
            raise ActionError("居民未留手机号")
        write_audit(moment, session.actor, "reveal_mobile", ticket.ticket_no)
        return str(ticket.contact_mobile)


def reprint(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    *,
    now: datetime | None = None,
) -> None:
    """Print the ticket again on the station's printer (audited).

    The audit row is written first, in its own transaction; printing happens
    outside any transaction and records the outcome as the print state.
    """
    # Pillow and the printer code load on a reprint only
    from kiosk.printing.printer import print_ticket

    moment = station_now(settings, now)
    with write_transaction():
        check_session(session)
        ticket = _ticket(ticket_no)
        write_audit(moment, session.actor, "reprint", ticket.ticket_no)
    outcome = print_ticket(settings, ticket.ticket_no)
    if not outcome.ok:
        raise ActionError(f"补打失败：{printer_problem(outcome.detail)}")


# What the printing code reports, in words for the desk (the printing code
# speaks English for logs and the CLI).
PRINTER_PROBLEMS: tuple[tuple[str, str], ...] = (
    (r"no printer answers at (\S+)", "打印机 {0} 无应答，请检查电源和网线"),
    (r"closed the connection", "打印机断开了连接，请检查打印机"),
    (r"out of paper", "打印机缺纸，请换纸"),
    (r"did not take the ticket in time", "打印机超时未响应，可能已离线"),
    (r"refused the ticket", "打印机拒绝打印，请检查打印机"),
    (r"no printer at (\S+)", "找不到打印机 {0}，请检查连接"),
    (r"no printer is configured", "本机未设置打印机"),
    (r"cannot write to (\S+?):", "无法写入打印目录 {0}"),
    (r"CUPS is not installed", "本机未安装 CUPS 打印服务"),
    (r"no ticket (\S+)", "没有工单 {0}"),
)


def printer_problem(detail: str) -> str:
    """A printing failure in Chinese; the original text when it is unknown."""
    for pattern, wording in PRINTER_PROBLEMS:
        found = re.search(pattern, detail)
        if found:
            return wording.format(*found.groups())
    return f"打印出错（{detail}）"


# -- the queue ----------------------------------------------------------------


def call_next(
    settings: Settings, session: StaffSession, *, now: datetime | None = None
) -> Called | None:
    """Call today's next queue number that was not called yet, or None."""
    moment = station_now(settings, now)
    day = moment.strftime("%Y-%m-%d")
    start = moment.replace(hour=0, minute=0, second=0).isoformat()
    with write_transaction():
        check_session(session)
        ticket = (
            Ticket.select()
            .where(
                (Ticket.created_at >= start)
                & (Ticket.day == day)
                & (Ticket.status != WITHDRAWN)
                & ~Ticket.uuid.in_(
                    QueueCall.select(QueueCall.ticket).where(QueueCall.day == day)
                )
            )
            .order_by(Ticket.id)
            .first()
        )
        if ticket is None:
            return None
        QueueCall.create(
            day=day,
            queue_no=ticket.queue_no,
            ticket=ticket.uuid,
            called_at=moment.isoformat(),
            called_by=session.actor,
        )
        write_audit(
            moment, session.actor, "call_next", ticket.ticket_no, queue=ticket.queue_no
        )
    return Called(ticket.queue_no, ticket.ticket_no, moment.isoformat())
