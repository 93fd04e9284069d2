"""``kiosk backup [DIR]``: a checked copy of the station database, rotated."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from kiosk.backup import BackupError, make_backup
from kiosk.cli.errors import CommandError
from kiosk.config import Settings


def register(commands: Any) -> None:
    backup = commands.add_parser(
        "backup",
        help="copy the station database, check the copy, rotate old copies",
        description="Copy the station database while the kiosk keeps working, "
        "check the copy and keep the [backup] rotation.",
    )
    backup.add_argument(
        "folder",
        nargs="?",
        metavar="DIR",
        help="where to write it (default: [backup] folder, else backups/ "
        "beside the database)",
    )
    backup.add_argument("--json", action="store_true", help="print one JSON object")
    backup.set_defaults(handler=command_backup)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def command_backup(args: argparse.Namespace, settings: Settings) -> int:
    folder = Path(args.folder).expanduser().resolve() if args.folder else None
    try:
        result = make_backup(settings, folder)
    except BackupError as error:
        raise CommandError(f"backup: {error}") from error
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return 0
    check = result.check
    print(
        f"backup: {check.path} ({_megabytes(check.size_bytes)}, {check.tickets} "
        f"tickets, {check.events} events, integrity ok) in {result.seconds:.1f} s"
    )
    if result.copied_to:
        print(f"copied to {result.copied_to}")
    for path in result.removed:
        print(f"removed old backup {path}")
    return 0
