"""``kiosk report month|units|hotspots``: the station's numbers for scripts
and for passing on (docs/reports.md)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.catalog import load_catalog
from kiosk.cli.errors import CommandError
from kiosk.config import Settings
from kiosk.plan import plan_page
from kiosk.report_files import write_month_xlsx
from kiosk.report_page import PageError, write_month_page
from kiosk.report_sums import station_month
from kiosk.reports import month_of, month_period, parse_time

RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
RATE_NAMES = {
    "response_rate": "响应率",
    "resolution_rate": "解决率",
    "satisfaction_rate": "满意率",
}


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="the station's numbers (三率)")
    report_commands = report.add_subparsers(dest="report_command", metavar="REPORT")
    report.set_defaults(handler=lambda args, settings: _usage(report))
    for name, text, handler in (
        ("month", "the month's counts and 三率", command_month),
        ("units", "each unit's dispatches, check-ins and results", command_units),
        ("hotspots", "the same matter at the same place, again", command_hotspots),
    ):
        parser = report_commands.add_parser(name, help=text)
        parser.add_argument(
            "month",
            nargs="?" if name != "month" else None,
            help="YYYY-MM, in the station's time zone"
            + ("" if name == "month" else " (default: this month)"),
        )
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="one JSON document")
        output.add_argument(
            "--csv", metavar="FILE", help="write a CSV file ('-': stdout)"
        )
        if name == "month":
            output.add_argument(
                "--xlsx",
                metavar="FILE",
                help="write the month's report and plan as an XLSX workbook",
            )
            output.add_argument(
                "--page",
                metavar="FILE",
                help="write the month's report and plan as one page to print "
                "(FILE.png or FILE.pdf), with its charts",
            )
        parser.add_argument(
            "--as-of",
            metavar="TIME",
            help="count events up to this ISO time (default: now)",
        )
        parser.set_defaults(handler=handler)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def as_of_time(args: argparse.Namespace, settings: Settings) -> datetime:
    """``--as-of`` as a time, or now in the station's zone (report, meeting)."""
    if not args.as_of:
        return datetime.now(settings.zone)
    try:
        return parse_time(args.as_of)
    except ValueError:
        raise CommandError(
            f"--as-of {args.as_of!r}: give an ISO time with its offset, "
            "e.g. 2026-12-01T00:00:00+08:00",
            exit_code=2,
        ) from None


