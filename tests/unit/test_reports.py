"""The station's numbers (docs/reports.md), each computed by hand on small
fixed data sets."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk import desk
from kiosk.catalog import Catalog, load_catalog
from kiosk.config import DEMO_STATION, ReportSettings
from kiosk.plan import plan_of_ticket
from kiosk.reports import (
    Rules,
    all_facts,
    figures,
    month_period,
    read_call_back,
)
from tests.helpers import at, fill_desk_month, issue, run_kiosk_command
from tests.unit.test_report_facts import folded_and_summed

ZONE = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 12, 10, 12, 0, tzinfo=ZONE)
RULES = Rules(load_catalog(), ReportSettings(), DEMO_STATION.grids)


class Data:
    """Tickets and events as plain rows, as either reader returns them."""

    def __init__(self) -> None:
        self.tickets: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []

    def ticket(
        self,
        name: str,
        category: str,
        created_at: str,
        *,
        building: str = "1号楼",
        due_hours: float = 72,
        actor: str = "kiosk:PHY3",
    ) -> str:
        created = datetime.fromisoformat(created_at)
        self.tickets.append(
            {
                "uuid": name,
                "ticket_no": f"PHY3-{name}",
                "station": "PHY3",
                "category": category,
                "item": "other",
                "building": building,
                "unit": load_catalog().category(category).unit,
                "created_at": created_at,
                "due_at": (created + timedelta(hours=due_hours)).isoformat(),
            }
        )
        self.event(name, "received", created_at, actor=actor)
        return name

    def event(
        self, name: str, kind: str, at: str, actor: str = "staff:李娜", **payload: Any
    ) -> None:
        self.events.append(
            {
                "ticket_uuid": name,
                "kind": kind,
                "actor": actor,
                "at": at,
                "payload": json.dumps(payload, ensure_ascii=False),
            }
        )

    def month(self, month: str = "2026-11") -> dict[str, Any]:
        """The month folded from the rows; summed in SQL from the stored
        facts of a real SQLite file holding them, it must be the same."""
        folded, summed = folded_and_summed(self.tickets, self.events, month, AS_OF)
        assert summed == folded
        return folded


def november() -> Data:
    """Housing's response limit is 4 h, sanitation's 24 h (assets/catalog.toml)."""
    data = Data()
    # A: answered in 1 h, checked in, resolved, 满意.
    data.ticket("A", "housing", "2026-11-03T09:00:00+08:00")
    data.event("A", "dispatched", "2026-11-03T10:00:00+08:00", unit="property")
    data.event("A", "acknowledged", "2026-11-03T11:00:00+08:00", unit="property")
    data.event("A", "resolved", "2026-11-04T09:00:00+08:00", text="修好")
    data.event("A", "unit_rated", "2026-11-04T10:00:00+08:00", unit="property",
               rating="satisfied")  # fmt: skip
    data.event("A", "callback", "2026-11-05T09:00:00+08:00", rating="satisfied")
    # B: answered after 6 h (late), reopened twice by 不满意, then 基本满意.
    data.ticket("B", "housing", "2026-11-04T09:00:00+08:00")
    data.event("B", "dispatched", "2026-11-04T15:00:00+08:00", unit="property")
    for day, rating in (("06", "dissatisfied"), ("08", "dissatisfied"),
                        ("10", "basically_satisfied")):  # fmt: skip
        data.event("B", "resolved", f"2026-11-{day}T09:00:00+08:00", text="办结")
        data.event("B", "callback", f"2026-11-{day}T10:00:00+08:00", rating=rating)
        if rating == "dissatisfied":
            data.event("B", "dispatched", f"2026-11-{day}T11:00:00+08:00",
                       unit="property")  # fmt: skip
    # C: withdrawn as a duplicate: counted, but not in the 三率.
    data.ticket("C", "sanitation", "2026-11-05T09:00:00+08:00")
    data.event("C", "withdrawn", "2026-11-05T09:30:00+08:00", reason="duplicate",
               original="PHY3-A")  # fmt: skip
    # D: the month's last second, never acted on: late by the report's time.
    data.ticket("D", "sanitation", "2026-11-30T23:59:59+08:00")
    # F: both answers recorded: satisfied, but not solved.
    data.ticket("F", "housing", "2026-11-10T09:00:00+08:00")
    data.event("F", "dispatched", "2026-11-10T11:00:00+08:00", unit="property")
    data.event("F", "resolved", "2026-11-11T09:00:00+08:00", text="办结")
    data.event("F", "callback", "2026-11-12T09:00:00+08:00", rating="satisfied",
               solved=False)  # fmt: skip
    # G: the resident could not be reached (无法回访).
    data.ticket("G", "housing", "2026-11-12T09:00:00+08:00")
    data.event("G", "dispatched", "2026-11-12T09:30:00+08:00", unit="property")
    data.event("G", "resolved", "2026-11-13T09:00:00+08:00", text="办结")
    data.event("G", "callback", "2026-11-14T09:00:00+08:00", outcome="unreachable")
    # H: written in UTC, local midnight on 1 November: November's.
    data.ticket("H", "sanitation", "2026-10-31T16:00:00+00:00")
    data.event("H", "dispatched", "2026-11-01T08:00:00+08:00", unit="enforcement")
    # I and J: one second either side of the month: not November's.
    data.ticket("I", "sanitation", "2026-10-31T23:59:59+08:00")
    data.ticket("J", "sanitation", "2026-12-01T00:00:00+08:00")
    return data


def test_the_month_is_local_midnight_to_local_midnight():
    period = month_period("2026-11", ZONE)
    assert period.start.isoformat() == "2026-11-01T00:00:00+08:00"
    assert period.end.isoformat() == "2026-12-01T00:00:00+08:00"
    for bad in ("2026-13", "2026-1", "26-11", "november"):
        with pytest.raises(ValueError):
            month_period(bad, ZONE)


def test_the_three_rates_by_hand():
    report = november().month()
    counts = report["counts"]
    # A B C D F G H: I is October's, J December's.
    assert report["tickets"] == 7
    assert counts["duplicates"] == 1
    # In time: A (1 h), F (2 h), G (0.5 h), H (8 h of 24); late: B (6 h of 4),
    # D (nothing by the report's time).
    assert (counts["responded_in_time"], counts["responded_late"]) == (4, 2)
    assert report["response_rate"] == round(4 / 6, 6)
    # Reached: A (满意, solved), B (last: 基本满意, solved), F (满意, unsolved);
    # G unreachable, apart.
    assert counts["called_back"] == 3
    assert counts["unreachable"] == 1
    assert (counts["solved"], counts["unsolved"]) == (2, 1)
    assert report["resolution_rate"] == round(2 / 3, 6)
    assert (counts["satisfied"], counts["basically_satisfied"]) == (2, 1)
    assert counts["dissatisfied"] == 0  # B's earlier 不满意 are not its last
    assert report["satisfaction_rate"] == 1.0
    assert (counts["reopened_tickets"], counts["reopenings"]) == (1, 2)
    assert report["composite_score"] == round(
        100 * (0.10 * 4 / 6 + 0.45 * 2 / 3 + 0.45 * 1.0), 2
    )


def test_counts_statuses_and_times_by_hand():
    report = november().month()
    counts = report["counts"]
    assert counts["closed"] == 3  # A, B, F
    assert counts["withdrawn"] == 1  # C
    assert counts["open"] == 3  # D received, G resolved, H dispatched
    assert counts["overdue"] == 2  # D and H past their 72 h; G is resolved
    assert report["by_category"] == {"housing": 4, "sanitation": 3}
    assert report["by_channel"] == {"kiosk": 7}
    assert report["by_grid"] == {"第一网格（蒲黄榆桥东）": 7}
    # Hours to the first dispatch: 0.5, 1, 2, 6, 8 (D none, C a duplicate).
    assert report["hours"]["to_dispatch"] == {"count": 5, "median": 2.0, "p90": 8.0}
    assert report["hours"]["to_check_in"] == {"count": 1, "median": 2.0, "p90": 2.0}


def test_units_by_hand():
    units = november().month()["units"]
    # A, B three times, F, G.
    assert units["property"]["dispatched"] == 6
    assert units["property"]["checked_in_in_time"] == 1
    assert units["property"]["resolved"] == 6
    assert units["property"]["reopened"] == 2
    assert units["property"]["ratings"]["satisfied"] == 1
    assert units["enforcement"]["dispatched"] == 1
    assert units["police"]["dispatched"] == 0


def test_last_month_is_beside_this_one():
    report = november().month()
    assert report["previous"]["tickets"] == 1  # I
    assert report["previous"]["period"]["label"] == "2026-10"


def test_no_call_backs():
    data = Data()
    data.ticket("A", "sanitation", "2026-11-03T09:00:00+08:00")
    data.event("A", "dispatched", "2026-11-03T10:00:00+08:00", unit="enforcement")
    data.ticket("B", "sanitation", "2026-11-03T09:00:00+08:00")
    data.event("B", "dispatched", "2026-11-05T10:00:00+08:00", unit="enforcement")
    report = data.month()
    assert report["response_rate"] == 0.5
    assert report["resolution_rate"] is None
    assert report["satisfaction_rate"] is None
    assert report["counts"]["called_back"] == 0
    # Only the response rate there is: the score is that rate.
    assert report["composite_score"] == 50.0


def test_an_empty_month_has_no_rates():
    report = Data().month()
    assert report["tickets"] == 0
    assert report["response_rate"] is None
    assert report["composite_score"] is None


def test_a_ticket_within_its_limit_is_not_yet_counted():
    data = Data()
    data.ticket("A", "housing", "2026-12-10T10:00:00+08:00")
    report = data.month("2026-12")
    assert report["counts"]["response_pending"] == 1
    assert report["response_rate"] is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"rating": "satisfied"}, ("satisfied", True, False)),
        ({"rating": "dissatisfied"}, ("dissatisfied", False, False)),
        (
            {"rating": "basically_satisfied", "solved": "未解决"},
            ("basically_satisfied", False, False),
        ),  # fmt: skip
        ({"rating": "dissatisfied", "solved": True}, ("dissatisfied", True, False)),
        ({"unreachable": True}, (None, None, True)),
        ({"rating": "unreachable"}, (None, None, True)),
        ({"outcome": "无法回访"}, (None, None, True)),
    ],
)
def test_the_call_back_is_read_from_whichever_fields_it_has(payload, expected):
    answer = read_call_back(payload)
    assert (answer.rating, answer.solved, answer.unreachable) == expected


def test_hot_spots_by_building_and_grid():
    data = Data()
    for day in ("01", "05", "09"):
        data.ticket(f"A{day}", "sanitation", f"2026-11-{day}T09:00:00+08:00")
    duplicate = data.ticket("D", "sanitation", "2026-11-09T09:10:00+08:00")
    data.event(duplicate, "withdrawn", "2026-11-09T09:20:00+08:00", reason="duplicate")
    for day in ("02", "03"):
        data.ticket(f"B{day}", "sanitation", f"2026-11-{day}T09:00:00+08:00",
                    building="2号楼")  # fmt: skip
    data.ticket("X", "housing", "2026-11-02T09:00:00+08:00", building="2号楼")
    spots = {
        (spot["category"], spot["place"]): spot["count"]
        for spot in data.month()["hotspots"]
    }
    # 1号楼: three (the duplicate left out); 2号楼 two; the grid holds both.
    assert spots == {
        ("sanitation", "第一网格（蒲黄榆桥东）"): 5,
        ("sanitation", "1号楼"): 3,
    }


def test_the_hot_spot_window_is_thirty_days():
    data = Data()
    for day in ("2026-10-01", "2026-11-20", "2026-11-25"):
        data.ticket(day, "sanitation", f"{day}T09:00:00+08:00", building="沿街商铺")
    assert data.month()["hotspots"] == []


def test_what_keeps_coming_back():
    data = Data()
    for month in ("09", "10", "11"):
        for day in ("03", "13", "23"):
            data.ticket(f"{month}{day}", "market", f"2026-{month}-{day}T09:00:00+08:00",
                        building="沿街商铺")  # fmt: skip
    recurring = [
        (spot["place"], spot["months"])
        for spot in data.month()["recurring"]
        if spot["place_kind"] == "building"
    ]
    assert recurring == [("沿街商铺", ["2026-09", "2026-10", "2026-11"])]


def test_a_hot_spot_lists_its_twenty_most_recent_tickets():
    """25 tickets at 1号楼, written out of the order received: the hot spot
    counts all 25 and lists the 20 received last, in the order written."""
    data = Data()
    days = [*range(26, 31), *range(1, 21)]  # five late tickets written first
    for day in days:
        data.ticket(f"S{day:02d}", "sanitation", f"2026-11-{day:02d}T09:00:00+08:00")
    duplicate = data.ticket("S99", "sanitation", "2026-11-30T10:00:00+08:00")
    data.event(duplicate, "withdrawn", "2026-11-30T10:10:00+08:00", reason="duplicate")
    report = data.month()
    by_place = {spot["place"]: spot for spot in report["hotspots"]}
    expected = [f"PHY3-S{day:02d}" for day in days if day > 5]
    for place in ("1号楼", "第一网格（蒲黄榆桥东）"):
        spot = by_place[place]
        assert spot["count"] == 25
        assert spot["tickets"] == expected
        assert spot["tickets_unlisted"] == 5


def test_a_hot_spot_of_few_tickets_lists_them_all():
    data = Data()
    for day in ("03", "02", "04"):
        data.ticket(f"T{day}", "sanitation", f"2026-11-{day}T09:00:00+08:00")
    (spot, _) = data.month()["hotspots"]
    assert spot["tickets"] == ["PHY3-T03", "PHY3-T02", "PHY3-T04"]
    assert spot["tickets_unlisted"] == 0


def test_a_changed_limit_counts_right_from_the_days_kept():
    """The days' counts keep delays, not a limit: after the catalog's
    response limit changes (housing 4 h to 6 h), and for a limit of no whole
    hours (the default 0.75 h, for a category the catalog now gives none), a
    response exactly at the limit is in time and one a second later late."""
    data = Data()
    for name, hours in (("A", 4), ("B", 6), ("C", 6 + 1 / 3600), ("D", 0.75)):
        data.ticket(name, "housing", "2026-11-03T09:00:00+08:00")
        data.event(name, "dispatched", (at("2026-11-03T09:00:00+08:00")
                   + timedelta(hours=hours)).isoformat(), unit="property")  # fmt: skip
    data.ticket("E", "convenience", "2026-11-03T09:00:00+08:00")
    data.event("E", "dispatched", "2026-11-03T09:45:00+08:00", unit="station")
    data.ticket("F", "convenience", "2026-11-03T09:00:00+08:00")
    data.event("F", "dispatched", "2026-11-03T09:45:01+08:00", unit="station")
    # The catalog as shipped: housing 4 h (A, D in time), convenience 24 h.
    assert data.month()["counts"]["responded_in_time"] == 4
    catalog = load_catalog()
    changed = Catalog(
        tuple(
            replace(category, response_hours=6)
            if category.code == "housing"
            else replace(category, response_hours=0)
            if category.code == "convenience"
            else category
            for category in catalog.categories
        ),
        catalog.units,
    )
    rules = Rules(changed, ReportSettings(response_hours=0.75), DEMO_STATION.grids)
    folded, summed = folded_and_summed(
        data.tickets, data.events, "2026-11", AS_OF, rules=rules
    )
    assert summed == folded
    # A, B, D within 6 h; C a second late; E in time at 0.75 h, F late.
    assert folded["counts"]["responded_in_time"] == 4
    assert folded["counts"]["responded_late"] == 2


def test_the_days_kept_split_at_midnight_in_shanghai():
    """Tickets either side of midnight at the month's end count in their own
    month, from the days kept, as folded: also asked in another zone, where
    the month's ends are part days counted from the facts."""
    data = Data()
    for name, moment in (
        ("N1", "2026-11-30T23:59:59.999999+08:00"),
        ("D1", "2026-12-01T00:00:00+08:00"),
        ("D2", "2026-12-01T00:00:00.000001+08:00"),
    ):
        data.ticket(name, "housing", moment)
        data.event(name, "dispatched", moment, unit="property")
    november, december = data.month("2026-11"), data.month("2026-12")
    assert (november["tickets"], december["tickets"]) == (1, 2)
    assert november["counts"]["responded_in_time"] == 1
    assert december["units"]["property"]["dispatched"] == 2
    berlin = ZoneInfo("Europe/Berlin")
    for month, expected in (("2026-11", 3), ("2026-12", 0)):
        folded, summed = folded_and_summed(
            data.tickets, data.events, month, AS_OF, zone=berlin
        )
        assert summed == folded
        assert folded["tickets"] == expected


