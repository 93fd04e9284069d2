"""报表: the month's 三率 against last month, counts by category and unit as
bar charts drawn in text, the hot spots and the plan (the station head's view)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from kiosk.plan import PLAN_STATUS_NAMES, plan_page
from kiosk.report_sums import station_month
from kiosk.reports import month_of, next_month, previous_month
from screens.staff.messages import LoadFailed
from screens.staff.widgets import StaffFooter, StaffHeader
from screens.workers import database_worker

if TYPE_CHECKING:
    from screens.staff.app import StaffApp

RATES = (
    ("response_rate", "响应率"),
    ("resolution_rate", "解决率"),
    ("satisfaction_rate", "满意率"),
)
BLOCKS = " ▏▎▍▌▋▊▉█"
BAR_WIDTH = 24
LABEL_WIDTH = 14


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def bar(value: float, largest: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar in eighths of a cell, ``value`` of ``largest``."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(8 * width * value / largest))
    return "█" * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")


def fit(label: str, width: int = LABEL_WIDTH) -> str:
    """``label`` cut and padded to ``width`` terminal cells."""
    out = ""
    for char in label:
        if cell_len(out + char) > width - 1 and cell_len(label) > width:
            out += "…"
            break
        out += char
    return out + " " * max(0, width - cell_len(out))


def bar_chart(title: str, rows: list[tuple[str, int]]) -> Text:
    """A titled bar chart: label, bar, count."""
    chart = Text(f"{title}\n", style="bold")
    largest = max((count for _, count in rows), default=0)
    if not rows:
        chart.append("（本月没有工单）\n", style="dim")
    for label, count in rows:
        chart.append(fit(label))
        chart.append(bar(count, largest).ljust(BAR_WIDTH), style="cyan")
        chart.append(f" {count}\n")
    return chart


class ReportLoaded(Message):
    """The month's figures (kiosk.reports.station_month)."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__()
        self.report = report


