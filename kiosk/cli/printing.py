"""``kiosk print-test`` and ``kiosk doctor``: is this station ready to serve?"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
from datetime import datetime
from pathlib import Path

from db import Ticket
from kiosk.accounts import check_audit_chain, cli_actor, record_read
from kiosk.cli.backup import disk_report
from kiosk.cli.errors import CommandError
from kiosk.clock import ClockCheck, check_clock, suspect_ticket_count
from kiosk.config import Settings
from kiosk.printing.backends import PrintError, default_target, send
from kiosk.printing.fonts import FontError, find_cjk_font
from kiosk.printing.printer import print_ticket
from kiosk.printing.ticket_image import render_ticket, sample_ticket
from kiosk.session_check import session_checks
from kiosk.voice import Voice

TARGET_HELP = "file:DIR, escpos:DEVICE, tcp://HOST:PORT or cups:QUEUE"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    test = commands.add_parser("print-test", help="print a sample ticket")
    test.add_argument("--to", metavar="TARGET", help=f"printer: {TARGET_HELP}")
    test.set_defaults(handler=command_print_test)

    doctor = commands.add_parser(
        "doctor", help="check fonts, printer, database, clock and the box's session"
    )
    doctor.add_argument(
        "--box",
        metavar="DIR",
        type=Path,
        help="check the session with DIR's foot.ini (default: /etc/station-kiosk "
        "on a box)",
    )
    doctor.set_defaults(handler=command_doctor)


def register_ticket_print(ticket_commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``kiosk tickets print TICKET_NO [--to TARGET]``: the staff's reprint."""
    reprint = ticket_commands.add_parser("print", help="print a ticket again")
    reprint.add_argument("ticket_no", metavar="TICKET_NO")
    reprint.add_argument("--to", metavar="TARGET", help=f"printer: {TARGET_HELP}")
    reprint.set_defaults(handler=command_reprint)


def chosen_target(settings: Settings, explicit: str | None) -> str:
    return explicit or settings.printer.target or default_target(settings)


def command_print_test(args: argparse.Namespace, settings: Settings) -> int:
    target = chosen_target(settings, args.to)
    try:
        font = find_cjk_font(settings.printer.font)
        image = render_ticket(sample_ticket(settings), settings.printer.width, font)
        where = send(settings, target, image, "print-test")
    except (FontError, PrintError) as error:
        raise CommandError(f"print-test failed: {error}") from error
    print(f"printed a sample ticket to {where}")
    return 0


def command_reprint(args: argparse.Namespace, settings: Settings) -> int:
    ticket_no, target = args.ticket_no, args.to
    if Ticket.get_or_none(Ticket.ticket_no == ticket_no) is None:
        raise CommandError(f"no ticket {ticket_no}")
    # A reprint puts the ticket's QR (its token) on paper: audited.
    record_read(settings, cli_actor(), "reprint", ticket_no, printer=target or "")
    outcome = print_ticket(settings, ticket_no, chosen_target(settings, target))
    if not outcome.ok:
        raise CommandError(f"{ticket_no} not printed: {outcome.detail}")
    print(f"printed {ticket_no} to {outcome.detail}")
    return 0


def _printer_problem(target: str, timeout: float) -> str | None:
    """Why the printer cannot work, as far as can be told without printing."""
    if target == "none":
        return None
    if target.startswith("file:"):
        folder = Path(target[5:]).expanduser()
        probe = folder if folder.exists() else folder.parent
        if not os.access(probe, os.W_OK):
            return f"cannot write to {folder}"
        return None
    if target.startswith("escpos:"):
        device = target[7:]
        if not os.path.exists(device):
            return f"no printer at {device}"
        if not os.access(device, os.W_OK):
            return f"no permission to write to {device}"
        return None
    if target.startswith("tcp://"):
        host, _, port = target[6:].rpartition(":")
        try:
            socket.create_connection((host, int(port)), timeout=timeout).close()
        except OSError as error:
            return f"cannot reach {host}:{port}: {error}"
        return None
    if target.startswith("cups:"):
        return None if shutil.which("lp") else "CUPS is not installed (no lp command)"
    return f"unknown printer {target!r}"


def clock_detail(clock: ClockCheck, suspect_tickets: int, central: bool) -> str:
    """The clock's line in ``kiosk doctor``: the problem, or the time and how
    far it is from the central's; and the tickets issued under a suspect
    clock."""
    detail = clock.problem() or f"{clock.now:%Y-%m-%d %H:%M %Z}"
    if clock.problem() is None:
        if clock.skew is None and not central:
            detail += ", no central to compare it with"
        elif clock.skew is None:
            detail += ", not yet compared with the central's clock"
        else:
            detail += f", {abs(clock.skew):.1f} s from the central's clock"
    if suspect_tickets:
        detail += (
            f"; {suspect_tickets} tickets were issued under a suspect clock"
            " (ticket.clock_suspect)"
        )
    return detail


def command_doctor(args: argparse.Namespace, settings: Settings) -> int:
    problems = 0

    def report(ok: bool, what: str, detail: str) -> None:
        nonlocal problems
        problems += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {detail}")

    report(True, "config", str(settings.source or "built-in demo station"))
    report(True, "database", str(settings.database_path))
    chain = check_audit_chain()
    if chain.broken_at is None:
        older = f" ({chain.unchained} rows older than it)" if chain.unchained else ""
        report(True, "audit log", f"{chain.rows} rows, hash chain intact{older}")
    else:
        report(
            False,
            "audit log",
            f"hash chain broken at row {chain.broken_at}: the file was edited",
        )
    try:
        font = find_cjk_font(settings.printer.font)
        report(True, "CJK font", f"{font.path} (index {font.index})")
    except FontError as error:
        report(False, "CJK font", str(error))
    target = chosen_target(settings, None)
    problem = _printer_problem(target, settings.printer.timeout)
    report(problem is None, "printer", problem or target)
    central = settings.central
    if central.url:
        report(
            bool(central.api_key),
            "central",
            central.url + ("" if central.api_key else " (no api_key set)"),
        )
    else:
        report(True, "central", "not configured: offline only")
    # The disk: use, days left, and whether new tickets are refused.
    disk = disk_report(settings)
    print(disk.doctor_line())
    problems += disk.level == "FAIL"
    try:
        clock = check_clock(settings, datetime.now(settings.zone))
        suspect_tickets = suspect_ticket_count()
    except Exception as error:  # an unreadable database is reported above
        report(False, "clock", f"not checked: {type(error).__name__}")
    else:
        detail = clock_detail(clock, suspect_tickets, bool(settings.central.url))
        report(clock.problem() is None, "clock", detail)
    # Without espeak-ng the TV shows the calls without saying them: not a fault.
    voice = Voice()
    report(True, "voice", voice.status())
    # On a box: the screen's font and size, the keyboards, the sound.
    for check in session_checks(settings, voice.available, args.box):
        print(check.line())
        problems += check.level == "FAIL"
    return 1 if problems else 0