def test_the_same_rows_in_any_order_give_the_same_figures():
    data = november()
    forward = figures(
        all_facts(data.tickets, data.events, RULES, AS_OF),
        month_period("2026-11", ZONE),
        AS_OF,
        RULES,
    )
    backward = figures(
        all_facts(data.tickets[::-1], data.events[::-1], RULES, AS_OF),
        month_period("2026-11", ZONE),
        AS_OF,
        RULES,
    )
    assert {k: v for k, v in forward.items() if not k.startswith("by_")} == {
        k: v for k, v in backward.items() if not k.startswith("by_")
    }


# -- the station's database and `kiosk report` -----------------------------------


LATER = "2026-12-10T12:00:00+08:00"


def test_a_ticket_received_after_as_of_does_not_count_yet(
    kiosk_config, desk_month, capsys
):
    code, out, _ = run_kiosk_command(capsys, "report", "month", "2026-11", "--json",
                       "--as-of", "2026-11-30T23:59:58+08:00")  # fmt: skip
    assert json.loads(out)["tickets"] == 3


@pytest.fixture
def desk_month(settings, head):
    return fill_desk_month(settings, head)


def test_kiosk_report_month_json(kiosk_config, desk_month, capsys):
    code, out, err = run_kiosk_command(
        capsys, "report", "month", "2026-11", "--json",
        "--as-of", "2026-12-10T12:00:00+08:00",
    )  # fmt: skip
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["station"] == "PHY3"
    assert report["tickets"] == 4
    assert report["counts"]["duplicates"] == 1
    # In time: the first (1 h of 4); late: the second (6 h), the last (none).
    assert report["response_rate"] == round(1 / 3, 6)
    assert (report["counts"]["called_back"], report["counts"]["solved"]) == (2, 2)
    assert report["resolution_rate"] == 1.0
    assert report["satisfaction_rate"] == 1.0
    assert report["counts"]["reopenings"] == 2
    # 不满意 reopens without a new dispatch: two dispatches, four 办结.
    assert report["units"]["property"]["dispatched"] == 2
    assert report["units"]["property"]["resolved"] == 4