def _report(
    args: argparse.Namespace, settings: Settings, *, all_tickets: bool = False
) -> dict[str, Any]:
    as_of = as_of_time(args, settings)
    month = args.month or month_of(as_of, settings.zone)
    try:
        month_period(month, settings.zone)
    except ValueError:
        raise CommandError(
            f"{month!r} is not a month; give it as YYYY-MM, e.g. 2026-11",
            exit_code=2,
        ) from None
    return station_month(
        settings, load_catalog(), month, as_of, all_tickets=all_tickets
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _write_csv(target: str, header: list[str], rows: list[list[Any]]) -> None:
    """CSV in UTF-8 with a BOM, so that spreadsheet programs read the Chinese."""
    if target == "-":
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    try:
        with Path(target).open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
    except OSError as error:
        raise CommandError(f"cannot write {target}: {error.strerror}") from None


def _emit(args: argparse.Namespace, document: Any) -> None:
    print(json.dumps(document, ensure_ascii=False))


def command_month(args: argparse.Namespace, settings: Settings) -> int:
    report = _report(args, settings)
    if args.json:
        _emit(args, report)
        return 0
    counts = report["counts"]
    if args.xlsx:
        plan = plan_page(report["period"]["label"], settings.zone)
        try:
            write_month_xlsx(report, plan, load_catalog(), Path(args.xlsx))
        except OSError as error:
            raise CommandError(f"cannot write {args.xlsx}: {error.strerror}") from None
        print(f"wrote {args.xlsx}")
        return 0
    if args.page:
        plan = plan_page(report["period"]["label"], settings.zone)
        try:
            write_month_page(report, plan, load_catalog(), settings.station.name,
                             Path(args.page), settings.printer.font)  # fmt: skip
        except PageError as error:
            raise CommandError(str(error)) from None
        print(f"wrote {args.page}")
        return 0
    if args.csv:
        rows: list[list[Any]] = [[name, report[name]] for name in ("tickets", *RATES)]
        rows.append(["composite_score", report["composite_score"]])
        rows += [[name, value] for name, value in counts.items()]
        rows += [
            [f"category:{code}", value] for code, value in report["by_category"].items()
        ]
        rows += [[f"unit:{code}", value] for code, value in report["by_unit"].items()]
        _write_csv(args.csv, ["figure", "value"], rows)
        return 0
    previous = report["previous"]
    print(f"{report['station']} {report['period']['label']}: {report['tickets']} 件")
    bases = {
        "response_rate": (counts["responded_in_time"], counts["response_base"]),
        "resolution_rate": (counts["solved"], counts["called_back"]),
        "satisfaction_rate": (
            counts["satisfied"] + counts["basically_satisfied"],
            counts["called_back"],
        ),
    }
    for name in RATES:
        part, whole = bases[name]
        print(
            f"{RATE_NAMES[name]}\t{_percent(report[name])}\t({part}/{whole})"
            f"\t上月 {_percent(previous[name])}"
        )
    score = report["composite_score"]
    print(f"综合得分\t{'—' if score is None else f'{score:.2f}'}")
    print(
        f"无法回访 {counts['unreachable']}  重复撤销 {counts['duplicates']}  "
        f"在办 {counts['open']}  超期 {counts['overdue']}  "
        f"不满意重办 {counts['reopenings']}"
    )
    return 0


UNIT_COLUMNS = (
    "dispatched",
    "checked_in",
    "checked_in_in_time",
    "check_in_rate",
    "resolved",
    "reopened",
)


def command_units(args: argparse.Namespace, settings: Settings) -> int:
    report = _report(args, settings)
    units = report["units"]
    if args.json:
        _emit(args, {"station": report["station"], "period": report["period"],
                     "units": units})  # fmt: skip
        return 0
    catalog = load_catalog()
    rows = []
    for code, entry in units.items():
        ratings = entry["ratings"]
        rows.append(
            [
                code,
                catalog.units[code].name if code in catalog.units else code,
                *(entry[column] for column in UNIT_COLUMNS),
                ratings["satisfied"],
                ratings["basically_satisfied"],
                ratings["dissatisfied"],
            ]
        )
    header = [
        "unit",
        "name",
        *UNIT_COLUMNS,
        "rated_satisfied",
        "rated_basically_satisfied",
        "rated_dissatisfied",
    ]
    if args.csv:
        _write_csv(args.csv, header, rows)
        return 0
    print("单位\t派单\t报到\t按时报到\t办结\t不满意重办\t评价(满意/基本/不满意)")
    for row in rows:
        print(
            f"{row[1]}\t{row[2]}\t{row[3]}\t{row[4]}\t{row[6]}\t{row[7]}"
            f"\t{row[8]}/{row[9]}/{row[10]}"
        )
    return 0


def command_hotspots(args: argparse.Namespace, settings: Settings) -> int:
    # Every ticket of each hot spot (the month's report lists the latest).
    report = _report(args, settings, all_tickets=True)
    if args.json:
        _emit(
            args,
            {
                "station": report["station"],
                "period": report["period"],
                "hotspots": report["hotspots"],
                "recurring": report["recurring"],
            },
        )
        return 0
    catalog = load_catalog()

    def category_name(code: str) -> str:
        try:
            return catalog.category(code).name
        except KeyError:
            return code

    rows = [
        [
            "hotspot",
            spot["category"],
            spot["place_kind"],
            spot["place"],
            spot["count"],
            " ".join(spot["months"]),
            " ".join(spot["tickets"]),
        ]
        for spot in report["hotspots"]
    ] + [
        [
            "recurring",
            spot["category"],
            spot["place_kind"],
            spot["place"],
            spot["count"],
            " ".join(spot["months"]),
            " ".join(spot["tickets"]),
        ]
        for spot in report["recurring"]
    ]
    if args.csv:
        header = ["kind", "category", "place_kind", "place", "count", "months"]
        _write_csv(args.csv, [*header, "tickets"], rows)
        return 0
    if not rows:
        rules = settings.reports
        print(
            f"没有热点（{rules.hotspot_days} 天内同一地点同类诉求"
            f"不足 {rules.hotspot_count} 件）"
        )
    for kind, category, _, place, count, months, _ in rows:
        label = "热点" if kind == "hotspot" else f"反复出现 {months}"
        print(f"{label}\t{category_name(category)}\t{place}\t{count} 件")
    return 0
