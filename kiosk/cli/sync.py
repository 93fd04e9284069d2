"""``kiosk sync``: the daemon, or one round with ``--once``."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType
from typing import Any

from kiosk.cli.errors import CommandError
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


def command_sync(args: argparse.Namespace, settings: Settings) -> int:
    # requests loads for `kiosk sync` only, not for every other command
    from kiosk.sync.engine import SyncEngine

    where = settings.source or "the built-in defaults"
    if not settings.central.url:
        raise CommandError(
            f"sync: no central endpoint configured ([central] url in {where})",
            exit_code=2,
        )
    if not settings.central.api_key:
        raise CommandError(
            f"sync: no API key configured ([central] api_key in {where})",
            exit_code=2,
        )
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
        raise CommandError(f"sync: {result.error} ({result.pending} events pending)")
    if not result.complete or result.pending:
        raise CommandError(
            f"sync: stopped with {result.pending} events pending "
            f"({'deadline reached' if not result.complete else 'see the outbox'})"
        )
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
