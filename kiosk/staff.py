"""The front desk's domain: staff accounts, PIN login, and ticket actions.

Every action is one immediate transaction that checks the session, checks the
move against the state machine (kiosk.states), appends the ticket event and
its outbox entry, updates the ticket and appends an audit row: all of it is
written or none of it is. PINs are stored only as salted scrypt hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import PeeweeException

from db import (
    AuditLog,
    Outbox,
    QueueCall,
    StaffUser,
    Ticket,
    TicketEvent,
    write_transaction,
)
from db.connection import describe_database_error
from kiosk.catalog import Catalog, load_catalog
from kiosk.config import Settings
from kiosk.queue_calls import Called
from kiosk.queue_calls import recent_calls as recent_calls  # the desk calls them
from kiosk.states import (
    ALLOWED_FROM,
    RATINGS,
    STATUS_NAMES,
    STATUSES,
    WITHDRAW_REASONS,
    WITHDRAWN,
    TransitionError,
    next_status,
)
from kiosk.text import clean_text

ROLES = ("staff", "head")
PIN_PATTERN = re.compile(r"^\d{6,12}$")
NAME_PATTERN = re.compile(r"^[\w.-]{2,32}$")
MAX_FAILED_ATTEMPTS = 5
NOTE_LIMIT = 500
# scrypt cost: about 50 ms per check on the station box, 16 MiB of memory.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16


class StaffError(Exception):
    """An action or login was refused; the message is for the person at the desk."""


class LoginError(StaffError):
    """Wrong name or PIN, a locked or a disabled account."""


class SessionError(StaffError):
    """The session is no longer valid (account disabled or removed)."""


class ActionError(StaffError):
    """An action was refused: bad input, an illegal move, no permission."""


# -- PINs -------------------------------------------------------------------


def check_pin_format(pin: str) -> None:
    if not PIN_PATTERN.match(pin):
        raise StaffError("PIN 须为 6 到 12 位数字")


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of the PIN, as one self-describing string."""
    check_pin_format(pin)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(
        pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    encode = base64.b64encode
    return (
        f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}$"
        f"{encode(salt).decode()}${encode(digest).decode()}"
    )


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            pin.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# -- sessions and accounts --------------------------------------------------


@dataclass(frozen=True)
class StaffSession:
    name: str
    role: str
    started_at: datetime

    @property
    def actor(self) -> str:
        return f"staff:{self.name}"

    @property
    def is_head(self) -> bool:
        return self.role == "head"


def _now(settings: Settings, now: datetime | None) -> datetime:
    moment = now or datetime.now(settings.zone)
    return moment.astimezone(settings.zone).replace(microsecond=0)


def _audit(moment: datetime, actor: str, action: str, target: str, **detail: object):
    AuditLog.create(
        at=moment.isoformat(),
        actor=actor,
        action=action,
        target=target,
        detail=json.dumps(detail, ensure_ascii=False) if detail else "",
    )


def _database_guard(settings: Settings, error: BaseException) -> StaffError:
    return StaffError(describe_database_error(error, settings.database_path))


def add_user(
    settings: Settings,
    name: str,
    role: str,
    pin: str,
    *,
    actor: str = "admin",
    now: datetime | None = None,
) -> None:
    if not NAME_PATTERN.match(name):
        raise StaffError("用户名须为 2-32 个字母、数字、下划线、点或连字符")
    if role not in ROLES:
        raise StaffError(f"角色须为 {' / '.join(ROLES)}")
    pin_hash = hash_pin(pin)
    moment = _now(settings, now)
    with write_transaction():
        if StaffUser.get_or_none(StaffUser.name == name) is not None:
            raise StaffError(f"用户 {name} 已存在")
        StaffUser.create(
            name=name, role=role, pin_hash=pin_hash, created_at=moment.isoformat()
        )
        _audit(moment, actor, "user_add", name, role=role)


def disable_user(
    settings: Settings, name: str, *, actor: str = "admin", now: datetime | None = None
) -> None:
    moment = _now(settings, now)
    with write_transaction():
        user = StaffUser.get_or_none(StaffUser.name == name)
        if user is None:
            raise StaffError(f"没有用户 {name}")
        StaffUser.update(disabled=True).where(StaffUser.id == user.id).execute()
        _audit(moment, actor, "user_disable", name)


