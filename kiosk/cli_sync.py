"""``kiosk sync`` (the daemon, or ``--once``) and ``kiosk demo load``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

from kiosk.config import Settings

log = logging.getLogger("kiosk.sync")


def register(commands: Any) -> None:
    sync = commands.add_parser(
        "sync",
        help="push tickets to the central and pull its changes",
        description="Run the sync daemon (for systemd), or one round with --once.",
    )
    sync.add_argument(
        "--once",
        action="store_true",
        help="push and pull until nothing is pending, then exit (0 = all synced)",
    )
    sync.add_argument(
        "--deadline",
        type=float,
        default=None,
        metavar="SECONDS",
        help="--once: give up after this many seconds (default: no limit)",
    )
    sync.set_defaults(handler=command_sync)

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


def command_sync(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.sync.engine import SyncEngine

    where = settings.source or "the built-in defaults"
    if not settings.central.url:
        print(
            f"kiosk sync: no central endpoint configured ([central] url in {where})",
            file=sys.stderr,
        )
        return 2
    if not settings.central.api_key:
        print(
            f"kiosk sync: no API key configured ([central] api_key in {where})",
            file=sys.stderr,
        )
        return 2
    engine = SyncEngine(settings)
    try:
        if args.once:
            return _sync_once(engine, args.deadline)
        return _sync_daemon(engine)
    finally:
        engine.close()


def _sync_once(engine: Any, deadline: float | None) -> int:
    result = engine.run_once(deadline, respect_schedule=False, wait_for_lock=True)
    if result.error:
        print(
            f"kiosk sync: {result.error} ({result.pending} events pending)",
            file=sys.stderr,
        )
        return 1
    if not result.complete or result.pending:
        print(
            f"kiosk sync: stopped with {result.pending} events pending "
            f"({'deadline reached' if not result.complete else 'see the outbox'})",
            file=sys.stderr,
        )
        return 1
    print(f"sync: {result.summary()}")
    return 0


def _sync_daemon(engine: Any) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("sync daemon: signal %d, stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    engine.run_forever(stop)
    return 0


def command_demo_load(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk.demo import DemoLoadError, load_demo

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
        print(f"kiosk demo load: {error}", file=sys.stderr)
        return 1
    print(
        f"loaded {report.tickets} tickets and {report.events} events in "
        f"{report.seconds:.1f} s ({report.tickets_per_second:,.0f} tickets/s)"
        + (f"; {report.events} events pending" if args.pending else "")
    )
    return 0