class ReportsScreen(Screen[None]):
    """One month at a time; [ and ] go to the month before and after."""

    BINDINGS = [
        Binding("escape", "back", "返回", id="reports-back"),
        Binding("left_square_bracket", "month(-1)", "上月", id="reports-previous"),
        Binding("right_square_bracket", "month(1)", "下月", id="reports-next"),
    ]

    def __init__(self, month: str | None = None) -> None:
        super().__init__()
        self.month = month or ""

    @property
    def staff_app(self) -> StaffApp:
        return cast("StaffApp", self.app)

    def compose(self) -> ComposeResult:
        yield StaffHeader(self.staff_app.settings.station.name)
        with VerticalScroll(id="reports-body"):
            yield Static(Text("正在统计…"), id="reports-rates")
            with Horizontal(id="reports-charts"):
                yield Static(id="reports-categories")
                yield Static(id="reports-units")
            yield Static(id="reports-hotspots")
            yield Static(id="reports-plan")
        yield StaffFooter()

    def on_mount(self) -> None:
        app = self.staff_app
        app.refresh_header()
        if not self.month:
            self.month = month_of(app.now(), app.settings.zone)
        self.load(self.month)

    @database_worker(
        group="reports-view",
        description="compute the month's report",
        failed=LoadFailed,
        language="zh-CN",
    )
    def load(self, month: str) -> None:
        app = self.staff_app
        report = station_month(app.settings, app.catalog, month, app.now())
        report["plan"] = plan_page(month, app.settings.zone)
        self.post_message(ReportLoaded(report))

    @on(ReportLoaded)
    def loaded(self, message: ReportLoaded) -> None:
        report = message.report
        if report["period"]["label"] != self.month:
            return  # an older month's answer, after the head moved on
        self.query_one("#reports-rates", Static).update(self.rates_text(report))
        catalog = self.staff_app.catalog
        names = {category.code: category.name for category in catalog.categories}
        self.query_one("#reports-categories", Static).update(
            bar_chart(
                "按类别",
                [
                    (names.get(code, code), count)
                    for code, count in report["by_category"].items()
                ],
            )
        )
        dispatched = [
            (catalog.units[code].name if code in catalog.units else code, entry)
            for code, entry in report["units"].items()
        ]
        self.query_one("#reports-units", Static).update(
            bar_chart(
                "按单位（派单）",
                [(name, entry["dispatched"]) for name, entry in dispatched],
            )
        )
        self.query_one("#reports-hotspots", Static).update(
            self.hotspots_text(report, names)
        )
        self.query_one("#reports-plan", Static).update(self.plan_text(report["plan"]))

    def plan_text(self, plan: dict[str, Any]) -> Text:
        """The month's plan items and last month's, with their progress."""
        units = self.staff_app.catalog.units
        text = Text()
        for heading, key in (
            (f"{plan['month']} 月度重点治理计划", "items"),
            (f"{plan['previous_month']} 计划完成情况", "previous"),
        ):
            text.append(f"{heading}\n", style="bold")
            if not plan[key]:
                text.append("暂无（kiosk plan add）\n", style="dim")
            for item in plan[key]:
                unit = units.get(item["unit"])
                status = PLAN_STATUS_NAMES.get(item["status"], item["status"])
                # Titles and results are typed by people: plain Text.
                text.append(f"#{item['id']} {item['title']} · ")
                text.append(
                    f"{unit.name if unit else item['unit']} · {status} · "
                    f"工单 {item['tickets_finished']}/{len(item['tickets'])} 办结"
                )
                if item["result"]:
                    text.append(f" · {item['result']}", style="dim")
                text.append("\n")
        return text

    def rates_text(self, report: dict[str, Any]) -> Text:
        counts = report["counts"]
        previous = report["previous"]
        text = Text(
            f"{self.month} 报表 · 受理 {report['tickets']} 件"
            f"（上月 {previous['tickets']} 件）\n",
            style="bold",
        )
        bases = {
            "response_rate": (counts["responded_in_time"], counts["response_base"]),
            "resolution_rate": (counts["solved"], counts["called_back"]),
            "satisfaction_rate": (
                counts["satisfied"] + counts["basically_satisfied"],
                counts["called_back"],
            ),
        }
        for name, label in RATES:
            part, whole = bases[name]
            now, before = report[name], previous[name]
            text.append(f"{label}  {percent(now):>7}  ({part}/{whole})")
            text.append(f"   上月 {percent(before):>7}")
            if now is not None and before is not None and now != before:
                arrow, style = ("↑", "green") if now > before else ("↓", "red")
                text.append(f"  {arrow}{abs(100 * (now - before)):.1f}", style=style)
            text.append("\n")
        score = report["composite_score"]
        text.append(f"综合得分 {'—' if score is None else f'{score:.2f}'}")
        text.append(
            f"   无法回访 {counts['unreachable']} · 重复撤销 {counts['duplicates']}"
            f" · 在办 {counts['open']} · 超期 {counts['overdue']}"
            f" · 不满意重办 {counts['reopenings']}",
            style="dim",
        )
        return text

    def hotspots_text(self, report: dict[str, Any], names: dict[str, str]) -> Text:
        rules = self.staff_app.settings.reports
        text = Text(
            f"热点（{rules.hotspot_days} 天内同类诉求同一地点"
            f" ≥{rules.hotspot_count} 件）\n",
            style="bold",
        )
        if not report["hotspots"] and not report["recurring"]:
            text.append("暂无\n", style="dim")
        for spot in report["hotspots"]:
            place = "网格" if spot["place_kind"] == "grid" else "楼栋"
            # The place is what a resident typed or picked: plain Text.
            text.append(f"  {names.get(spot['category'], spot['category'])} · ")
            text.append(f"{place} {spot['place']} · {spot['count']} 件\n")
        for spot in report["recurring"]:
            text.append(f"  反复出现 {'、'.join(spot['months'])}：", style="yellow")
            text.append(f"{names.get(spot['category'], spot['category'])} · ")
            text.append(f"{spot['place']}\n")
        return text

    def action_month(self, step: int) -> None:
        month = previous_month(self.month) if step < 0 else next_month(self.month)
        self.month = month
        self.query_one("#reports-rates", Static).update(Text("正在统计…"))
        self.load(month)

    def action_back(self) -> None:
        self.dismiss(None)
