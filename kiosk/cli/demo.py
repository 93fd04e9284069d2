"""``kiosk demo load``: realistic demo tickets for the station database."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk.cli.errors import CommandError
from kiosk.config import Settings
from kiosk.demo import DemoLoadError, load_demo


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="demo data for the station database")
    demo_commands = demo.add_subparsers(dest="demo_command", metavar="COMMAND")
    demo_commands.required = True
    load = demo_commands.add_parser(
        "load", help="fill the database with realistic demo tickets"
    )
    load.add_argument(
        "--tickets", type=_positive, default=200, help="how many (default 200)"
    )
    load.add_argument(
        "--pending",
        action="store_true",
        help="leave their events in the outbox, unsent (a sync backlog)",
    )
    load.add_argument(
        "--days", type=_positive, default=180, help="spread over this many past days"
    )
    load.add_argument("--seed", type=int, default=None, help="random seed")
    load.set_defaults(handler=command_demo_load)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def command_demo_load(args: argparse.Namespace, settings: Settings) -> int:
    try:
        report = load_demo(
            settings,
            args.tickets,
            pending=args.pending,
            days=args.days,
            seed=args.seed,
            progress=sys.stderr,
        )
    except DemoLoadError as error:
        raise CommandError(f"demo load: {error}") from error
    print(
        f"loaded {report.tickets} tickets and {report.events} events in "
        f"{report.seconds:.1f} s ({report.tickets_per_second:,.0f} tickets/s)"
        + (f"; {report.events} events pending" if args.pending else "")
    )
    return 0
