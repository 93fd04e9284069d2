"""``kiosk import FILE.csv``: a messy ledger (台账) brought in; bad rows
refused with their line numbers, none of the good ones lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    assert done.returncode == 1 and "save the sheet as CSV" in done.stderr
    headless = tmp_path / "x.csv"
    headless.write_text("a,b\n1,2\n", "utf-8")
    done = _kiosk(config, "import", str(headless))
    assert "no column for created_at, category" in done.stderr
    assert "Traceback" not in done.stderr
