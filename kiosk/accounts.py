"""Staff accounts: PINs, login, lockout, sessions, and the audit log's writer.

PINs are stored only as salted scrypt hashes. Five wrong PINs lock an account
for ``[staff] lockout_minutes``.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from db import (
    AuditLog,
    StaffUser,
    write_transaction,
)
from db.connection import describe_database_error, is_busy
from kiosk.config import Settings
from kiosk.errors import Refused
from kiosk.queue_calls import recent_calls as recent_calls  # the desk calls them

ROLES = ("staff", "head")
PIN_PATTERN = re.compile(r"^\d{6,12}$")
NAME_PATTERN = re.compile(r"^[\w.-]{2,32}$")
MAX_FAILED_ATTEMPTS = 5
# scrypt cost: about 50 ms per check on the station box, 16 MiB of memory.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16


class StaffError(Refused):
    """An action or login was refused; the message is for the person at the desk."""


class LoginError(StaffError):
    """Wrong name or PIN, a locked or a disabled account."""


class SessionError(StaffError):
    """The session is no longer valid (account disabled or removed)."""


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


def station_now(settings: Settings, now: datetime | None) -> datetime:
    moment = now or datetime.now(settings.zone)
    return moment.astimezone(settings.zone).replace(microsecond=0)


def chain_link(previous: str, fields: tuple[str, ...]) -> str:
    """One link of the audit log's hash chain: the previous row's link and
    this row's fields, hashed. Editing, removing or inserting a row breaks
    every link after it."""
    text = "\x1f".join((previous, *fields))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _audit_fields(row: AuditLog) -> tuple[str, ...]:
    return (row.at, row.actor, row.action, row.target, row.detail)


def write_audit(
    moment: datetime, actor: str, action: str, target: str, **detail: object
) -> None:
    """Append one audit row, chained to the one before. Every caller is
    inside a write transaction, so the chain stays one line."""
    previous = (
        AuditLog.select(AuditLog.chain).order_by(AuditLog.id.desc()).limit(1).first()
    )
    fields = (
        moment.isoformat(),
        actor,
        action,
        target,
        json.dumps(detail, ensure_ascii=False) if detail else "",
    )
    AuditLog.create(
        at=fields[0],
        actor=actor,
        action=action,
        target=target,
        detail=fields[4],
        chain=chain_link(previous.chain if previous else "", fields),
    )


@dataclass(frozen=True)
class ChainCheck:
    rows: int  # rows checked
    unchained: int  # rows older than the chain (written before it existed)
    broken_at: int | None  # the first row whose link does not match


@dataclass(frozen=True)
class AuditFilter:
    """Which audit rows to read; empty fields do not filter."""

    user: str = ""  # a staff name, or a whole actor (cli:root)
    action: str = ""
    ticket: str = ""  # the row's target: a ticket number or an account name
    since: str = ""  # ISO times, compared as stored
    until: str = ""
    limit: int = 200


def read_audit(wanted: AuditFilter) -> list[dict[str, object]]:
    """Audit rows, newest first, as plain dicts (detail decoded)."""
    query = AuditLog.select().order_by(AuditLog.id.desc()).limit(wanted.limit)
    if wanted.user:
        actor = wanted.user if ":" in wanted.user else f"staff:{wanted.user}"
        query = query.where(AuditLog.actor == actor)
    if wanted.action:
        query = query.where(AuditLog.action == wanted.action)
    if wanted.ticket:
        query = query.where(AuditLog.target == wanted.ticket)
    if wanted.since:
        query = query.where(AuditLog.at >= wanted.since)
    if wanted.until:
        query = query.where(AuditLog.at < wanted.until)
    rows = []
    for row in query:
        try:
            detail = json.loads(row.detail) if row.detail else {}
        except ValueError:
            detail = {"text": row.detail}
        rows.append(
            {
                "id": row.id,
                "at": row.at,
                "actor": row.actor,
                "action": row.action,
                "target": row.target,
                "detail": detail,
            }
        )
    return rows


def check_audit_chain() -> ChainCheck:
    """Walk the audit log and recompute its hash chain.

    The triggers refuse rewrites from any program; this finds a file edited
    with the triggers dropped. It cannot see rows cut from the end of the
    log (nothing comes after them).
    """
    previous = ""
    rows = unchained = 0
    for row in AuditLog.select().order_by(AuditLog.id).iterator():
        rows += 1
        if not row.chain and not previous:
            unchained += 1  # from before migration 5
            continue
        if row.chain != chain_link(previous, _audit_fields(row)):
            return ChainCheck(rows, unchained, row.id)
        previous = row.chain
    return ChainCheck(rows, unchained, None)


def database_error(settings: Settings, error: BaseException) -> StaffError:
    """The failure in Chinese for the desk; a busy database is transient."""
    return StaffError(
        describe_database_error(error, language="zh-CN"), transient=is_busy(error)
    )


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
    moment = station_now(settings, now)
    with write_transaction():
        if StaffUser.get_or_none(StaffUser.name == name) is not None:
            raise StaffError(f"用户 {name} 已存在")
        StaffUser.create(
            name=name, role=role, pin_hash=pin_hash, created_at=moment.isoformat()
        )
        write_audit(moment, actor, "user_add", name, role=role)


def _change_user(
    settings: Settings,
    name: str,
    actor: str,
    now: datetime | None,
    action: str,
    **changes: object,
) -> None:
    """Change one account's row and audit it, in one transaction."""
    moment = station_now(settings, now)
    with write_transaction():
        user = StaffUser.get_or_none(StaffUser.name == name)
        if user is None:
            raise StaffError(f"没有用户 {name}")
        StaffUser.update(**changes).where(StaffUser.id == user.id).execute()
        write_audit(moment, actor, action, name)


