"""``kiosk audit``: read the audit log, with filters, as text or JSON."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from kiosk.accounts import AuditFilter, read_audit
from kiosk.config import Settings
from kiosk.redaction import redact


def register(commands: Any) -> None:
    audit = commands.add_parser(
        "audit", help="read the audit log (who did what, when), newest first"
    )
    audit.add_argument("--user", default="", help="a staff name, or cli:NAME")
    audit.add_argument("--action", default="", help="login, dispatched, reveal_mobile…")
    audit.add_argument("--ticket", default="", help="a ticket number or account name")
    audit.add_argument("--since", type=_moment, default="", help="ISO time, from")
    audit.add_argument("--until", type=_moment, default="", help="ISO time, before")
    audit.add_argument("--limit", type=_limit, default=200)
    audit.add_argument("--json", action="store_true", help="one JSON array")
    audit.set_defaults(handler=command_audit)


def _moment(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO time (2026-11-25 or 2026-11-25T09:30+08:00): {text}"
        ) from None


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError(f"must be from 1 to 100000, not {text}")
    return value


def _stored(moment: datetime | None, settings: Settings) -> str:
    """As the log stores times: ISO, in the station's zone when none given."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.zone)
    return moment.astimezone(settings.zone).isoformat()


def command_audit(args: argparse.Namespace, settings: Settings) -> int:
    rows = read_audit(
        AuditFilter(
            user=args.user,
            action=args.action,
            ticket=args.ticket,
            since=_stored(args.since, settings),
            until=_stored(args.until, settings),
            limit=args.limit,
        )
    )
    if args.json:
        print(json.dumps(redact(rows), ensure_ascii=False))
        return 0
    for row in rows:
        detail = row["detail"]
        extra = json.dumps(detail, ensure_ascii=False) if detail else ""
        print(
            redact(
                f"{row['at']}\t{row['actor']}\t{row['action']}\t{row['target']}\t{extra}"
            )
        )
    return 0
