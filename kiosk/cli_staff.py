"""``kiosk staff``, ``kiosk users ...`` and ``kiosk tickets ...``."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from datetime import datetime
from typing import Any

from kiosk.catalog import load_catalog
from kiosk.config import Settings
from kiosk.search import (
    SORT_COLUMNS,
    TABS,
    BoardQuery,
    board_page,
    ticket_detail,
    time_left,
)
from kiosk.staff import ROLES, StaffError, add_user, disable_user, list_users, reset_pin
from kiosk.states import RATING_NAMES, STATUS_NAMES
from kiosk.tickets import mask_mobile

CLI_ACTOR = "cli"


def register(commands: Any) -> None:
    staff = commands.add_parser("staff", help="start the front-desk staff terminal")
    staff.set_defaults(handler=command_staff)

    users = commands.add_parser("users", help="staff accounts")
    user_commands = users.add_subparsers(dest="users_command", metavar="ACTION")
    users.set_defaults(handler=lambda args, settings: _usage(users))
    add = user_commands.add_parser("add", help="add a staff account (asks for a PIN)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="staff")
    add.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from stdin (scripts)"
    )
    add.set_defaults(handler=command_users_add)
    disable = user_commands.add_parser("disable", help="disable an account")
    disable.add_argument("name")
    disable.set_defaults(handler=command_users_disable)
    reset = user_commands.add_parser(
        "reset-pin", help="set a new PIN (asks for it) and clear a lockout"
    )
    reset.add_argument("name")
    reset.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from stdin"
    )
    reset.set_defaults(handler=command_users_reset_pin)
    listing = user_commands.add_parser("list", help="list accounts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=command_users_list)

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
    from kiosk.cli_print import register_ticket_print

    register_ticket_print(ticket_commands)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _board_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state", choices=[tab_id for tab_id, _, _ in TABS], default="all"
    )
    parser.add_argument("--category", default="")
    parser.add_argument("--unit", default="")
    parser.add_argument("--overdue", action="store_true")
    parser.add_argument("--sort", choices=sorted(SORT_COLUMNS), default="created")
    parser.add_argument("--ascending", action="store_true")
    parser.add_argument("--page", type=int, default=0)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--json", action="store_true", help="one JSON object")


def command_staff(args: argparse.Namespace, settings: Settings) -> int:
    from screens.staff.app import StaffApp

    StaffApp(settings).run()
    return 0


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("PIN (6-12 digits): ")
    second = getpass.getpass("PIN again: ")
    if first != second:
        raise StaffError("两次输入的 PIN 不一致")
    return first


def _run(action: Any) -> int:
    try:
        action()
    except StaffError as error:
        print(f"kiosk: {error}", file=sys.stderr)
        return 1
    return 0


def command_users_add(args: argparse.Namespace, settings: Settings) -> int:
    def act() -> None:
        add_user(
            settings, args.name, args.role, _read_pin(args.pin_stdin), actor=CLI_ACTOR
        )
        print(f"added {args.name} ({args.role})")

    return _run(act)


def command_users_disable(args: argparse.Namespace, settings: Settings) -> int:
    def act() -> None:
        disable_user(settings, args.name, actor=CLI_ACTOR)
        print(f"disabled {args.name}")

    return _run(act)


def command_users_reset_pin(args: argparse.Namespace, settings: Settings) -> int:
    def act() -> None:
        reset_pin(settings, args.name, _read_pin(args.pin_stdin), actor=CLI_ACTOR)
        print(f"new PIN set for {args.name}")

    return _run(act)


def command_users_list(args: argparse.Namespace, settings: Settings) -> int:
    users = list_users()
    if args.json:
        print(json.dumps(users, ensure_ascii=False))
    else:
        for user in users:
            state = "disabled" if user["disabled"] else "active"
            print(f"{user['name']}\t{user['role']}\t{state}")
    return 0


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
        print(
            json.dumps(
                {"tickets": rows, "has_more": page.has_more, "matches": page.matches},
                ensure_ascii=False,
            )
        )
        return 0
    for item in rows:
        category = _category_name(catalog, str(item["category"]))
        unit_entry = catalog.units.get(str(item["unit"]))
        unit = unit_entry.name if unit_entry else ""
        print(
            f"{item['queue_no']}\t{item['ticket_no']}\t{str(item['created_at'])[:16]}\t"
            f"{category}\t{item['building']}\t{STATUS_NAMES[str(item['status'])][0]}\t"
            f"{unit}\t{item['time_left']}"
        )
    if page.has_more:
        print(f"(more: --page {page.query.page + 1})")
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
        print("kiosk: the search text is empty", file=sys.stderr)
        return 2
    return _print_page(args, settings, args.text)


def command_tickets_show(args: argparse.Namespace, settings: Settings) -> int:
    detail = ticket_detail(args.ticket_no)
    if detail is None:
        print(f"kiosk: no ticket {args.ticket_no}", file=sys.stderr)
        return 1
    data = dataclasses.asdict(detail)
    # The full number is shown only in the staff terminal, audited.
    data["contact_mobile"] = (
        mask_mobile(detail.contact_mobile) if detail.contact_mobile else ""
    )
    data.pop("uuid")
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
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
        print(f"{key}: {value}")
    print("timeline:")
    for entry in detail.timeline:
        payload = dict(entry.payload)
        if entry.kind == "received":
            payload = {}
        if "rating" in payload:
            payload["rating"] = RATING_NAMES.get(str(payload["rating"]), ("?",))[0]
        extra = json.dumps(payload, ensure_ascii=False) if payload else ""
        print(f"  {entry.at}  {entry.kind}  {entry.actor}  {extra}")
    return 0
