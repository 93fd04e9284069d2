"""``kiosk tickets list|search|show|print``: the board's data for scripts."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kiosk.accounts import cli_actor, record_read
from kiosk.catalog import load_catalog
from kiosk.cli.errors import CommandError
from kiosk.cli.printing import register_ticket_print
from kiosk.config import Settings
from kiosk.redaction import redact, redact_text
from kiosk.search import (
    SORT_COLUMNS,
    TABS,
    BoardQuery,
    board_page,
    ticket_detail,
    ticket_token,
    time_left,
)
from kiosk.states import RATING_NAMES, STATUS_NAMES


def register(commands: Any) -> None:
    tickets = commands.add_parser("tickets", help="read tickets (as the staff board)")
    ticket_commands = tickets.add_subparsers(dest="tickets_command", metavar="ACTION")
    tickets.set_defaults(handler=lambda args, settings: _usage(tickets))
    listing = ticket_commands.add_parser("list", help="tickets, newest first")
    _board_arguments(listing)
    listing.set_defaults(handler=command_tickets_list)
    show = ticket_commands.add_parser("show", help="one ticket with its timeline")
    show.add_argument("ticket_no")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=command_tickets_show)
    search = ticket_commands.add_parser(
        "search", help="search number, description, building and notes"
    )
    search.add_argument("text")
    _board_arguments(search)
    search.set_defaults(handler=command_tickets_search)
    register_ticket_print(ticket_commands)


def emit_json(document: object, secrets: tuple[str, ...] = ()) -> None:
    """Print one JSON document, without tokens or full mobile numbers."""
    print(json.dumps(redact(document, secrets), ensure_ascii=False))


def emit_line(text: str, secrets: tuple[str, ...] = ()) -> None:
    """Print one line of text, without tokens or full mobile numbers."""
    print(redact_text(text, secrets))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


MAX_PAGE = 1_000_000
MAX_LIMIT = 1000


def bounded(lowest: int, highest: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``lowest`` to ``highest``."""

    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text}") from None
        if not lowest <= value <= highest:
            raise argparse.ArgumentTypeError(
                f"must be from {lowest} to {highest}, not {text}"
            )
        return value

    return number


def _board_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", choices=[tab_id for tab_id, _, _ in TABS], default="all"
    )
    parser.add_argument("--category", default="")
    parser.add_argument("--unit", default="")
    parser.add_argument("--overdue", action="store_true")
    parser.add_argument("--sort", choices=sorted(SORT_COLUMNS), default="created")
    parser.add_argument("--ascending", action="store_true")
    parser.add_argument("--page", type=bounded(0, MAX_PAGE), default=0)
    parser.add_argument("--limit", type=bounded(1, MAX_LIMIT), default=50)
    parser.add_argument("--json", action="store_true", help="one JSON object")


def _query(args: argparse.Namespace, text: str = "") -> BoardQuery:
    return BoardQuery(
        tab=args.state,
        category=args.category,
        unit=args.unit,
        overdue=args.overdue,
        text=text,
        sort=args.sort,
        descending=not args.ascending,
        page=max(0, args.page),
        page_size=max(1, min(args.limit, 1000)),
    )


def _print_page(args: argparse.Namespace, settings: Settings, text: str = "") -> int:
    now = datetime.now(settings.zone)
    page = board_page(_query(args, text), now)
    catalog = load_catalog()
    rows = []
    for row in page.rows:
        left, overdue = time_left(row.due_at, row.status, now)
        rows.append({**dataclasses.asdict(row), "time_left": left, "overdue": overdue})
    if args.json:
        emit_json(
            {
                "tickets": rows,
                "has_more": page.has_more,
                "matches": page.matches,
                "matches_capped": page.matches_capped,
            }
        )
        return 0
    for item in rows:
        category = _category_name(catalog, str(item["category"]))
        unit_entry = catalog.units.get(str(item["unit"]))
        unit = unit_entry.name if unit_entry else ""
        emit_line(
            f"{item['queue_no']}\t{item['ticket_no']}\t{str(item['created_at'])[:16]}\t"
            f"{category}\t{item['building']}\t{STATUS_NAMES[str(item['status'])][0]}\t"
            f"{unit}\t{item['time_left']}"
        )
    if page.has_more:
        emit_line(f"(more: --page {page.query.page + 1})")
    return 0


def _category_name(catalog: Any, code: str) -> str:
    try:
        return str(catalog.category(code).name)
    except KeyError:
        return code


def command_tickets_list(args: argparse.Namespace, settings: Settings) -> int:
    return _print_page(args, settings)


def command_tickets_search(args: argparse.Namespace, settings: Settings) -> int:
    if not args.text.strip():
        raise CommandError("the search text is empty", exit_code=2)
    return _print_page(args, settings, args.text)


def command_tickets_show(args: argparse.Namespace, settings: Settings) -> int:
    detail = ticket_detail(args.ticket_no)
    if detail is None:
        raise CommandError(f"no ticket {args.ticket_no}")
    # Reading a ticket's personal data is audited, whoever runs the tool.
    record_read(settings, cli_actor(), "cli_show", detail.ticket_no)
    # The full number is shown only in the staff terminal, audited; the
    # token never (see kiosk.redaction).
    secrets = (detail.contact_mobile, ticket_token(detail.ticket_no))
    data = dataclasses.asdict(detail)
    data.pop("uuid")
    if args.json:
        emit_json(data, secrets)
        return 0
    for key in (
        "ticket_no",
        "queue_no",
        "status",
        "category",
        "item",
        "building",
        "description",
        "contact_name",
        "contact_mobile",
        "unit",
        "created_at",
        "due_at",
    ):
        value = data[key]
        if key == "status":
            value = f"{value} {STATUS_NAMES[str(value)][0]}"
        emit_line(f"{key}: {value}", secrets)
    print("timeline:")
    for entry in detail.timeline:
        payload = dict(entry.payload)
        if entry.kind == "received":
            payload = {}
        if "rating" in payload:
            payload["rating"] = RATING_NAMES.get(str(payload["rating"]), ("?",))[0]
        extra = json.dumps(payload, ensure_ascii=False) if payload else ""
        emit_line(f"  {entry.at}  {entry.kind}  {entry.actor}  {extra}", secrets)
    return 0