def reset_pin(
    settings: Settings,
    name: str,
    pin: str,
    *,
    actor: str = "admin",
    now: datetime | None = None,
) -> None:
    """A new PIN; also clears a lockout."""
    pin_hash = hash_pin(pin)
    moment = _now(settings, now)
    with write_transaction():
        user = StaffUser.get_or_none(StaffUser.name == name)
        if user is None:
            raise StaffError(f"没有用户 {name}")
        StaffUser.update(pin_hash=pin_hash, failed_attempts=0, locked_until=None).where(
            StaffUser.id == user.id
        ).execute()
        _audit(moment, actor, "user_reset_pin", name)


def list_users() -> list[dict[str, object]]:
    return [
        {
            "name": user.name,
            "role": user.role,
            "disabled": bool(user.disabled),
            "locked_until": user.locked_until,
            "created_at": user.created_at,
        }
        for user in StaffUser.select().order_by(StaffUser.name)
    ]


def login(
    settings: Settings, name: str, pin: str, *, now: datetime | None = None
) -> StaffSession:
    """Check a PIN; five wrong ones lock the account for the configured time."""
    moment = _now(settings, now)
    name = name.strip()
    user = StaffUser.get_or_none(StaffUser.name == name)
    if user is None:
        with write_transaction():
            _audit(moment, f"login:{name[:32]}", "login_failed", name[:32])
        raise LoginError("用户名或 PIN 不正确")
    if user.disabled:
        with write_transaction():
            _audit(moment, f"staff:{name}", "login_refused", name, reason="disabled")
        raise LoginError(f"账号 {name} 已停用，请联系站长")
    if user.locked_until and datetime.fromisoformat(user.locked_until) > moment:
        until = datetime.fromisoformat(user.locked_until).astimezone(settings.zone)
        raise LoginError(f"PIN 错误次数过多，账号锁定至 {until:%H:%M:%S}")
    # The slow hash runs outside the write lock.
    correct = verify_pin(pin, user.pin_hash)
    with write_transaction():
        if correct:
            StaffUser.update(failed_attempts=0, locked_until=None).where(
                StaffUser.id == user.id
            ).execute()
            _audit(moment, f"staff:{name}", "login", name)
            return StaffSession(name=name, role=user.role, started_at=moment)
        StaffUser.update(failed_attempts=StaffUser.failed_attempts + 1).where(
            StaffUser.id == user.id
        ).execute()
        failed = StaffUser.get_by_id(user.id).failed_attempts
        if failed >= MAX_FAILED_ATTEMPTS:
            until = moment + timedelta(minutes=settings.staff.lockout_minutes)
            StaffUser.update(failed_attempts=0, locked_until=until.isoformat()).where(
                StaffUser.id == user.id
            ).execute()
            _audit(
                moment, f"staff:{name}", "login_locked", name, until=until.isoformat()
            )
            message = f"PIN 错误次数过多，账号锁定至 {until:%H:%M:%S}"
        else:
            _audit(moment, f"staff:{name}", "login_failed", name, attempt=failed)
            left = MAX_FAILED_ATTEMPTS - failed
            message = f"PIN 不正确，还可尝试 {left} 次"
    raise LoginError(message)


def _check_session(session: StaffSession) -> None:
    user = StaffUser.get_or_none(StaffUser.name == session.name)
    if user is None or user.disabled:
        raise SessionError(f"账号 {session.name} 已停用，会话已结束，请重新登录")


def record_lock(
    settings: Settings, session: StaffSession, reason: str, now: datetime | None = None
) -> None:
    """The terminal locked itself (idle) or the person locked/logged out."""
    with write_transaction():
        _audit(_now(settings, now), session.actor, reason, session.name)


# -- ticket actions ---------------------------------------------------------

ACTION_NAMES = {
    "dispatched": "派单",
    "acknowledged": "记录报到",
    "resolved": "办结",
    "escalated": "上报街道",
    "callback": "回访",
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
) -> ActionResult:
    moment = _now(settings, now)
    try:
        with write_transaction():
            _check_session(session)
            ticket = _ticket(ticket_no)
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
            _audit(
                moment,
                session.actor,
                kind,
                ticket.ticket_no,
                event=event.uuid,
                status=f"{before}->{after}",
            )
    except (PeeweeException, sqlite3.Error) as error:
        raise _database_guard(settings, error) from error
    return ActionResult(ticket.ticket_no, kind, before, after, event.uuid)


