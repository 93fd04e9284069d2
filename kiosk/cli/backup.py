"""``kiosk backup [DIR]``: a checked copy of the station database, rotated;
``kiosk restore FILE``: a checked backup put back."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from db import (
    DatabaseUnavailable,
    Ticket,
    database,
    open_database,
    write_transaction,
)
from kiosk.accounts import write_audit
from kiosk.backup import (
    BackupError,
    backup_folder,
    backups_in,
    make_backup,
    second_folder,
)
from kiosk.cli.errors import CommandError
from kiosk.config import Settings
from kiosk.disk import DiskStatus, disk_status, rate_window_start
from kiosk.restore import restore_backup


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
    register_restore(commands)


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
    if result.sent_to:
        print(f"sent to {result.sent_to}")
    for path in result.removed:
        print(f"removed old backup {path}")
    return 0


def register_restore(commands: Any) -> None:
    restore = commands.add_parser(
        "restore",
        help="put a backup back in place of the station database",
        description="Check a backup (integrity, schema, station) and put it in "
        "place of the station database, which is kept beside it as "
        "<name>.replaced-<time>. Stop the kiosk, the staff terminals and sync "
        "first.",
    )
    restore.add_argument("file", metavar="FILE", help="the backup to put back")
    restore.add_argument(
        "--force",
        action="store_true",
        help="restore even if events not yet sent to the central would be lost",
    )
    restore.add_argument("--json", action="store_true", help="print one JSON object")
    restore.set_defaults(handler=command_restore)


def command_restore(args: argparse.Namespace, settings: Settings) -> int:
    # The restore needs the database closed; it reopens it (and migrates an
    # older backup's schema) when the file is in place.
    database.close()
    try:
        result = restore_backup(
            settings, Path(args.file).expanduser(), force=args.force
        )
    except BackupError as error:
        raise CommandError(f"restore: {error}") from error
    try:
        open_database(settings.database_path)
        with write_transaction():
            write_audit(
                datetime.now(settings.zone),
                "cli",
                "restore",
                result.check.path.name,
                tickets=result.check.tickets,
                events_to_send=result.check.pending_events,
                replaced=str(result.replaced) if result.replaced else None,
            )
    except DatabaseUnavailable as error:
        raise CommandError(f"restore: the restored database: {error}") from error
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
        return 0
    print(
        f"restored {result.check.path} ({result.check.tickets} tickets); "
        f"{result.check.pending_events} events will be sent to the central "
        "(it keeps each once)"
    )
    if result.replaced:
        print(f"the database it replaced is kept at {result.replaced}")
    if result.replaced_unreadable:
        print(
            "the replaced database could not be read "
            f"({result.replaced_unreadable}): check the ticket numbers of today"
        )
    return 0


def disk_report(settings: Settings, now: datetime | None = None) -> DiskStatus:
    """The disk of the station database, for ``kiosk doctor``."""
    moment = (now or datetime.now(settings.zone)).astimezone(settings.zone)
    since = rate_window_start(moment).isoformat()
    first = Ticket.select(Ticket.created_at).order_by(Ticket.created_at).first()
    folders = [backup_folder(settings), second_folder(settings)]
    backups = [
        path
        for folder in folders
        if folder is not None
        for _, path in backups_in(folder, settings.station.code)
    ]
    return disk_status(
        settings,
        tickets=Ticket.select().count(),
        tickets_since=Ticket.select().where(Ticket.created_at >= since).count(),
        first_ticket_at=datetime.fromisoformat(first.created_at) if first else None,
        backups=backups,
        now=moment,
    )
