"""The month's report and plan as an XLSX workbook, the format offices pass
on: one sheet each for the 三率, categories, units, hot spots and the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.catalog import Catalog
from kiosk.plan import PLAN_STATUS_NAMES

RATE_ROWS = (
    ("response_rate", "响应率", "responded_in_time", "response_base"),
    ("resolution_rate", "解决率", "solved", "called_back"),
    ("satisfaction_rate", "满意率", None, "called_back"),
)


def _category_name(catalog: Catalog, code: str) -> str:
    try:
        return catalog.category(code).name
    except KeyError:
        return code


def listed_tickets(spot: dict[str, Any]) -> str:
    """A hot spot's listed tickets, saying how many more it has
    (``kiosk report hotspots`` lists them all)."""
    text = " ".join(spot["tickets"])
    unlisted = int(spot.get("tickets_unlisted", 0))
    return f"{text} 等，另有 {unlisted} 件" if unlisted else text


def write_month_xlsx(
    report: dict[str, Any], plan: dict[str, Any], catalog: Catalog, path: Path
) -> None:
    """Write the workbook to ``path`` (OSError if it cannot be written)."""
    # Imported here: only this export needs openpyxl, never the kiosk's start.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "三率"
    counts = report["counts"]
    previous = report["previous"]
    sheet.append([f"{report.get('station', '')} {report['period']['label']} 报表"])
    sheet.append(["指标", "本月", "分子", "分母", "上月"])
    for name, label, part_key, whole_key in RATE_ROWS:
        part = (
            counts[part_key]
            if part_key
            else counts["satisfied"] + counts["basically_satisfied"]
        )
        sheet.append([label, report[name], part, counts[whole_key], previous[name]])
    sheet.append(["综合得分", report["composite_score"], None, None,
                  previous["composite_score"]])  # fmt: skip
    sheet.append(["受理件数", report["tickets"], None, None, previous["tickets"]])
    for label, key in (
        ("无法回访", "unreachable"),
        ("重复撤销", "duplicates"),
        ("在办", "open"),
        ("超期", "overdue"),
        ("已回访结案", "closed"),
        ("不满意重办", "reopenings"),
    ):
        sheet.append([label, counts[key]])
    for row in range(3, 6):
        for column in ("B", "E"):
            sheet[f"{column}{row}"].number_format = "0.0%"

    categories = book.create_sheet("类别")
    categories.append(["类别", "件数"])
    for code, count in report["by_category"].items():
        categories.append([_category_name(catalog, code), count])

    units = book.create_sheet("单位")
    units.append(["单位", "派单", "报到", "按时报到", "办结", "不满意重办",
                  "满意", "基本满意", "不满意"])  # fmt: skip
    for code, entry in report["units"].items():
        unit = catalog.units.get(code)
        ratings = entry["ratings"]
        units.append(
            [
                unit.name if unit else code,
                entry["dispatched"],
                entry["checked_in"],
                entry["checked_in_in_time"],
                entry["resolved"],
                entry["reopened"],
                ratings["satisfied"],
                ratings["basically_satisfied"],
                ratings["dissatisfied"],
            ]
        )

    spots = book.create_sheet("热点")
    spots.append(["类型", "类别", "地点", "件数", "月份", "工单"])
    for kind, entries in (("热点", report["hotspots"]),
                          ("反复出现", report["recurring"])):  # fmt: skip
        for spot in entries:
            spots.append(
                [
                    kind,
                    _category_name(catalog, spot["category"]),
                    spot["place"],
                    spot["count"],
                    "、".join(spot["months"]),
                    listed_tickets(spot),
                ]
            )

    items = book.create_sheet("计划")
    items.append(["月份", "编号", "事项", "责任单位", "目标日期", "状态",
                  "工单办结", "工单数", "结果"])  # fmt: skip
    for entry in [*plan["items"], *plan["previous"]]:
        unit = catalog.units.get(entry["unit"])
        items.append(
            [
                entry["month"],
                entry["id"],
                entry["title"],
                unit.name if unit else entry["unit"],
                entry["target_date"],
                PLAN_STATUS_NAMES.get(entry["status"], entry["status"]),
                entry["tickets_finished"],
                len(entry["tickets"]),
                entry["result"],
            ]
        )
    for worksheet in book.worksheets:
        for cell in worksheet[1 if worksheet is not sheet else 2]:
            cell.font = bold
        _fit_columns(worksheet, skip_first_row=worksheet is sheet)
    book.save(path)


def _display_width(value: object) -> int:
    """Columns a value takes: a Chinese character two, anything else one."""
    text = "" if value is None else str(value)
    return sum(2 if ord(character) > 0x2E7F else 1 for character in text)


def _fit_columns(worksheet: Any, *, skip_first_row: bool) -> None:
    """Columns as wide as their widest cell (up to 60), longer text wrapped,
    so that everything shows when the sheet is opened or printed."""
    # Imported here: only this export needs openpyxl, never the kiosk's start.
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    widest: dict[int, int] = {}
    for row_number, row in enumerate(worksheet.iter_rows(), start=1):
        if skip_first_row and row_number == 1:
            continue  # the title, which may run across
        for cell in row:
            width = _display_width(cell.value)
            widest[cell.column] = max(widest.get(cell.column, 0), width)
            if width > 60:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in widest.items():
        worksheet.column_dimensions[get_column_letter(column)].width = min(
            60, max(8, width + 2)
        )
