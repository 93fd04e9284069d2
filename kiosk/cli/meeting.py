"""``kiosk meeting agenda|record``: the work meeting's agenda to print, and
the 方案 agreed at it sent back to the tickets and the plan."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.accounts import StaffError, login
from kiosk.catalog import load_catalog
from kiosk.cli.errors import CommandError
from kiosk.cli.report import as_of_time
from kiosk.config import Settings
from kiosk.meeting import (
    MeetingError,
    agenda,
    read_sheet,
    record,
    write_csv,
    write_xlsx,
)
from kiosk.plan import PlanError
from kiosk.reports import month_of, month_period


def register(commands: Any) -> None:
    meeting = commands.add_parser("meeting", help="the work meeting (工作例会)")
    meeting_commands = meeting.add_subparsers(dest="meeting_command", metavar="ACTION")
    meeting.set_defaults(handler=lambda args, settings: _usage(meeting))
    listing = meeting_commands.add_parser(
        "agenda",
        help="open plan items, escalated and overdue tickets and hot spots, by unit",
    )
    listing.add_argument("month", nargs="?", help="YYYY-MM (default: this month)")
    output = listing.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON document")
    output.add_argument("--csv", metavar="FILE", help="write the agenda as CSV")
    output.add_argument("--xlsx", metavar="FILE", help="write it as an XLSX sheet")
    listing.add_argument(
        "--as-of", metavar="TIME", help="overdue as of this ISO time (default: now)"
    )
    listing.set_defaults(handler=command_agenda)
    back = meeting_commands.add_parser(
        "record",
        help="send the 方案 written in an agenda sheet back to tickets and plan",
    )
    back.add_argument("file", help="the agenda sheet (CSV or XLSX) as filled in")
    back.add_argument("month", nargs="?", help="YYYY-MM (default: this month)")
    back.add_argument("--staff", required=True, help="who records it (an account)")
    back.add_argument(
        "--pin-stdin", action="store_true", help="read the PIN from standard input"
    )
    back.set_defaults(handler=command_record)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _month(args: argparse.Namespace, settings: Settings, now: datetime) -> str:
    month = args.month or month_of(now, settings.zone)
    try:
        month_period(month, settings.zone)
    except ValueError:
        raise CommandError(
            f"{month!r} is not a month; give it as YYYY-MM, e.g. 2026-11",
            exit_code=2,
        ) from None
    return month


def command_agenda(args: argparse.Namespace, settings: Settings) -> int:
    now = as_of_time(args, settings)
    month = _month(args, settings, now)
    catalog = load_catalog()
    rows = agenda(settings, catalog, month, now)
    try:
        if args.csv:
            write_csv(rows, catalog, Path(args.csv))
        elif args.xlsx:
            write_xlsx(rows, catalog, month, Path(args.xlsx))
    except OSError as error:
        raise CommandError(f"cannot write {args.csv or args.xlsx}: {error}") from None
    if args.json:
        document = {"month": month, "items": [row.as_dict() for row in rows]}
        print(json.dumps(document, ensure_ascii=False, indent=2))
    elif not (args.csv or args.xlsx):
        print(f"{month} 工作例会议程（{len(rows)} 项）")
        unit = None
        for row in rows:
            cells = row.cells(catalog)
            if cells[0] != unit:
                unit = cells[0]
                print(f"\n【{unit}】")
            print(f"  {cells[1]} {cells[2]}  {cells[3]}  {cells[4]}")
    return 0


def command_record(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(settings.zone)
    month = _month(args, settings, now)
    if args.pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = getpass.getpass(f"PIN of {args.staff}: ")
    try:
        session = login(settings, args.staff, pin, now=now)
        lines = read_sheet(Path(args.file))
        done = record(settings, session, load_catalog(), month, lines, now=now)
    except (StaffError, MeetingError, PlanError) as error:
        raise CommandError(str(error)) from error
    print(
        f"方案已记录：工单备注 {done.notes} 条，计划事项 {done.plan_items} 项"
        f"（新建 {done.new_plan_items} 项），已记录过的 {done.skipped} 条未重复"
    )
    return 0