def test_kiosk_report_text_csv_units_and_hotspots(
    kiosk_config, desk_month, capsys, tmp_path
):
    code, out, _ = run_kiosk_command(capsys, "report", "month", "2026-11", "--as-of",
                       "2026-12-10T12:00:00+08:00")  # fmt: skip
    assert code == 0
    assert "响应率\t33.3%\t(1/3)" in out
    assert "满意率\t100.0%\t(2/2)" in out
    target = tmp_path / "month.csv"
    assert (
        run_kiosk_command(
            capsys, "report", "month", "2026-11", "--csv", str(target), "--as-of", LATER
        )[0]
        == 0
    )
    rows = target.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0] == "figure,value" and "tickets,4" in rows
    code, out, _ = run_kiosk_command(capsys, "report", "units", "2026-11", "--json")
    assert json.loads(out)["units"]["property"]["resolved"] == 4
    code, out, _ = run_kiosk_command(capsys, "report", "units", "2026-11")
    assert "物业公司\t2\t" in out
    code, out, _ = run_kiosk_command(capsys, "report", "hotspots", "2026-11", "--json")
    spots = json.loads(out)["hotspots"]
    # Three at 五巷3号楼, the duplicate left out: two, not a hot spot; the grid
    # holds the same two.
    assert spots == []


