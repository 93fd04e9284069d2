"""The work meeting (面对面摆问题，一对一出方案): its agenda, and the 方案
agreed at it going back to the tickets and plan items (docs/reports.md).

The agenda is drawn from the open plan items (this month's and any earlier
month's still open), the escalated and the overdue tickets, and the month's
hot spots not yet in the plan; it is grouped by the responsible unit, with an
empty 方案 column to fill in at the meeting. Recorded afterwards, each agreed
方案 becomes a note on its tickets and a line of its plan item's result; a
hot spot's 方案 makes it a plan item of the month. Recording the same sheet
twice writes nothing twice.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from db import database
from kiosk import desk, plan
from kiosk.accounts import StaffSession
from kiosk.catalog import Catalog
from kiosk.config import Settings
from kiosk.errors import Refused
from kiosk.report_sums import station_month
from kiosk.reports import IN_HAND, parse_time
from kiosk.states import ESCALATED

KINDS = {"plan": "计划", "escalated": "上报街道", "overdue": "超期", "hotspot": "热点"}
KIND_OF_NAME = {name: kind for kind, name in KINDS.items()}
# The columns of the agenda as a sheet; 方案 is filled in at the meeting.
HEADERS = ("单位", "类型", "编号", "事项", "情况", "工单", "方案")
NOTE_PREFIX = "工作例会方案"


class MeetingError(Refused):
    """The agenda or a recorded sheet refused, with what to do."""


@dataclass(frozen=True)
class AgendaRow:
    unit: str  # the responsible unit's code
    kind: str  # plan / escalated / overdue / hotspot
    ref: str  # plan item id, ticket number or the hot spot's source key
    title: str
    detail: str
    tickets: tuple[str, ...]
    agreed: str = ""

    def cells(self, catalog: Catalog) -> list[str]:
        unit = catalog.units.get(self.unit)
        return [
            unit.name if unit else self.unit,
            KINDS[self.kind],
            self.ref,
            self.title,
            self.detail,
            " ".join(self.tickets),
            self.agreed,
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "kind": self.kind,
            "ref": self.ref,
            "title": self.title,
            "detail": self.detail,
            "tickets": list(self.tickets),
            "agreed": self.agreed,
        }


def _category_name(catalog: Catalog, code: str) -> str:
    try:
        return catalog.category(code).name
    except KeyError:
        return code


def _unit_of(catalog: Catalog, category: str) -> str:
    try:
        return catalog.category(category).unit
    except KeyError:
        return "station"


def hotspot_source(spot: dict[str, Any]) -> str:
    """How a plan item names the hot spot it came from."""
    return f"hotspot:{spot['category']}:{spot['place_kind']}:{spot['place']}"


def agenda(
    settings: Settings, catalog: Catalog, month: str, as_of: datetime
) -> list[AgendaRow]:
    """The meeting's agenda for ``month`` as things stand at ``as_of``,
    grouped by unit in the catalog's order."""
    # Each hot spot's row carries every one of its tickets.
    report = station_month(settings, catalog, month, as_of, all_tickets=True)
    rows: list[AgendaRow] = []
    planned_sources = set()
    for (
        item_id,
        item_month,
        title,
        unit,
        target,
        status,
        source,
    ) in database.execute_sql(
        "SELECT id, month, title, unit, target_date, status, source FROM plan_item "
        "WHERE status IN ('open', 'in_progress') AND month <= ? ORDER BY id",
        (month,),
    ):
        planned_sources.add(str(source))
        tickets = _plan_tickets(int(item_id))
        finished = sum(1 for _, done in tickets if done)
        detail = f"{item_month} · {plan.PLAN_STATUS_NAMES.get(str(status), status)}"
        if target:
            detail += f" · 目标 {target}"
        detail += f" · 工单 {finished}/{len(tickets)} 办结"
        rows.append(
            AgendaRow(
                str(unit),
                "plan",
                f"#{item_id}",
                str(title),
                detail,
                tuple(number for number, _ in tickets),
            )
        )
    in_hand = sorted(IN_HAND)
    marks = ", ".join("?" * len(in_hand))
    for number, category, item, building, status, unit, due_at in database.execute_sql(
        "SELECT ticket_no, category, item, building, status, unit, due_at "
        f"FROM ticket WHERE status IN ({marks}) ORDER BY id",
        in_hand,
    ):
        overdue = bool(due_at) and parse_time(due_at) < as_of
        if status != ESCALATED and not overdue:
            continue
        name = _category_name(catalog, str(category))
        try:
            item_name = catalog.category(str(category)).item(str(item)).name
        except KeyError:
            item_name = str(item)
        place = f" · {building}" if building else ""
        detail = f"应办结 {parse_time(due_at).astimezone(settings.zone):%m-%d %H:%M}"
        if status == ESCALATED and overdue:
            detail += "（已超期）"
        rows.append(
            AgendaRow(
                str(unit),
                "escalated" if status == ESCALATED else "overdue",
                str(number),
                f"{name} · {item_name}{place}",
                detail,
                (str(number),),
            )
        )
    for spot in report["hotspots"]:
        if hotspot_source(spot) in planned_sources:
            continue
        place = "楼栋" if spot["place_kind"] == "building" else "网格"
        rows.append(
            AgendaRow(
                _unit_of(catalog, spot["category"]),
                "hotspot",
                hotspot_source(spot),
                f"{_category_name(catalog, spot['category'])} · {place} "
                f"{spot['place']}",
                f"近 {settings.reports.hotspot_days} 天 {spot['count']} 件",
                tuple(spot["tickets"]),
            )
        )
    order = {code: index for index, code in enumerate(catalog.units)}
    kinds = list(KINDS)
    return sorted(
        rows,
        key=lambda row: (
            order.get(row.unit, len(order)),
            row.unit,
            kinds.index(row.kind),
        ),  # fmt: skip
    )


