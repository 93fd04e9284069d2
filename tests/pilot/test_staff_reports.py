"""The head's 报表 view: the month's 三率 against last month, bar charts by
category and unit, hot spots; and a snapshot at 120x40.

Update the snapshot after an intended change with ``pytest
tests/pilot/test_staff_reports.py --snapshot-update`` and look at the SVG.
"""

from __future__ import annotations

import pytest
from textual.command import CommandList
from textual.widgets import Input

from kiosk import desk, plan
from kiosk.catalog import load_catalog
from screens.staff.board import BoardScreen
from screens.staff.login import LoginScreen
from screens.staff.reports import ReportsScreen, bar, bar_chart
from tests.helpers import (
    HEAD_PIN,
    HOSTILE_MARKUP,
    STAFF_PIN,
    at,
    fill_desk_month,
    issue,
    screen_text,
    wait_for,
    wait_screen,
)

SIZE = (120, 40)


@pytest.fixture
def report_data(settings, head):
    """By the app's clock (2026-11-25 09:30): November has the desk's three
    (one in time, one late, one duplicate; two call-backs, both satisfied)
    and three sanitation tickets at 1号楼, one answered in time; October one
    housing ticket answered in time."""
    fill_desk_month(settings, head)
    for day in ("20", "21", "22"):
        number = issue(
            settings, "sanitation", "rubbish", "垃圾没人清运", "1号楼",
            at=at(f"2026-11-{day}T08:00:00+08:00"),
        ).ticket_no  # fmt: skip
    desk.dispatch(settings, head, number, "enforcement",
                  now=at("2026-11-22T10:00:00+08:00"))  # fmt: skip
    plan.add_item(
        "2026-11", "1号楼垃圾清运 " + HOSTILE_MARKUP, "enforcement",
        catalog=load_catalog(), zone=settings.zone, actor="staff:wang",
        now=at("2026-11-23T09:00:00+08:00"), tickets=[number],
    )  # fmt: skip
    october = issue(settings, at=at("2026-10-15T09:00:00+08:00")).ticket_no
    desk.dispatch(settings, head, october, "property",
                  now=at("2026-10-15T10:00:00+08:00"))  # fmt: skip


async def log_in(pilot, name: str, pin: str) -> None:
    await wait_screen(pilot, LoginScreen)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    pilot.app.screen.query_one("#login-name", Input).value = name
    pilot.app.screen.query_one("#login-pin", Input).focus()
    await pilot.press(*pin, "enter")
    await wait_screen(pilot, BoardScreen)


async def open_reports(pilot) -> None:
    await pilot.press("B")
    await wait_screen(pilot, ReportsScreen)
    await pilot.app.workers.wait_for_complete()
    await wait_for(pilot, lambda: "响应率" in screen_text(pilot.app))


async def test_the_head_sees_the_month_against_last_month(make_staff_app, report_data):
    app = make_staff_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "wang", HEAD_PIN)
        await open_reports(pilot)
        text = screen_text(app)
        assert "2026-11 报表 · 受理 6 件（上月 1 件）" in text
        # In time: the desk's first and the 22nd's; late: the desk's second,
        # the 20th's and the 21st's. Last month: one of one.
        assert "响应率    40.0%  (2/5)   上月  100.0%  ↓60.0" in text
        assert "解决率   100.0%  (2/2)   上月       —" in text
        assert "满意率   100.0%  (2/2)" in text
        assert "重复撤销 1" in text
        assert "环境卫生 · 楼栋 1号楼 · 3 件" in text
        # The plan item, its title shown as typed, never as markup.
        assert (
            f"#1 1号楼垃圾清运 {HOSTILE_MARKUP} · 综合行政执法队 · 未开始 · "
            "工单 0/1 办结" in text
        )
        categories = str(app.screen.query_one("#reports-categories").render())
        assert "环境卫生" in categories and "█" * 24 + " 3" in categories
        await pilot.press("left_square_bracket")
        await pilot.app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "2026-10 报表" in screen_text(app))
        assert "受理 1 件（上月 0 件）" in screen_text(app)
        await pilot.press("escape")
        await wait_screen(pilot, BoardScreen)


async def test_only_the_head_has_the_reports(make_staff_app, report_data):
    app = make_staff_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "li", STAFF_PIN)
        await wait_screen(pilot, BoardScreen)
        await pilot.press("B")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        offered = {
            active.binding.description
            for active in app.active_bindings.values()
            if active.enabled
        }
        assert "报表" not in offered and "锁屏" in offered


def test_bars_in_eighths():
    assert bar(0, 10) == ""
    assert bar(10, 10, width=4) == "████"
    assert bar(5, 10, width=3) == "█▌"
    assert bar(1, 1000, width=4) == "▏"  # never nothing for a count above 0
    chart = bar_chart("按类别", [("房屋设施报修", 2), ("[bold]x", 1)])
    assert "[bold]x" in chart.plain  # a label is text, never markup


def test_snapshot(snap_compare, make_staff_app, report_data):
    async def run_before(pilot) -> None:
        await log_in(pilot, "wang", HEAD_PIN)
        await open_reports(pilot)
        await pilot.pause()

    assert snap_compare(make_staff_app(), terminal_size=SIZE, run_before=run_before)


async def test_the_head_opens_the_reports_from_the_command_palette(
    make_staff_app, report_data
):
    app = make_staff_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "wang", HEAD_PIN)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"报表")

        def offered() -> list[str]:
            hits = app.screen.query(CommandList)
            return [
                str(hits.first().get_option_at_index(index).prompt)
                for index in range(hits.first().option_count)
            ] if hits else []  # fmt: skip

        await wait_for(pilot, lambda: any("报表" in hit for hit in offered()))
        await pilot.press("enter")
        await wait_screen(pilot, ReportsScreen)
        await pilot.app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "2026-11 报表" in screen_text(app))


async def test_the_palette_offers_no_reports_to_the_staff(make_staff_app, report_data):
    from screens.staff.commands import StaffCommands

    app = make_staff_app()
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "li", STAFF_PIN)
        provider = StaffCommands(app.screen)
        titles = [title for title, _, _ in provider._commands()]
        assert "报表" not in titles and "锁屏" in titles
