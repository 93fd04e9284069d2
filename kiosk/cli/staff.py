"""``kiosk staff`` (the front-desk terminal) and ``kiosk users ...`` (accounts)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from kiosk.accounts import (
    ROLES,
    StaffError,
    add_user,
    authorize_admin,
    disable_user,
    enable_user,
    list_users,
    reset_pin,
)
from kiosk.cli.errors import CommandError
from kiosk.config import Settings

HEAD_HELP = (
    "the head (站长) who authorizes this change; asks for their PIN "
    "(with --pin-stdin: the head's PIN is the first line). Not needed when "
    "run as root, the box's administrator"
)


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
    add.add_argument("--head", default="", metavar="NAME", help=HEAD_HELP)
    add.set_defaults(handler=command_users_add)
    disable = user_commands.add_parser("disable", help="disable an account")
    disable.add_argument("name")
    disable.add_argument("--head", default="", metavar="NAME", help=HEAD_HELP)
    disable.add_argument("--pin-stdin", action="store_true", help="head's PIN on stdin")
    disable.set_defaults(handler=command_users_disable)
    enable = user_commands.add_parser("enable", help="enable a disabled account")
    enable.add_argument("name")
    enable.add_argument("--head", default="", metavar="NAME", help=HEAD_HELP)
    enable.add_argument("--pin-stdin", action="store_true", help="head's PIN on stdin")
    enable.set_defaults(handler=command_users_enable)
    reset = user_commands.add_parser(
        "reset-pin", help="set a new PIN (asks for it) and clear a lockout"
    )
    reset.add_argument("name")
    reset.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from stdin"
    )
    reset.add_argument("--head", default="", metavar="NAME", help=HEAD_HELP)
    reset.set_defaults(handler=command_users_reset_pin)
    listing = user_commands.add_parser("list", help="list accounts")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=command_users_list)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def command_staff(args: argparse.Namespace, settings: Settings) -> int:
    # Textual and the staff screens load only for the staff terminal.
    from screens.staff.app import StaffApp

    return run_staff_app(StaffApp(settings))


def run_staff_app(app: Any, *, headless: bool = False) -> int:
    """Run the staff terminal; its exit code (non-zero after a crash)."""
    app.run(headless=headless)
    return_code = app.return_code
    return 1 if return_code is None else int(return_code)


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("PIN (6-12 digits): ")
    second = getpass.getpass("PIN again: ")
    if first != second:
        raise StaffError("两次输入的 PIN 不一致")
    return first


def _admin(
    args: argparse.Namespace, settings: Settings, *, first_account: bool = False
) -> str:
    """The actor of an account change: a head with their PIN, or root."""
    head_pin = ""
    if args.head:
        if args.pin_stdin:
            head_pin = sys.stdin.readline().strip()
        else:
            head_pin = getpass.getpass(f"PIN of head {args.head}: ")
    return authorize_admin(
        settings,
        box_admin=os.geteuid() == 0,
        head=args.head,
        head_pin=head_pin,
        first_account=first_account,
    )


def _run(action: Any) -> int:
    try:
        action()
    except StaffError as error:
        raise CommandError(str(error)) from error
    return 0


def command_users_add(args: argparse.Namespace, settings: Settings) -> int:
    def act() -> None:
        actor = _admin(args, settings, first_account=True)
        add_user(settings, args.name, args.role, _read_pin(args.pin_stdin), actor=actor)
        print(f"added {args.name} ({args.role})")

    return _run(act)


def command_users_disable(args: argparse.Namespace, settings: Settings) -> int:
    def act() -> None:
        disable_user(settings, args.name, actor=_admin(args, settings))
        print(f"disabled {args.name}")

    return _run(act)


def command_users_enable(args: argparse.Namespace, settings: Settings) -> int:
    def act() -> None:
        enable_user(settings, args.name, actor=_admin(args, settings))
        print(f"enabled {args.name}")

    return _run(act)


def command_users_reset_pin(args: argparse.Namespace, settings: Settings) -> int:
    def act() -> None:
        actor = _admin(args, settings)
        reset_pin(settings, args.name, _read_pin(args.pin_stdin), actor=actor)
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
