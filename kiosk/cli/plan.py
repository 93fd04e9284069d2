"""``kiosk plan list|add|set|link``: the monthly governance plan
(月度重点治理计划) for scripts and the head at a shell."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from kiosk.accounts import cli_actor
from kiosk.catalog import load_catalog
from kiosk.cli.errors import CommandError
from kiosk.config import Settings
from kiosk.plan import (
    PLAN_STATUS_NAMES,
    PLAN_STATUSES,
    PlanError,
    add_item,
    link,
    plan_page,
    update,
)
from kiosk.report_sums import station_month
from kiosk.reports import month_of


def register(commands: Any) -> None:
    plan = commands.add_parser("plan", help="the monthly governance plan (月度计划)")
    plan_commands = plan.add_subparsers(dest="plan_command", metavar="ACTION")
    plan.set_defaults(handler=lambda args, settings: _usage(plan))
    listing = plan_commands.add_parser(
        "list", help="the month's plan and what came of last month's"
    )
    listing.add_argument("month", nargs="?", help="YYYY-MM (default: this month)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=command_list)
    add = plan_commands.add_parser("add", help="a new plan item")
    add.add_argument("month", help="YYYY-MM")
    add.add_argument("title", nargs="?", default="", help="what is to be done")
    add.add_argument("--unit", help="the responsible unit's code")
    add.add_argument("--target", default="", help="target date, YYYY-MM-DD")
    add.add_argument("--ticket", action="append", default=[], help="a ticket number")
    add.add_argument(
        "--hotspot",
        type=int,
        metavar="N",
        help="from the month's Nth hot spot (kiosk report hotspots): its tickets, "
        "its category's unit and a title",
    )
    add.set_defaults(handler=command_add)
    change = plan_commands.add_parser("set", help="a plan item's status or result")
    change.add_argument("item", type=int)
    change.add_argument("--status", choices=PLAN_STATUSES)
    change.add_argument("--result", help="what came of it")
    change.set_defaults(handler=command_set)
    tie = plan_commands.add_parser("link", help="add tickets to a plan item")
    tie.add_argument("item", type=int)
    tie.add_argument("tickets", nargs="+", metavar="TICKET_NO")
    tie.set_defaults(handler=command_link)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _now(settings: Settings) -> datetime:
    return datetime.now(settings.zone)


def command_list(args: argparse.Namespace, settings: Settings) -> int:
    month = args.month or month_of(_now(settings), settings.zone)
    try:
        page = plan_page(month, settings.zone)
    except PlanError as error:
        raise CommandError(str(error), exit_code=2) from None
    if args.json:
        print(json.dumps(page, ensure_ascii=False))
        return 0
    catalog = load_catalog()
    sections = (
        (f"{month} 月度重点治理计划", "items"),
        (f"{page['previous_month']} 计划完成情况", "previous"),
    )
    for heading, key in sections:
        print(heading)
        if not page[key]:
            print("  （无）")
        for item in page[key]:
            unit = catalog.units.get(item["unit"])
            print(
                f"  #{item['id']} {item['title']} · "
                f"{unit.name if unit else item['unit']} · "
                f"目标 {item['target_date'] or '—'} · "
                f"{PLAN_STATUS_NAMES.get(item['status'], item['status'])} · "
                f"工单 {item['tickets_finished']}/{len(item['tickets'])} 办结"
                + (f" · 结果：{item['result']}" if item["result"] else "")
            )
    return 0


def command_add(args: argparse.Namespace, settings: Settings) -> int:
    catalog = load_catalog()
    title, unit, tickets, source = args.title, args.unit, list(args.ticket), ""
    if args.hotspot is not None:
        now = _now(settings)
        try:
            # The plan item links every ticket of the hot spot.
            report = station_month(settings, catalog, args.month, now, all_tickets=True)
        except ValueError:
            raise CommandError(
                f"{args.month!r} 不是月份（YYYY-MM）", exit_code=2
            ) from None
        spots = report["hotspots"]
        if not 1 <= args.hotspot <= len(spots):
            raise CommandError(
                f"{args.month} 没有第 {args.hotspot} 个热点（共 {len(spots)} 个）"
            )
        spot = spots[args.hotspot - 1]
        category = catalog.category(spot["category"])
        title = title or f"{spot['place']} {category.name}集中治理"
        unit = unit or category.unit
        tickets += spot["tickets"]
        source = f"hotspot:{spot['category']}:{spot['place_kind']}:{spot['place']}"
    if not unit:
        raise CommandError("请用 --unit 指定责任单位", exit_code=2)
    try:
        item_id = add_item(
            args.month,
            title,
            unit,
            catalog=catalog,
            zone=settings.zone,
            actor=cli_actor(),
            now=_now(settings),
            target_date=args.target,
            tickets=tickets,
            source=source,
        )
    except PlanError as error:
        raise CommandError(str(error)) from None
    print(f"计划事项 #{item_id} 已加入 {args.month}（{len(set(tickets))} 张工单）")
    return 0


def command_set(args: argparse.Namespace, settings: Settings) -> int:
    if args.status is None and args.result is None:
        raise CommandError("请给出 --status 或 --result", exit_code=2)
    try:
        update(args.item, now=_now(settings), status=args.status, result=args.result)
    except PlanError as error:
        raise CommandError(str(error)) from None
    print(f"计划事项 #{args.item} 已更新")
    return 0


def command_link(args: argparse.Namespace, settings: Settings) -> int:
    try:
        link(args.item, args.tickets, now=_now(settings))
    except PlanError as error:
        raise CommandError(str(error)) from None
    print(f"计划事项 #{args.item}：已关联 {len(args.tickets)} 张工单")
    return 0
