"""``kiosk init`` (write a commented config) and ``kiosk stats``."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from kiosk.cli.errors import CommandError
from kiosk.config import (
    DEMO_STATION,
    STATION_CODE,
    STATION_CODE_HINT,
    Settings,
    load_settings,
    render_config,
)
from kiosk.tickets import last_sync_ok, pending_event_count, ticket_count


def register(commands: Any) -> None:
    init = commands.add_parser("init", help="write a commented config file")
    init.add_argument("path", nargs="?", default="kiosk.toml", help="where to write it")
    init.add_argument("--station", metavar="CODE", help="station code, e.g. PHY3")
    init.add_argument("--name", help="station name")
    init.add_argument("--central", metavar="URL", help="central endpoint URL")
    init.add_argument("--api-key", metavar="KEY", help="this station's API key")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(handler=command_init, needs_settings=False)

    stats = commands.add_parser("stats", help="ticket and sync counts")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.set_defaults(handler=command_stats)


def command_stats(args: argparse.Namespace, settings: Settings) -> int:
    figures = {
        "station": settings.station.code,
        "tickets": ticket_count(),
        "pending_events": pending_event_count(),
        "last_sync_ok": last_sync_ok(),
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key}: {value if value is not None else '-'}")
    return 0


def command_init(args: argparse.Namespace, settings: None) -> int:
    path = Path(args.path).expanduser()
    code = args.station or DEMO_STATION.code
    if not STATION_CODE.match(code):
        raise CommandError(
            f"--station {code!r} is not allowed; use {STATION_CODE_HINT}",
            exit_code=2,
        )
    if path.exists() and not args.force:
        raise CommandError(f"{path} exists; use --force to overwrite it")
    text = render_config(
        path, code, args.name or "", args.central or "", args.api_key or ""
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created owner-only from the start: the file may hold the API key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o600)
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from error
    load_settings(path)  # what we wrote must load
    print(f"wrote {path}")
    return 0
