"""The work meeting: its agenda by unit, and the 方案 agreed at it going back
to the tickets as notes and to the plan items (kiosk meeting agenda|record)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from db import database
from kiosk import desk, plan
from kiosk.catalog import load_catalog
from tests.helpers import HEAD_PIN, HOSTILE_MARKUP, at, issue, run_kiosk_command

AS_OF = "2026-11-25T12:00:00+08:00"


@pytest.fixture
def meeting_month(settings, head):
    """November: three sanitation tickets at 1号楼 (a hot spot), one of them
    escalated; a housing ticket long past its due time; an open plan item
    with a market ticket, and a finished one."""
    spot = [
        issue(settings, "sanitation", "rubbish", "", "1号楼",
              at=at(f"2026-11-{day}T08:00:00+08:00")).ticket_no
        for day in ("20", "21", "22")
    ]  # fmt: skip
    desk.dispatch(
        settings, head, spot[0], "enforcement", now=at("2026-11-20T09:00+08:00")
    )
    desk.escalate(
        settings, head, spot[0], "需街道协调", now=at("2026-11-20T10:00+08:00")
    )
    late = issue(settings, "housing", at=at("2026-11-01T09:00:00+08:00")).ticket_no
    market = issue(
        settings, "market", "prices", at=at("2026-11-10T09:00:00+08:00")
    ).ticket_no
    catalog = load_catalog()
    open_item = plan.add_item(
        "2026-11", "沿街商铺占道 " + HOSTILE_MARKUP, "market", catalog=catalog,
        zone=settings.zone, actor="staff:wang", now=at("2026-11-11T09:00+08:00"),
        tickets=[market], target_date="2026-11-30",
    )  # fmt: skip
    done_item = plan.add_item(
        "2026-11", "已完成的事", "property", catalog=catalog, zone=settings.zone,
        actor="staff:wang", now=at("2026-11-11T09:00+08:00"),
    )  # fmt: skip
    plan.update(done_item, now=at("2026-11-12T09:00+08:00"), status="done")
    in_time = issue(settings, "housing", at=at("2026-11-25T09:00:00+08:00")).ticket_no
    return {
        "spot": spot,
        "late": late,
        "market": market,
        "item": open_item,
        "in_time": in_time,
    }


def agenda_json(capsys) -> list[dict]:
    code, out, err = run_kiosk_command(
        capsys, "meeting", "agenda", "2026-11", "--json", "--as-of", AS_OF
    )
    assert (code, err) == (0, "")
    return json.loads(out)["items"]


def test_the_agenda_by_unit(kiosk_config, meeting_month, capsys):
    items = agenda_json(capsys)
    seen = [(item["unit"], item["kind"], item["ref"]) for item in items]
    spot = meeting_month["spot"]
    assert seen == [
        # Units in the catalog's order; in each, plan, escalated, overdue, hot spots.
        ("enforcement", "escalated", spot[0]),
        # Sanitation is due in 72 h: the 21st's and the 22nd's are past it.
        ("enforcement", "overdue", spot[1]),
        ("enforcement", "overdue", spot[2]),
        ("enforcement", "hotspot", "hotspot:sanitation:building:1号楼"),
        ("enforcement", "hotspot", "hotspot:sanitation:grid:第一网格（蒲黄榆桥东）"),
        ("market", "plan", f"#{meeting_month['item']}"),
        ("market", "overdue", meeting_month["market"]),
        ("property", "overdue", meeting_month["late"]),
    ]
    by_ref = {item["ref"]: item for item in items}
    assert by_ref[f"#{meeting_month['item']}"]["title"].endswith(HOSTILE_MARKUP)
    assert (
        "目标 2026-11-30 · 工单 0/1 办结"
        in by_ref[f"#{meeting_month['item']}"]["detail"]
    )
    assert by_ref["hotspot:sanitation:building:1号楼"]["tickets"] == spot
    assert "近 30 天 3 件" in by_ref["hotspot:sanitation:building:1号楼"]["detail"]
    # The finished plan item and the tickets still in time are not on it.
    assert "已完成的事" not in json.dumps(items, ensure_ascii=False)
    assert meeting_month["in_time"] not in json.dumps(items)
    # The text view groups by unit, with the units' names.
    code, out, _ = run_kiosk_command(
        capsys, "meeting", "agenda", "2026-11", "--as-of", AS_OF
    )
    headings = [line for line in out.splitlines() if line.startswith("【")]
    assert headings == ["【综合行政执法队】", "【市场监管所】", "【物业公司】"]


def test_the_agreed_plans_go_back_to_tickets_and_plan(
    kiosk_config, meeting_month, capsys, tmp_path, monkeypatch
):
    sheet = tmp_path / "agenda.csv"
    code, _, err = run_kiosk_command(
        capsys, "meeting", "agenda", "2026-11", "--csv", str(sheet), "--as-of", AS_OF
    )
    assert (code, err) == (0, "")
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["单位", "类型", "编号", "事项", "情况", "工单", "方案"]
    agreed = {
        meeting_month["spot"][0]: "街道城管牵头，12月5日前清运",
        f"#{meeting_month['item']}": "市场所约谈商户，一周内整改",
        "hotspot:sanitation:building:1号楼": "垃圾桶加倍，每日清运两次",
    }
    for row in rows[1:]:
        row[6] = agreed.get(row[2], "")
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)

    for attempt in range(2):
        monkeypatch.setattr("sys.stdin", io.StringIO(HEAD_PIN + "\n"))
        code, out, err = run_kiosk_command(
            capsys, "meeting", "record", str(sheet), "2026-11",
            "--staff", "wang", "--pin-stdin",
        )  # fmt: skip
        assert (code, err) == (0, ""), err
        if attempt == 0:
            # The escalated ticket, the plan item's ticket, the hot spot's three.
            assert "工单备注 5 条" in out and "新建 1 项" in out
        else:
            assert "工单备注 0 条" in out and "新建 0 项" in out

    def notes(number: str) -> list[str]:
        return [
            json.loads(payload)["text"]
            for (payload,) in database.execute_sql(
                "SELECT e.payload FROM ticket_event e JOIN ticket t "
                "ON t.uuid = e.ticket_uuid WHERE t.ticket_no = ? AND e.kind = 'note' "
                "ORDER BY e.id",
                (number,),
            )
        ]

    first = meeting_month["spot"][0]
    assert [text.split("：", 1)[1] for text in notes(first)] == [
        "垃圾桶加倍，每日清运两次",
        "街道城管牵头，12月5日前清运",
    ]
    assert notes(meeting_month["market"])[0].endswith("市场所约谈商户，一周内整改")
    assert notes(meeting_month["late"]) == []
    listing = {
        item["id"]: item
        for item in json.loads(
            run_kiosk_command(capsys, "plan", "list", "2026-11", "--json")[1]
        )["items"]
    }
    assert listing[meeting_month["item"]]["result"].endswith(
        "市场所约谈商户，一周内整改"
    )
    (made,) = [
        item for item in listing.values()
        if item["source"] == "hotspot:sanitation:building:1号楼"
    ]  # fmt: skip
    assert made["unit"] == "enforcement"
    assert made["tickets"] == sorted(meeting_month["spot"])
    assert [text.split("：", 1)[1] for text in made["result"].splitlines()] == [
        "垃圾桶加倍，每日清运两次",
        "街道城管牵头，12月5日前清运",  # the escalated ticket is one of its
    ]
    # Once in the plan, the hot spot is the plan item's line on the agenda.
    refs = [item["ref"] for item in agenda_json(capsys)]
    assert "hotspot:sanitation:building:1号楼" not in refs and f"#{made['id']}" in refs


def test_a_sheet_that_is_not_the_agenda_is_refused_in_words(
    kiosk_config, meeting_month, capsys, tmp_path, monkeypatch
):
    sheet = tmp_path / "other.csv"
    sheet.write_text("名字,电话\n王,1\n", encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(HEAD_PIN + "\n"))
    code, out, err = run_kiosk_command(
        capsys, "meeting", "record", str(sheet), "--staff", "wang", "--pin-stdin"
    )
    assert code == 1 and "不是工作例会议程表" in err and "Traceback" not in err
    broken = tmp_path / "agenda.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    monkeypatch.setattr("sys.stdin", io.StringIO(HEAD_PIN + "\n"))
    code, out, err = run_kiosk_command(
        capsys, "meeting", "record", str(broken), "--staff", "wang", "--pin-stdin"
    )
    assert code == 1 and "读不了议程表" in err and "Traceback" not in err
    monkeypatch.setattr("sys.stdin", io.StringIO("000000\n"))
    code, out, err = run_kiosk_command(
        capsys, "meeting", "record", str(sheet), "--staff", "wang", "--pin-stdin"
    )
    assert code == 1 and "Traceback" not in err and err.strip()


def test_a_crowded_hot_spot_brings_every_ticket_to_the_agenda(
    kiosk_config, settings, station_db, capsys
):
    """The month's report lists a hot spot's latest 20 tickets; its agenda
    row, whose 方案 goes back to each of them, has all 23."""
    numbers = [
        issue(settings, "sanitation", "rubbish", "", "1号楼",
              at=at(f"2026-11-{day:02d}T08:00:00+08:00")).ticket_no
        for day in range(1, 24)
    ]  # fmt: skip
    by_ref = {item["ref"]: item for item in agenda_json(capsys)}
    assert by_ref["hotspot:sanitation:building:1号楼"]["tickets"] == numbers