def disable_user(
    settings: Settings, name: str, *, actor: str = "admin", now: datetime | None = None
) -> None:
    _change_user(settings, name, actor, now, "user_disable", disabled=True)


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
    _change_user(
        settings,
        name,
        actor,
        now,
        "user_reset_pin",
        pin_hash=pin_hash,
        failed_attempts=0,
        locked_until=None,
    )


def enable_user(
    settings: Settings, name: str, *, actor: str = "admin", now: datetime | None = None
) -> None:
    """Enable a disabled account again (its PIN is kept; a lockout is cleared)."""
    _change_user(
        settings,
        name,
        actor,
        now,
        "user_enable",
        disabled=False,
        failed_attempts=0,
        locked_until=None,
    )


ADMIN_REFUSED = (
    "管理账号须由站长核对 PIN（--head 站长用户名），或由本机管理员（root）执行"
)


def authorize_admin(
    settings: Settings,
    *,
    box_admin: bool,
    head: str = "",
    head_pin: str = "",
    first_account: bool = False,
    now: datetime | None = None,
) -> str:
    """Who may change accounts, as the audit log will name them.

    A head who gives their own PIN (checked as a login: counted, locked,
    audited) is named ``staff:<head>``; the box's administrator (root) is
    named by ``cli_actor``. Only while the station has no head at all may
    anyone add an account (``first_account``), so a new box can be set up.
    """
    if head:
        session = login(settings, head, head_pin, now=now)
        if not session.is_head:
            raise StaffError("只有站长可以管理账号")
        return session.actor
    if box_admin:
        return cli_actor()
    no_head = not StaffUser.select().where(StaffUser.role == "head").exists()
    if first_account and no_head:
        return cli_actor()
    raise StaffError(ADMIN_REFUSED)


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


WRONG_PIN = "用户名或 PIN 不正确，还可尝试 {left} 次"
LOCKED = "PIN 错误次数过多，账号锁定至 {until:%H:%M:%S}，请稍后再试"
# Checked against when the name is unknown, so that both answers take as long.
_STAND_IN_HASH: list[str] = []


def _stand_in_hash() -> str:
    if not _STAND_IN_HASH:
        _STAND_IN_HASH.append(hash_pin("000000"))
    return _STAND_IN_HASH[0]