def _plan_tickets(item_id: int) -> list[tuple[str, bool]]:
    return [
        (str(number), bool(done))
        for number, done in database.execute_sql(
            "SELECT t.ticket_no, t.status IN ('closed', 'withdrawn') "
            "FROM plan_ticket p JOIN ticket t ON t.uuid = p.ticket_uuid "
            "WHERE p.plan_item = ? ORDER BY t.ticket_no",
            (item_id,),
        )
    ]


# -- the agenda as a sheet, and back ------------------------------------------


def write_csv(rows: Iterable[AgendaRow], catalog: Catalog, path: Path) -> None:
    """UTF-8 with a byte-order mark, which spreadsheet programs need."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for row in rows:
            writer.writerow(row.cells(catalog))


def write_xlsx(
    rows: Sequence[AgendaRow], catalog: Catalog, month: str, path: Path
) -> None:
    """The agenda as a workbook to print, a wide 方案 column to write in."""
    # Imported here: only this export needs openpyxl, never the kiosk's start.
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "议程"
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(row.cells(catalog))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFG", (16, 10, 18, 30, 26, 24, 40), strict=True):
        sheet.column_dimensions[column].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.oddHeader.center.text = f"{month} 工作例会议程"
    book.save(path)


def read_sheet(path: Path) -> list[dict[str, str]]:
    """The rows of an agenda sheet (CSV or XLSX) as filled in, by header."""
    # Imported here: only reading a workbook needs openpyxl.
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        if path.suffix.lower() == ".xlsx":
            # Imported here: only reading a workbook needs openpyxl.
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            lines = [
                ["" if value is None else str(value) for value in line]
                for line in book.worksheets[0].iter_rows(values_only=True)
            ]
        else:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                lines = list(csv.reader(handle))
    except (OSError, ValueError, KeyError, BadZipFile, InvalidFileException) as error:
        raise MeetingError(f"读不了议程表 {path}：{error}") from None
    if not lines or [cell.strip() for cell in lines[0][: len(HEADERS)]] != list(
        HEADERS
    ):
        raise MeetingError(
            f"{path} 不是工作例会议程表：第一行应为 {'、'.join(HEADERS)}"
        )
    return [
        dict(zip(HEADERS, [*line, *[""] * len(HEADERS)], strict=False))
        for line in lines[1:]
        if any(cell.strip() for cell in line)
    ]


@dataclass
class Recorded:
    notes: int = 0
    plan_items: int = 0
    new_plan_items: int = 0
    skipped: int = 0


def record(
    settings: Settings,
    session: StaffSession,
    catalog: Catalog,
    month: str,
    lines: Sequence[dict[str, str]],
    *,
    now: datetime,
) -> Recorded:
    """Send each agreed 方案 back: a note on each of its tickets, a line of
    its plan item's result (a hot spot's makes it a plan item)."""
    done = Recorded()
    day = now.astimezone(settings.zone).date().isoformat()
    # Hot spots first: the plan items they make then take the 方案 of their
    # tickets' own lines too, whatever the order of the sheet.
    first = [line for line in lines if line.get("类型", "").strip() == KINDS["hotspot"]]
    for line in [*first, *(line for line in lines if line not in first)]:
        agreed = line.get("方案", "").strip()
        if not agreed:
            continue
        kind = KIND_OF_NAME.get(line.get("类型", "").strip())
        ref = line.get("编号", "").strip()
        if kind is None or not ref:
            raise MeetingError(f"议程行 {line.get('编号', '')!r}：类型或编号不对")
        text = f"{NOTE_PREFIX}（{day}）：{agreed}"
        tickets = [number for number in line.get("工单", "").split() if number]
        if kind == "plan":
            item_id = _plan_id(ref)
            done.plan_items += _add_result(item_id, text, now)
            tickets = [number for number, _ in _plan_tickets(item_id)]
        elif kind == "hotspot":
            item_id, made = _hotspot_item(
                ref, line, catalog, month, settings, session, now
            )
            done.new_plan_items += made
            done.plan_items += _add_result(item_id, text, now)
        else:
            tickets = [ref]
            for item_id, _, _ in plan.plan_of_ticket(ref):
                done.plan_items += _add_result(item_id, text, now)
        for number in tickets:
            if _has_note(number, text):
                done.skipped += 1
                continue
            try:
                desk.add_note(settings, session, number, text, now=now)
            except desk.ActionError as error:
                raise MeetingError(f"{number}：{error}") from None
            done.notes += 1
    return done


def _plan_id(ref: str) -> int:
    try:
        return int(ref.lstrip("#"))
    except ValueError:
        raise MeetingError(f"计划编号 {ref!r} 应为 #数字") from None


def _add_result(item_id: int, text: str, now: datetime) -> int:
    row = database.execute_sql(
        "SELECT result FROM plan_item WHERE id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise MeetingError(f"没有计划事项 #{item_id}")
    result = str(row[0])
    if text in result.splitlines():
        return 0
    plan.update(item_id, now=now, result=f"{result}\n{text}".strip())
    return 1


def _hotspot_item(
    ref: str,
    line: dict[str, str],
    catalog: Catalog,
    month: str,
    settings: Settings,
    session: StaffSession,
    now: datetime,
) -> tuple[int, bool]:
    """The month's plan item made from the hot spot (made now if need be),
    and whether it was made now."""
    found = database.execute_sql(
        "SELECT id FROM plan_item WHERE source = ? AND month = ? ORDER BY id",
        (ref, month),
    ).fetchone()
    if found is not None:
        return int(found[0]), False
    parts = ref.split(":", 3)
    if len(parts) != 4 or parts[0] != "hotspot":
        raise MeetingError(f"热点编号 {ref!r} 不对")
    made = plan.add_item(
        month,
        line.get("事项", "").strip() or ref,
        _unit_of(catalog, parts[1]),
        catalog=catalog,
        zone=settings.zone,
        actor=session.actor,
        now=now,
        tickets=[number for number in line.get("工单", "").split() if number],
        source=ref,
    )
    return made, True


def _has_note(ticket_no: str, text: str) -> bool:
    rows = database.execute_sql(
        "SELECT e.payload FROM ticket_event e JOIN ticket t ON t.uuid = e.ticket_uuid "
        "WHERE t.ticket_no = ? AND e.kind = 'note'",
        (ticket_no,),
    ).fetchall()
    for (payload,) in rows:
        try:
            if json.loads(payload).get("text") == text:
                return True
        except (ValueError, AttributeError):
            continue
    return False