def test_kiosk_report_refuses_a_bad_month_in_words(kiosk_config, station_db, capsys):
    for argv in (("report", "month", "2026-13"), ("report", "month", "11/2026"),
                 ("report", "units", "--as-of", "yesterday")):  # fmt: skip
        code, out, err = run_kiosk_command(capsys, *argv)
        assert code == 2 and out == ""
        assert err.startswith("kiosk: ") and "Traceback" not in err


# -- the monthly plan ----------------------------------------------------------


@pytest.fixture
def hot_month(settings, head):
    """Three sanitation tickets at 1号楼 in November: one hot spot by building
    (first) and one by grid."""
    numbers = [
        issue(settings, "sanitation", "rubbish", "", "1号楼",
              at=at(f"2026-11-{day}T08:00:00+08:00")).ticket_no
        for day in ("20", "21", "22")
    ]  # fmt: skip
    desk.dispatch(settings, head, numbers[0], "enforcement",
                  now=at("2026-11-20T09:00:00+08:00"))  # fmt: skip
    desk.resolve(settings, head, numbers[0], "清运完毕",
                 now=at("2026-11-20T12:00:00+08:00"))  # fmt: skip
    desk.call_back(settings, head, numbers[0], "satisfied",
                   now=at("2026-11-21T12:00:00+08:00"))  # fmt: skip
    return numbers


