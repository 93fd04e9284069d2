"""``kiosk import FILE.xlsx|FILE.csv``: a station's existing ledger (台账) of
past requests."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from db import KeyValue, write_transaction
from kiosk.cli.errors import CommandError
from kiosk.config import Settings
from kiosk.ledger import (
    FIELDS,
    MAPPING_KEY,
    XLSX_SUFFIXES,
    LedgerError,
    import_rows,
    read_ledger,
)


def register(commands: Any) -> None:
    ledger = commands.add_parser(
        "import",
        help="bring in a ledger (台账) of past requests from an XLSX or CSV file",
        description="Map the ledger's columns (by their usual names, --map, or "
        "the mapping saved by the last import), check every row, and import "
        "the good ones; bad rows are listed with their line numbers. Imported "
        "tickets are not sent to the central unless --send.",
    )
    ledger.add_argument("file", metavar="FILE.xlsx|FILE.csv")
    ledger.add_argument(
        "--sheet",
        metavar="NAME",
        help="the workbook's sheet that holds the ledger (default: the first "
        "sheet with the ledger's columns)",
    )
    ledger.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help=f"map a column to a field ({', '.join(FIELDS)}); repeatable",
    )
    ledger.add_argument(
        "--dry-run", action="store_true", help="preview: check and show, import nothing"
    )
    ledger.add_argument(
        "--send", action="store_true", help="send the imported tickets to the central"
    )
    ledger.add_argument("--json", action="store_true", help="print one JSON object")
    ledger.set_defaults(handler=command_import)


def _explicit(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, _, name = pair.rpartition("=")
        if not column or not name:
            raise CommandError(f"--map {pair!r}: write it as COLUMN=FIELD", 2)
        mapping[name.strip()] = column.strip()
    return mapping


def command_import(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.file).expanduser()
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise CommandError(
            f"import: {path.name}: an old Excel .xls file; save it as .xlsx "
            "(or CSV) first"
        )
    if suffix not in (".csv", ".txt", *XLSX_SUFFIXES):
        raise CommandError(
            f"import: {path.name}: only CSV and Excel .xlsx files are read; save "
            "the sheet as one of them first"
        )
    saved_row = KeyValue.get_or_none(KeyValue.key == MAPPING_KEY)
    saved = json.loads(saved_row.value) if saved_row else {}
    try:
        ledger = read_ledger(
            settings, path, _explicit(args.map), saved=saved, sheet=args.sheet
        )
    except LedgerError as error:
        raise CommandError(f"import: {error}") from error
    imported = skipped = 0
    if not args.dry_run and ledger.rows:
        imported, skipped = import_rows(
            settings, ledger.rows, source=path.name, send=args.send
        )
    if not args.dry_run:
        with write_transaction():
            KeyValue.insert(
                key=MAPPING_KEY, value=json.dumps(ledger.mapping, ensure_ascii=False)
            ).on_conflict_replace().execute()
    report = {
        "file": str(path),
        "mapping": ledger.mapping,
        "good_rows": len(ledger.rows),
        "blank_rows": ledger.blank,
        "refused": [{"line": line, "why": why} for line, why in ledger.refused],
        "imported": imported,
        "already_imported": skipped,
        "dry_run": args.dry_run,
        "sent_to_central": bool(args.send and not args.dry_run),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        # A workbook's refusals name the sheet's row numbers, as Excel shows them.
        _print(report, ledger.rows[:3], "row" if suffix in XLSX_SUFFIXES else "line")
    return 1 if ledger.refused else 0


def _print(report: dict[str, Any], preview: list[Any], word: str) -> None:
    print("columns:")
    for name, column in report["mapping"].items():
        print(f"  {column} -> {name}")
    for row in preview:
        print(
            f"  {word} {row.line}: {row.created_at:%Y-%m-%d} {row.category.name} "
            f"{row.status} {row.values.get('description', '')[:30]}"
        )
    for refused in report["refused"]:
        print(f"{word} {refused['line']}: refused: {refused['why']}")
    verb = "would import" if report["dry_run"] else "imported"
    count = report["good_rows"] if report["dry_run"] else report["imported"]
    print(
        f"{verb} {count} tickets; {len(report['refused'])} rows refused, "
        f"{report['blank_rows']} blank, {report['already_imported']} already there"
    )
