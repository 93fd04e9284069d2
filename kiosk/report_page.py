"""The month's report and plan as one printable page (PNG or PDF), in
Chinese, with its charts: the 三率 against last month, the counts behind
them, tickets by category and each unit's work as bars, the hot spots, the
month's plan and what came of last month's (docs/reports.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from kiosk.catalog import Catalog
from kiosk.plan import PLAN_STATUS_NAMES
from kiosk.printing.fonts import FontError, find_cjk_font

# A4 at 150 dots per inch.
WIDTH, HEIGHT = 1240, 1754
DPI = 150
MARGIN = 72
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (206, 212, 218)
ACCENT = (13, 71, 161)
BARS = ((38, 120, 178), (102, 170, 90), (230, 145, 56))
RATES = (
    ("response_rate", "响应率", "responded_in_time", "response_base"),
    ("resolution_rate", "解决率", "solved", "called_back"),
    ("satisfaction_rate", "满意率", None, "called_back"),
)


class PageError(Exception):
    """The page could not be made or written; the message says why."""


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    points = 100 * (now - before)
    return (
        "持平"
        if abs(points) < 0.05
        else f"{'↑' if points > 0 else '↓'}{abs(points):.1f}"
    )


class _Page:
    def __init__(self, font_path: str, font_index: int) -> None:
        self.image = Image.new("RGB", (WIDTH, HEIGHT), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.font_path = font_path
        self.font_index = font_index
        self.y = MARGIN

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(self.font_path, size=size, index=self.font_index)

    def fitted(self, text: str, size: int, width: int) -> str:
        """``text`` cut with an ellipsis to fit ``width`` pixels."""
        font = self.font(size)
        if self.draw.textlength(text, font=font) <= width:
            return text
        while text and self.draw.textlength(text + "…", font=font) > width:
            text = text[:-1]
        return text + "…"

    def text(
        self,
        x: int,
        text: str,
        size: int,
        fill: tuple[int, int, int] = INK,
        width: int | None = None,
        y: int | None = None,
    ) -> None:
        shown = self.fitted(text, size, width or WIDTH - MARGIN - x)
        self.draw.text((x, self.y if y is None else y), shown, font=self.font(size),
                       fill=fill)  # fmt: skip

    def heading(self, text: str) -> None:
        self.y += 18
        self.text(MARGIN, text, 30, ACCENT)
        self.y += 44
        self.draw.line((MARGIN, self.y, WIDTH - MARGIN, self.y), fill=RULE, width=2)
        self.y += 14

    def room(self, needed: int) -> bool:
        return self.y + needed <= HEIGHT - MARGIN - 30


def _category_name(catalog: Catalog, code: str) -> str:
    try:
        return catalog.category(code).name
    except KeyError:
        return code


def _unit_name(catalog: Catalog, code: str) -> str:
    unit = catalog.units.get(code)
    return unit.name if unit else code


def _bars(
    page: _Page,
    left_edge: int,
    right_edge: int,
    rows: Sequence[tuple[str, Sequence[int]]],
    legend: Sequence[str],
    empty: str,
) -> int:
    """Horizontal bars between two x positions from ``page.y``, one group per
    row, scaled to the largest value; returns the y below them."""
    y = page.y
    label_width = 170
    left = left_edge + label_width
    right = right_edge - 60
    largest = max((value for _, values in rows for value in values), default=0) or 1
    thickness = 14 if len(legend) > 1 else 18
    band = 10 + (thickness + 3) * len(legend)
    x = left
    for index, name in enumerate(legend):
        page.draw.rectangle((x, y + 6, x + 20, y + 22), fill=BARS[index])
        page.text(x + 26, name, 18, MUTED, y=y + 2, width=160)
        x += 46 + int(page.draw.textlength(name, font=page.font(18)))
    y += 32
    if not rows:
        page.text(left_edge, empty, 20, MUTED, y=y)
        return y + 34
    for label, values in rows:
        page.text(left_edge, label, 20, width=label_width - 12,
                  y=y + (band - 28) // 2)  # fmt: skip
        for index, value in enumerate(values):
            top = y + 4 + (thickness + 3) * index
            length = int((right - left) * value / largest)
            if length:
                page.draw.rectangle((left, top, left + length, top + thickness),
                                    fill=BARS[index % len(BARS)])  # fmt: skip
            page.text(left + length + 6, str(value), 16, MUTED, y=top - 3, width=60)
        y += band
    return y


def render_month_page(
    report: dict[str, Any],
    plan: dict[str, Any],
    catalog: Catalog,
    station_name: str,
    font_path: str,
    font_index: int = 0,
) -> Image.Image:
    """The page as an image; every text on it is drawn as it is, never
    interpreted."""
    page = _Page(font_path, font_index)
    month = report["period"]["label"]
    page.text(MARGIN, station_name, 26, MUTED)
    page.y += 40
    page.text(MARGIN, f"{month} 接诉即办月报", 46)
    page.y += 66
    as_of = datetime.fromisoformat(report["as_of"])
    page.text(
        MARGIN,
        f"统计本月受理的工单 · 截至 {as_of:%Y-%m-%d %H:%M} · 上月 "
        f"{report['previous']['period']['label']}",
        20,
        MUTED,
    )
    page.y += 34

    page.heading("三率")
    counts = report["counts"]
    previous = report["previous"]
    columns = (MARGIN, MARGIN + 170, MARGIN + 370, MARGIN + 600, MARGIN + 800)
    for x, title in zip(columns, ("指标", "本月", "依据", "上月", "变化"), strict=True):
        page.text(x, title, 22, MUTED, width=190)
    page.y += 36
    for name, label, part_key, whole_key in RATES:
        part = (
            counts[part_key]
            if part_key
            else counts["satisfied"] + counts["basically_satisfied"]
        )
        cells = (
            label,
            _percent(report[name]),
            f"{part}/{counts[whole_key]}",
            _percent(previous[name]),
            _change(report[name], previous[name]),
        )
        for x, cell in zip(columns, cells, strict=True):
            page.text(x, cell, 30 if x == columns[1] else 26, width=200)
        page.y += 44
    page.text(
        columns[0],
        f"综合得分 {_score(report['composite_score'])}"
        f"（上月 {_score(previous['composite_score'])}）"
        f" · 受理 {report['tickets']} 件（上月 {previous['tickets']} 件）",
        24,
    )
    page.y += 40
    page.text(
        MARGIN,
        f"无法回访 {counts['unreachable']} · 重复撤销 {counts['duplicates']} · "
        f"在办 {counts['open']} · 超期 {counts['overdue']} · "
        f"已回访结案 {counts['closed']} · 不满意重办 {counts['reopenings']}",
        20,
        MUTED,
    )
    page.y += 30

    page.heading("按类别 · 各单位")
    middle = WIDTH // 2
    units = [
        (code, entry)
        for code, entry in report["units"].items()
        if entry["dispatched"] or entry["resolved"]
    ]
    below_categories = _bars(
        page,
        MARGIN,
        middle - 16,
        [
            (_category_name(catalog, code), (count,))
            for code, count in list(report["by_category"].items())[:10]
        ],
        ("受理件数",),
        "本月没有受理工单",
    )
    below_units = _bars(
        page,
        middle + 16,
        WIDTH - MARGIN,
        [
            (
                _unit_name(catalog, code),
                (entry["dispatched"], entry["checked_in_in_time"], entry["resolved"]),
            )
            for code, entry in units
        ],
        ("派单", "按时报到", "办结"),
        "本月没有派单",
    )
    page.y = max(below_categories, below_units)

    page.heading("热点（未诉先办）")
    spots = report["hotspots"][:5]
    for spot in spots:
        if not page.room(120):
            break
        place = "楼栋" if spot["place_kind"] == "building" else "网格"
        page.text(
            MARGIN,
            f"{_category_name(catalog, spot['category'])} · {place} {spot['place']}"
            f" · {spot['count']} 件",
            22,
        )
        page.y += 32
    if not spots:
        page.text(MARGIN, "没有热点", 22, MUTED)
        page.y += 32

    page.heading("月度重点治理计划")
    for title, entries in (
        (f"{month} 计划", plan["items"]),
        (f"{plan['previous_month']} 计划完成情况", plan["previous"]),
    ):
        if not page.room(70):
            break
        page.text(MARGIN, title, 24, ACCENT)
        page.y += 36
        if not entries:
            page.text(MARGIN + 24, "无", 22, MUTED)
            page.y += 32
        for entry in entries:
            if not page.room(64):
                page.text(MARGIN + 24, "（余下从略）", 20, MUTED)
                page.y += 30
                break
            status = PLAN_STATUS_NAMES.get(entry["status"], entry["status"])
            target = f" · 目标 {entry['target_date']}" if entry["target_date"] else ""
            page.text(
                MARGIN + 24,
                f"#{entry['id']} {entry['title']}",
                22,
            )
            page.y += 30
            result = entry["result"].replace("\n", " ")
            page.text(
                MARGIN + 48,
                f"{_unit_name(catalog, entry['unit'])} · {status}{target} · 工单 "
                f"{entry['tickets_finished']}/{len(entry['tickets'])} 办结"
                + (f" · 结果：{result}" if result else ""),
                20,
                MUTED,
            )
            page.y += 34
    page.text(MARGIN, f"{station_name} · {month} · 第 1 页", 18, MUTED,
              y=HEIGHT - MARGIN)  # fmt: skip
    return page.image


def write_month_page(
    report: dict[str, Any],
    plan: dict[str, Any],
    catalog: Catalog,
    station_name: str,
    path: Path,
    font: str = "",
) -> None:
    """Write the page to ``path``: PDF when it ends in .pdf, else PNG."""
    try:
        spec = find_cjk_font(font)
    except FontError as error:  # it says how to install a font
        raise PageError(str(error)) from error
    image = render_month_page(report, plan, catalog, station_name, spec.path,
                              spec.index)  # fmt: skip
    try:
        if path.suffix.lower() == ".pdf":
            image.save(path, "PDF", resolution=DPI)
        else:
            image.save(path, "PNG", dpi=(DPI, DPI))
    except (OSError, ValueError) as error:
        raise PageError(f"cannot write {path}: {error}") from error