@pytest.fixture
def crowded_month(settings, station_db):
    """24 sanitation tickets at 1号楼 in November: more than a hot spot
    lists in the month's report."""
    return [
        issue(settings, "sanitation", "rubbish", "", "1号楼",
              at=at(f"2026-11-{day:02d}T08:00:00+08:00")).ticket_no
        for day in range(1, 25)
    ]  # fmt: skip


def test_every_ticket_of_a_crowded_hot_spot_where_it_is_needed(
    kiosk_config, crowded_month, capsys, tmp_path
):
    """The month's report lists a hot spot's latest 20 tickets (its XLSX
    says how many more); ``kiosk report hotspots`` and a plan item made
    from it have all 24."""
    from openpyxl import load_workbook

    as_of = ("--as-of", "2026-11-25T12:00:00+08:00")
    target = tmp_path / "报表.xlsx"
    code, _, err = run_kiosk_command(capsys, "report", "month", "2026-11",
                                     "--xlsx", str(target), *as_of)  # fmt: skip
    assert (code, err) == (0, "")
    spot_rows = list(load_workbook(target)["热点"].iter_rows(values_only=True))
    assert spot_rows[1][2:4] == ("1号楼", 24)
    assert spot_rows[1][5] == " ".join(crowded_month[4:]) + " 等，另有 4 件"
    code, out, _ = run_kiosk_command(capsys, "report", "month", "2026-11", "--json",
                                     *as_of)  # fmt: skip
    spot = json.loads(out)["hotspots"][0]
    assert (spot["place"], spot["count"]) == ("1号楼", 24)
    assert spot["tickets"] == crowded_month[4:]
    assert spot["tickets_unlisted"] == 4
    code, out, _ = run_kiosk_command(capsys, "report", "hotspots", "2026-11",
                                     "--json", *as_of)  # fmt: skip
    spots = json.loads(out)["hotspots"]
    assert [spot["tickets"] for spot in spots] == [crowded_month, crowded_month]
    assert [spot["tickets_unlisted"] for spot in spots] == [0, 0]
    code, out, _ = run_kiosk_command(capsys, "report", "hotspots", "2026-11",
                                     "--csv", "-", *as_of)  # fmt: skip
    assert " ".join(crowded_month) in out
    code, out, err = run_kiosk_command(
        capsys, "plan", "add", "2026-11", "--hotspot", "1"
    )
    assert (code, err) == (0, "")
    code, out, _ = run_kiosk_command(capsys, "plan", "list", "2026-11", "--json")
    (item,) = json.loads(out)["items"]
    assert item["tickets"] == sorted(crowded_month)