def dispatch(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    unit: str,
    *,
    now: datetime | None = None,
    catalog: Catalog | None = None,
) -> ActionResult:
    """Blow the whistle: hand the ticket to a unit."""
    catalog = catalog or load_catalog()
    if unit not in catalog.units:
        raise ActionError(f"未知单位 {unit}")
    return _apply(
        settings,
        session,
        ticket_no,
        "dispatched",
        {"unit": unit},
        now=now,
        updates={"unit": unit},
    )


def acknowledge(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    *,
    now: datetime | None = None,
) -> ActionResult:
    """The unit reported in (报到) and is on it."""
    unit = _ticket(ticket_no).unit
    return _apply(settings, session, ticket_no, "acknowledged", {"unit": unit}, now=now)


def add_note(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str,
    *,
    now: datetime | None = None,
) -> ActionResult:
    payload: dict[str, object] = {"text": _required_text(text, "备注内容")}
    return _apply(settings, session, ticket_no, "note", payload, now=now)


def resolve(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str,
    *,
    now: datetime | None = None,
) -> ActionResult:
    payload: dict[str, object] = {"text": _required_text(text, "办结情况")}
    return _apply(settings, session, ticket_no, "resolved", payload, now=now)


def escalate(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    text: str,
    *,
    now: datetime | None = None,
) -> ActionResult:
    payload: dict[str, object] = {"text": _required_text(text, "上报原因")}
    return _apply(settings, session, ticket_no, "escalated", payload, now=now)


def call_back(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    rating: str,
    text: str = "",
    *,
    now: datetime | None = None,
) -> ActionResult:
    """The call-back: 满意 / 基本满意 close the ticket, 不满意 reopens it."""
    if rating not in RATINGS:
        raise ActionError("请选择回访评价：满意 / 基本满意 / 不满意")
    payload: dict[str, object] = {"rating": rating}
    cleaned = clean_text(text, NOTE_LIMIT, multiline=True)
    if cleaned:
        payload["text"] = cleaned
    return _apply(settings, session, ticket_no, "callback", payload, now=now)


def withdraw(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    reason: str,
    *,
    original_no: str = "",
    now: datetime | None = None,
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
        original = Ticket.get_or_none(Ticket.ticket_no == original_no)
        if original is None:
            raise ActionError(f"没有原工单 {original_no}")
        if original.status == WITHDRAWN:
            raise ActionError(f"原工单 {original_no} 已撤销，不能作为原工单")
        payload["original"] = original_no
    return _apply(settings, session, ticket_no, "withdrawn", payload, now=now)


def rate_unit(
    settings: Settings,
    session: StaffSession,
    ticket_no: str,
    unit: str,
    rating: str,
    *,
    now: datetime | None = None,
) -> ActionResult:
    """The station head rates a dispatched unit's handling (评价)."""
    if not session.is_head:
        raise ActionError("只有站长可以评价处置单位")
    if rating not in RATINGS:
        raise ActionError("请选择评价：满意 / 基本满意 / 不满意")
    if unit not in dispatched_units(ticket_no):
        raise ActionError(f"单位 {unit} 未派过此工单，不能评价")
    return _apply(
        settings,
        session,
        ticket_no,
        "unit_rated",
        {"unit": unit, "rating": rating},
        now=now,
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
    moment = _now(settings, now)
    with write_transaction():
        _check_session(session)
        ticket = _ticket(ticket_no)
        if not ticket.contact_mobile:
            raise ActionError("居民未留手机号")
        _audit(moment, session.actor, "reveal_mobile", ticket.ticket_no)
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
    from kiosk.printing import print_ticket

    moment = _now(settings, now)
    with write_transaction():
        _check_session(session)
        ticket = _ticket(ticket_no)
        _audit(moment, session.actor, "reprint", ticket.ticket_no)
    outcome = print_ticket(settings, ticket.ticket_no)
    if not outcome.ok:
        raise ActionError(f"补打失败：{outcome.detail}")


# -- the queue ----------------------------------------------------------------


def call_next(
    settings: Settings, session: StaffSession, *, now: datetime | None = None
) -> Called | None:
    """Call today's next queue number that was not called yet, or None."""
    moment = _now(settings, now)
    day = moment.strftime("%Y-%m-%d")
    start = moment.replace(hour=0, minute=0, second=0).isoformat()
    with write_transaction():
        _check_session(session)
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
        _audit(
            moment, session.actor, "call_next", ticket.ticket_no, queue=ticket.queue_no
        )
    return Called(ticket.queue_no, ticket.ticket_no, moment.isoformat())
