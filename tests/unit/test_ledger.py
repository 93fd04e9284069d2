"""``kiosk import FILE.csv``: a messy ledger (台账) brought in; bad rows
refused with their line numbers, none of the good ones lost."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from db import Outbox, Ticket, TicketEvent, database, open_database
from kiosk.config import render_config
from kiosk.states import Event, derive_status

# Headers with stray spaces, a BOM, blank rows, dates as text and as Excel
# serials (45717 = 2025-03-01), statuses and ratings in Chinese.
HEADER = (
    "\ufeff 登记日期 ,事项类别,楼栋,诉求内容,联系人,联系电话,办理状态,回访评价,备注\n"
)
LEDGER = (
    HEADER
    + """\
2025-03-01 09:30,房屋设施报修,5号楼,电梯停运,张三,138 1234 5678,已办结,,
2025/3/2,环境卫生,6号楼,楼道堆物,,,已回访,满意,
45717,消防安全,8号楼,消防通道被占,,,已受理,,
,,,,,,,,
2025-13-45,房屋设施报修,5号楼,日期不对,,,已受理,,
2025-03-04,天气,5号楼,类别不对,,,已受理,,
2025-03-05,房屋设施报修,5号楼,电话不对,李四,12345,已受理,,
2025-03-06,房屋设施报修,5号楼,回访无评价,,,已回访,,
2025年3月7日,治安秩序,9号楼,夜间噪音,,,已上报街道,,
"""
)


def _kiosk(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _station(tmp_path: Path, encoding: str = "utf-8") -> tuple[Path, Path]:
    config = tmp_path / "kiosk.toml"
    config.write_text(render_config(config, "PHY3", "", "", ""), "utf-8")
    ledger = tmp_path / "台账.csv"
    ledger.write_bytes(LEDGER.encode(encoding))
    return config, ledger


def test_a_messy_ledger_comes_in_and_bad_rows_are_named(tmp_path):
    config, ledger = _station(tmp_path)
    preview = _kiosk(config, "import", str(ledger), "--dry-run", "--json")
    report = json.loads(preview.stdout)
    assert preview.returncode == 1  # some rows refused
    assert report["good_rows"] == 4 and report["imported"] == 0
    refused = {item["line"]: item["why"] for item in report["refused"]}
    assert sorted(refused) == [6, 7, 8, 9]
    assert "date" in refused[6] and "category" in refused[7]
    assert "mobile" in refused[8] and "rating" in refused[9]
    assert report["blank_rows"] == 1
    assert report["mapping"]["created_at"] == "登记日期"

    done = _kiosk(config, "import", str(ledger))
    assert done.returncode == 1 and "imported 4 tickets" in done.stdout
    assert "line 6: refused" in done.stdout
    again = _kiosk(config, "import", str(ledger), "--json")
    assert json.loads(again.stdout)["already_imported"] == 4

    open_database(tmp_path / "kiosk.db")
    try:
        tickets = list(Ticket.select().order_by(Ticket.created_at))
        assert len(tickets) == 4
        assert [t.day for t in tickets] == [
            "2025-03-01",
            "2025-03-01",
            "2025-03-02",
            "2025-03-07",
        ]
        by_description = {t.description: t for t in tickets}
        lift = by_description["电梯停运"]
        assert lift.status == "resolved" and lift.contact_mobile == "13812345678"
        assert lift.ticket_no == "PHY3-250301-001"
        assert by_description["消防通道被占"].created_at.startswith("2025-03-01")
        assert by_description["楼道堆物"].status == "closed"
        assert by_description["夜间噪音"].status == "escalated"
        for ticket in tickets:
            events = list(
                TicketEvent.select()
                .where(TicketEvent.ticket == ticket.uuid)
                .order_by(TicketEvent.id)
            )
            assert {e.origin for e in events} == {"import"}
            folded = [Event(e.kind, json.loads(e.payload)) for e in events]
            assert derive_status(folded) == ticket.status
        assert Outbox.select().count() == 0  # never sent unless asked
    finally:
        database.close()


def test_a_gb18030_ledger_and_an_explicit_mapping(tmp_path):
    config, ledger = _station(tmp_path, "gb18030")
    ledger.write_bytes(
        ledger.read_bytes().replace(
            "诉求内容".encode("gb18030"), "情况".encode("gb18030")
        )
    )
    done = _kiosk(config, "import", str(ledger), "--map", "情况=description", "--send")
    assert "imported 4 tickets" in done.stdout, done.stderr
    # The mapping was saved: without --map the same rows are recognised.
    again = json.loads(_kiosk(config, "import", str(ledger), "--json").stdout)
    assert again["mapping"]["description"] == "情况"
    assert (again["imported"], again["already_imported"]) == (0, 4)
    open_database(tmp_path / "kiosk.db")
    try:
        assert Ticket.select().where(Ticket.description == "电梯停运").count() == 1
        assert Outbox.select().count() == TicketEvent.select().count()
    finally:
        database.close()


def test_an_unreadable_ledger_is_one_clear_line(tmp_path):
    config, _ = _station(tmp_path)
    sheet = tmp_path / "ledger.xlsx"
    sheet.write_bytes(b"PK")
    done = _kiosk(config, "import", str(sheet))
    assert done.returncode == 1
    assert "ledger.xlsx is not an Excel workbook (.xlsx) that can be read" in (
        done.stderr
    )
    old_excel = tmp_path / "ledger.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0")
    done = _kiosk(config, "import", str(old_excel))
    assert "an old Excel .xls file; save it as .xlsx" in done.stderr
    headless = tmp_path / "x.csv"
    headless.write_text("a,b\n1,2\n", "utf-8")
    done = _kiosk(config, "import", str(headless))
    assert "no column for created_at, category" in done.stderr
    assert "Traceback" not in done.stderr


def _messy_workbook(path: Path) -> None:
    """A ledger as stations keep it in Excel: a notes sheet first; a merged
    title row; a merged group heading (联系方式) over its two sub-headings
    and the other headings merged down beside it; Chinese column names;
    dates as Excel dates, as serial numbers and as text; a mobile stored as
    a number; a category merged down two rows; blank rows; bad rows."""
    workbook = Workbook()
    notes = workbook.active
    notes.title = "填表说明"
    notes.append(["每月底前更新", None])
    sheet = workbook.create_sheet("2025年台账")
    sheet.append(["蒲黄榆第三社区 居民诉求台账 2025"])
    sheet.merge_cells("A1:H1")
    sheet.append(
        [
            "登记日期",
            "事项类别",
            "楼栋",
            "诉求内容",
            "联系方式",
            None,
            "办理状态",
            "回访评价",
        ]
    )
    sheet.append([None, None, None, None, "联系人", "联系电话", None, None])
    for column in "ABCDGH":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("E2:F2")
    rows = [
        [
            datetime(2025, 3, 1, 9, 30),
            "房屋设施报修",
            "5号楼",
            "电梯停运",
            "张三",
            13812345678,
            "已办结",
            None,
        ],
        [45718, "环境卫生", "6号楼", "楼道堆物", None, None, "已回访", "满意"],
        ["2025年3月7日", None, "6号楼", "垃圾未清", None, None, "已受理", None],
        [None] * 8,
        ["2025-13-45", "房屋设施报修", "5号楼", "日期不对", None, None, "已受理", None],
        [datetime(2025, 3, 8), "天气", "5号楼", "类别不对", None, None, "已受理", None],
        [None] * 8,
        [
            45719.5,
            "消防安全",
            "8号楼",
            "消防通道被占",
            "李四",
            "139-0000-1111",
            "已上报街道",
            None,
        ],
    ]
    for row in rows:
        sheet.append(row)
    sheet.merge_cells("B5:B6")  # 环境卫生 for the rows of 3/2 and 3/7
    workbook.save(path)


def test_a_messy_xlsx_ledger_comes_in(tmp_path):
    config, _ = _station(tmp_path)
    sheet = tmp_path / "台账.xlsx"
    _messy_workbook(sheet)
    preview = _kiosk(config, "import", str(sheet), "--dry-run", "--json")
    assert "Traceback" not in preview.stderr
    report = json.loads(preview.stdout)
    assert preview.returncode == 1  # two rows refused
    assert report["mapping"] == {
        "created_at": "登记日期",
        "category": "事项类别",
        "building": "楼栋",
        "description": "诉求内容",
        "contact_name": "联系人",
        "contact_mobile": "联系电话",
        "status": "办理状态",
        "rating": "回访评价",
    }
    refused = {item["line"]: item["why"] for item in report["refused"]}
    # The sheet's own row numbers, as Excel shows them.
    assert sorted(refused) == [8, 9]
    assert "date" in refused[8] and "category" in refused[9]
    assert report["good_rows"] == 4 and report["blank_rows"] == 2

    done = _kiosk(config, "import", str(sheet))
    assert done.returncode == 1 and "imported 4 tickets" in done.stdout
    assert "row 8: refused" in done.stdout
    open_database(tmp_path / "kiosk.db")
    try:
        tickets = {t.description: t for t in Ticket.select()}
        assert set(tickets) == {"电梯停运", "楼道堆物", "垃圾未清", "消防通道被占"}
        lift = tickets["电梯停运"]
        assert lift.created_at == "2025-03-01T09:30:00+08:00"
        assert lift.contact_mobile == "13812345678" and lift.contact_name == "张三"
        assert lift.status == "resolved"
        assert tickets["楼道堆物"].created_at.startswith("2025-03-02T00:00")
        assert tickets["楼道堆物"].status == "closed"
        # The merged category cell belongs to both rows.
        assert tickets["垃圾未清"].category == tickets["楼道堆物"].category
        assert tickets["垃圾未清"].created_at.startswith("2025-03-07")
        fire = tickets["消防通道被占"]
        assert fire.created_at.startswith("2025-03-03T12:00")  # serial 45719.5
        assert fire.contact_mobile == "13900001111" and fire.status == "escalated"
        assert Outbox.select().count() == 0
    finally:
        database.close()
    again = _kiosk(config, "import", str(sheet), "--json")
    assert json.loads(again.stdout)["already_imported"] == 4


def test_a_wrong_sheet_or_column_is_one_clear_line(tmp_path):
    config, _ = _station(tmp_path)
    sheet = tmp_path / "台账.xlsx"
    _messy_workbook(sheet)
    done = _kiosk(config, "import", str(sheet), "--sheet", "Sheet9")
    assert done.returncode == 1
    assert "has no sheet 'Sheet9'; its sheets: 填表说明, 2025年台账" in done.stderr
    done = _kiosk(config, "import", str(sheet), "--sheet", "填表说明")
    assert "sheet '填表说明': no column for created_at, category" in done.stderr
    done = _kiosk(config, "import", str(sheet), "--map", "情况=description")
    assert "the file has no column '情况'" in done.stderr
    plain = Workbook()
    plain.active.append(["甲", "乙"])
    plain.active.append([1, 2])
    other = tmp_path / "other.xlsx"
    plain.save(other)
    done = _kiosk(config, "import", str(other))
    assert "no sheet of other.xlsx has the ledger's columns (Sheet)" in done.stderr
    assert "--sheet NAME" in done.stderr
    for problem in (done.stderr,):
        assert "Traceback" not in problem and len(problem.strip().splitlines()) == 1