def test_a_plan_item_from_a_hot_spot(kiosk_config, hot_month, capsys):
    code, out, err = run_kiosk_command(
        capsys, "plan", "add", "2026-11", "--hotspot", "1", "--target", "2026-12-15"
    )
    assert (code, err) == (0, "")
    assert "（3 张工单）" in out
    code, out, _ = run_kiosk_command(capsys, "plan", "list", "2026-11", "--json")
    (item,) = json.loads(out)["items"]
    assert item["title"] == "1号楼 环境卫生集中治理"
    assert item["unit"] == "enforcement"  # the category's unit
    assert item["tickets"] == sorted(hot_month)
    assert item["tickets_finished"] == 1  # the one closed after its call-back
    assert item["source"] == "hotspot:sanitation:building:1号楼"
    assert item["status"] == "open"
    assert plan_of_ticket(hot_month[1]) == [(item["id"], "2026-11", item["title"])]
    assert run_kiosk_command(capsys, "plan", "set", str(item["id"]), "--status", "done",
               "--result", "加装垃圾桶，清运改为每日两次")[0] == 0  # fmt: skip
    # December's page shows what came of November's.
    code, out, _ = run_kiosk_command(capsys, "plan", "list", "2026-12")
    assert "2026-11 计划完成情况" in out
    assert "已完成 · 工单 1/3 办结 · 结果：加装垃圾桶，清运改为每日两次" in out


