"""``kiosk privacy purge``: erase contact details past [privacy] retention_days."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kiosk.cli.errors import CommandError
from kiosk.config import Settings
from kiosk.privacy import PurgeError, purge


def register(commands: Any) -> None:
    privacy = commands.add_parser("privacy", help="residents' personal data")
    privacy_commands = privacy.add_subparsers(dest="privacy_command", metavar="COMMAND")
    privacy_commands.required = True
    erase = privacy_commands.add_parser(
        "purge",
        help="erase contact names and mobiles of tickets ended past the limit",
        description="Erase the contact name and mobile number of every ticket "
        "that ended (closed or withdrawn) more than [privacy] retention_days "
        "ago, from the tickets, their events and the outbox, here and in the "
        "backups. The counts are kept in the audit log, never the data.",
    )
    erase.add_argument(
        "--dry-run", action="store_true", help="say what would be erased; erase nothing"
    )
    erase.add_argument("--json", action="store_true", help="print one JSON object")
    erase.set_defaults(handler=command_purge)


def command_purge(args: argparse.Namespace, settings: Settings) -> int:
    try:
        report = purge(settings, dry_run=args.dry_run)
    except PurgeError as error:
        raise CommandError(f"privacy purge: {error}") from error
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0 if not report.skipped else 1
    verb = "would erase" if args.dry_run else "erased"
    here, backups = report.database, report.backups
    print(
        f"privacy purge: tickets ended before {report.cutoff:%Y-%m-%d %H:%M} UTC "
        f"({settings.privacy.retention_days} days): {verb} the contact details of "
        f"{here.tickets} tickets and {here.events} events ({here.unsent_events} "
        f"still in the outbox), {here.texts} mobile numbers in texts; "
        f"{here.central_events} tickets to erase at the central too (sent by "
        f"sync); in "
        f"{report.backup_files} backups: {backups.tickets} tickets, "
        f"{backups.events} events, {backups.texts} texts"
    )
    for problem in report.skipped:
        print(f"kiosk: privacy purge: a backup could not be purged: {problem}")
    return 0 if not report.skipped else 1