def _unknown_name_state(name: str, moment: datetime) -> tuple[int, str | None]:
    """(failed attempts, locked until) of a name with no account, read from
    the audit log: an unknown name gets the same answers as a real one."""
    failed = 0
    rows = (
        AuditLog.select(AuditLog.action, AuditLog.detail)
        .where(
            (AuditLog.target == name)
            & (AuditLog.actor == f"login:{name}")
            & AuditLog.action.in_(("login_failed", "login_locked"))
        )
        .order_by(AuditLog.id.desc())
        .limit(MAX_FAILED_ATTEMPTS)
    )
    for row in rows:
        if row.action == "login_locked":
            until = json.loads(row.detail or "{}").get("until")
            return failed, until
        failed += 1
    return failed, None


def login(
    settings: Settings, name: str, pin: str, *, now: datetime | None = None
) -> StaffSession:
    """Check a PIN; five wrong ones lock the account for the configured time.

    A PIN of the wrong form is refused before anything is counted, so that
    nobody can lock out a colleague by pressing Enter. The answers are the
    same whether or not the name exists: an unknown name counts its wrong
    PINs and locks in the audit log as an account does in its row, and a
    disabled account says so only to the right PIN.
    """
    if not PIN_PATTERN.match(pin):
        raise LoginError("PIN 须为 6 到 12 位数字")
    moment = station_now(settings, now)
    name = name.strip()[:32]
    user = StaffUser.get_or_none(StaffUser.name == name)
    actor = f"staff:{name}" if user is not None else f"login:{name}"
    if user is not None:
        failed, locked_until = int(user.failed_attempts), user.locked_until
    else:
        failed, locked_until = _unknown_name_state(name, moment)
    if locked_until and datetime.fromisoformat(locked_until) > moment:
        with write_transaction():
            write_audit(moment, actor, "login_refused", name, reason="locked")
        until = datetime.fromisoformat(locked_until).astimezone(settings.zone)
        raise LoginError(LOCKED.format(until=until))
    # The slow hash runs outside the write lock, for a name or none.
    correct = verify_pin(pin, user.pin_hash if user else _stand_in_hash())
    correct = correct and user is not None
    if correct and user is not None and user.disabled:
        with write_transaction():
            write_audit(moment, actor, "login_refused", name, reason="disabled")
        raise LoginError(f"账号 {name} 已停用，请联系站长")
    with write_transaction():
        if correct and user is not None:
            StaffUser.update(failed_attempts=0, locked_until=None).where(
                StaffUser.id == user.id
            ).execute()
            write_audit(moment, actor, "login", name)
            return StaffSession(name=name, role=user.role, started_at=moment)
        if user is not None:
            StaffUser.update(failed_attempts=StaffUser.failed_attempts + 1).where(
                StaffUser.id == user.id
            ).execute()
            failed = StaffUser.get_by_id(user.id).failed_attempts
        else:
            failed += 1
        if failed >= MAX_FAILED_ATTEMPTS:
            until = moment + timedelta(minutes=settings.staff.lockout_minutes)
            if user is not None:
                StaffUser.update(
                    failed_attempts=0, locked_until=until.isoformat()
                ).where(StaffUser.id == user.id).execute()
            write_audit(moment, actor, "login_locked", name, until=until.isoformat())
            message = LOCKED.format(until=until)
        else:
            write_audit(moment, actor, "login_failed", name, attempt=failed)
            message = WRONG_PIN.format(left=MAX_FAILED_ATTEMPTS - failed)
    raise LoginError(message)


def check_session(session: StaffSession) -> None:
    user = StaffUser.get_or_none(StaffUser.name == session.name)
    if user is None or user.disabled:
        raise SessionError(f"账号 {session.name} 已停用，会话已结束，请重新登录")


def cli_actor() -> str:
    """Who runs a command on the box, as the audit log names them."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid
        return f"cli:uid{os.getuid()}"


def record_read(
    settings: Settings,
    actor: str,
    action: str,
    target: str,
    *,
    now: datetime | None = None,
    **detail: object,
) -> None:
    """Someone read personal data (a ticket through the CLI): one audit row."""
    with write_transaction():
        write_audit(station_now(settings, now), actor, action, target, **detail)


def record_lock(
    settings: Settings, session: StaffSession, reason: str, now: datetime | None = None
) -> None:
    """The terminal locked itself (idle) or the person locked/logged out."""
    with write_transaction():
        write_audit(station_now(settings, now), session.actor, reason, session.name)