def test_a_plan_item_of_the_heads_own_and_its_refusals(kiosk_config, hot_month, capsys):
    code, out, _ = run_kiosk_command(capsys, "plan", "add", "2026-11", "楼门样板间改造",
                       "--unit", "property", "--ticket", hot_month[2])  # fmt: skip
    assert code == 0
    code, out, _ = run_kiosk_command(
        capsys, "plan", "link", "1", hot_month[0], hot_month[2]
    )
    assert code == 0
    code, out, _ = run_kiosk_command(capsys, "plan", "list", "2026-11", "--json")
    assert json.loads(out)["items"][0]["tickets"] == sorted(hot_month[::2])
    for argv, words in (
        (("plan", "add", "2026-11", "x", "--unit", "nobody"), "未知单位"),
        (("plan", "add", "2026-11", "  ", "--unit", "property"), "标题"),
        (
            ("plan", "add", "2026-11", "x", "--unit", "property", "--target", "12/15"),
            "YYYY-MM-DD",
        ),  # fmt: skip
        (
            (
                "plan",
                "add",
                "2026-11",
                "x",
                "--unit",
                "property",
                "--ticket",
                "PHY3-000000-000",
            ),
            "没有工单",
        ),  # fmt: skip
        (("plan", "add", "2026-11", "--hotspot", "9"), "没有第 9 个热点"),
        (("plan", "set", "99", "--status", "done"), "没有计划事项 99"),
        (("plan", "list", "2026-13"), "不是月份"),
    ):
        code, out, err = run_kiosk_command(capsys, *argv)
        assert code != 0 and words in err and "Traceback" not in err, argv


def test_the_month_as_an_xlsx_workbook(kiosk_config, hot_month, capsys, tmp_path):
    from openpyxl import load_workbook  # the one test that reads a workbook

    assert run_kiosk_command(capsys, "plan", "add", "2026-11", "--hotspot", "1")[0] == 0
    target = tmp_path / "报表.xlsx"
    code, out, err = run_kiosk_command(capsys, "report", "month", "2026-11", "--xlsx",
                         str(target), "--as-of", LATER)  # fmt: skip
    assert (code, err) == (0, "")
    book = load_workbook(target)
    assert book.sheetnames == ["三率", "类别", "单位", "热点", "计划"]
    rates = [list(row) for row in book["三率"].iter_rows(values_only=True)]
    assert rates[0][0] == "PHY3 2026-11 报表"
    # Three tickets: one answered in 1 h; two never (late by 10 December).
    assert rates[2] == ["响应率", round(1 / 3, 6), 1, 3, None]
    assert rates[4] == ["满意率", 1.0, 1, 1, None]
    assert ["环境卫生", 3] in [
        list(r) for r in book["类别"].iter_rows(values_only=True)
    ]
    plan_rows = list(book["计划"].iter_rows(values_only=True))
    assert plan_rows[1][2:6] == (
        "1号楼 环境卫生集中治理",
        "综合行政执法队",
        None,  # no target date: an empty cell
        "未开始",
    )
    code, _, err = run_kiosk_command(capsys, "report", "month", "2026-11", "--xlsx",
                       str(tmp_path / "no" / "such" / "x.xlsx"))  # fmt: skip
    assert code == 1 and "cannot write" in err and "Traceback" not in err


def test_what_recurs_leaves_out_an_older_months_duplicate(
    kiosk_config, settings, head, capsys
):
    """September is read without its events but its withdrawals: two tickets
    and a duplicate there are not a hot spot."""
    numbers = []
    for month in ("09", "10", "11"):
        for day in ("03", "13", "23"):
            moment = at(f"2026-{month}-{day}T09:00:00+08:00")
            ticket = issue(settings, "sanitation", "rubbish", "", "沿街商铺", at=moment)
            numbers.append(ticket.ticket_no)
    desk.withdraw(settings, head, numbers[2], "duplicate", original_no=numbers[1],
                  now=at("2026-09-23T10:00:00+08:00"))  # fmt: skip
    code, out, _ = run_kiosk_command(capsys, "report", "hotspots", "2026-11", "--json",
                       "--as-of", LATER)  # fmt: skip
    recurring = {spot["place"]: spot["months"] for spot in json.loads(out)["recurring"]}
    assert recurring["沿街商铺"] == ["2026-10", "2026-11"]
