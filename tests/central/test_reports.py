"""``kiosk-central report month``: a station's figures at the central equal
the station's own, on SQLite and on PostgreSQL (docs/reports.md)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central.db import MIGRATIONS, CentralDatabase, parse_target
from central.reports import read_central, subdistrict_month
from central.schemas import PushBatch
from central.store.push import prepare_push, write_push
from central.store.rows import fact_query
from central.store.stations import add_station
from db import database, open_database
from kiosk import accounts, desk
from kiosk.catalog import load_catalog
from kiosk.config import DEMO_STATION, Settings
from kiosk.demo import load_demo
from kiosk.report_facts import rebuild_place_days
from kiosk.report_sums import station_month
from kiosk.reports import (
    Rules,
    month_report,
    read_station,
    read_window,
    station_rules,
)
from tests.central.conftest import run_cli, scratch_database
from tests.helpers import FIXED_NOW, HEAD_PIN, at, fill_desk_month, issue

AS_OF = "2026-12-10T12:00:00+08:00"
# What the central cannot know: the station's grids.
STATION_ONLY = ("by_grid", "hotspots", "recurring", "station", "name")

# The version whose step makes place_day.
PLACE_DAY_STEP = next(
    number
    for number, step in enumerate(MIGRATIONS, start=1)
    if any("CREATE TABLE place_day" in sql for sql in step.sqlite)
)


@pytest.fixture(params=["sqlite", "postgresql"])
def central_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with scratch_database(request.param, tmp_path, "kiosk_central_report") as url:
        yield url


def push_station(url: str, code: str) -> None:
    """Everything in the open station database, pushed as its sync would."""
    rows = database.execute_sql(
        "SELECT e.uuid, e.ticket_uuid, t.ticket_no, t.station, e.kind, e.actor, "
        "e.at, e.payload FROM ticket_event e JOIN ticket t ON t.uuid = e.ticket_uuid "
        "ORDER BY e.id"
    ).fetchall()
    names = ("uuid", "ticket_uuid", "ticket_no", "station", "kind", "actor", "at")
    batch = PushBatch.model_validate(
        {
            "events": [
                {
                    **dict(zip(names, row[:7], strict=True)),
                    "payload": json.loads(row[7]),
                }
                for row in rows
            ]
        }
    )
    db = CentralDatabase(parse_target(url))
    db.open()
    try:
        add_station(db, code, f"{code} 社区", "test")
        write_push(db, code, prepare_push(code, batch, FIXED_NOW.isoformat()))
    finally:
        db.close()


def station_figures(settings: Settings) -> dict[str, Any]:
    """The station's month, summed from its stored facts; folding every
    event gives the same."""
    report = station_month(settings, load_catalog(), "2026-11", at(AS_OF))
    rules = station_rules(settings, load_catalog())
    folded = month_report(
        *read_station(read_window("2026-11", settings.zone)),
        "2026-11",
        settings.zone,
        rules,
        at(AS_OF),
    )
    assert report == {"station": settings.station.code, **folded}
    return {key: value for key, value in report.items() if key not in STATION_ONLY}


def second_station(settings: Settings, tmp_path: Path) -> Settings:
    """DTJ7: one ticket answered in 1 h and rated 满意."""
    other = dataclasses.replace(
        settings,
        station=dataclasses.replace(DEMO_STATION, code="DTJ7"),
        database_path=tmp_path / "dtj7" / "kiosk.db",
    )
    open_database(other.database_path)
    accounts.add_user(other, "zhao", "head", HEAD_PIN, now=FIXED_NOW)
    head = accounts.login(other, "zhao", HEAD_PIN, now=FIXED_NOW)
    number = issue(other, at=at("2026-11-20T09:00:00+08:00")).ticket_no
    desk.dispatch(other, head, number, "property", now=at("2026-11-20T10:00+08:00"))
    desk.resolve(other, head, number, "修好", now=at("2026-11-21T09:00+08:00"))
    desk.call_back(other, head, number, "satisfied", now=at("2026-11-22T09:00+08:00"))
    return other


def test_the_central_computes_what_the_stations_compute(
    settings, head, central_url, tmp_path
):
    fill_desk_month(settings, head)
    own = {"PHY3": station_figures(settings)}
    push_station(central_url, "PHY3")
    database.close()
    other = second_station(settings, tmp_path)
    own["DTJ7"] = station_figures(other)
    push_station(central_url, "DTJ7")
    database.close()

    result = run_cli(central_url, "report", "month", "2026-11", "--json",
                     "--as-of", AS_OF)  # fmt: skip
    report = json.loads(result.stdout)
    assert set(report["stations"]) == {"PHY3", "DTJ7"}
    for code, figures in own.items():
        central = report["stations"][code]
        assert {k: v for k, v in central.items() if k not in STATION_ONLY} == figures
        assert central["name"] == f"{code} 社区"
    # PHY3 by hand (tests/unit/test_reports.py): 4 tickets, 1 of 3 in time,
    # 2 of 2 solved and satisfied; DTJ7: 1 ticket, all three rates 1.
    assert own["PHY3"]["response_rate"] == round(1 / 3, 6)
    assert own["DTJ7"]["composite_score"] == 100.0
    whole = report["subdistrict"]
    assert whole["tickets"] == 5
    assert whole["counts"]["responded_in_time"] == 2
    assert whole["counts"]["response_base"] == 4
    assert whole["response_rate"] == 0.5
    assert whole["satisfaction_rate"] == 1.0
    assert [entry["station"] for entry in report["ranking"]] == ["DTJ7", "PHY3"]
    assert [entry["rank"] for entry in report["ranking"]] == [1, 2]


def test_the_central_report_as_text_and_its_refusals(central_url):
    result = run_cli(central_url, "report", "month", "2026-11", "--as-of", AS_OF)
    assert "街道合计" in result.stdout and "Traceback" not in result.stderr
    for argv in (("2026-13",), ("2026-11", "--as-of", "tomorrow")):
        result = run_cli(central_url, "report", "month", *argv, check=False)
        assert result.returncode == 1
        assert result.stderr.startswith("kiosk-central: ")
        assert "Traceback" not in result.stderr


def test_what_recurs_at_the_central_from_its_days_counts(settings, central_url):
    """A generated station pushed to the central: its days' counts equal its
    facts', also as the migration makes them for an older central, and its
    hot spots and what recurs (by building) equal a fold of every event."""
    open_database(settings.database_path)
    load_demo(settings, 1200, seed=9, days=150, now=FIXED_NOW, batch_tickets=600)
    push_station(central_url, "PHY3")
    database.close()
    db = CentralDatabase(parse_target(central_url))
    db.open()
    try:
        query = fact_query(db)
        kept = sorted(query("SELECT * FROM place_day", ()))
        with db.write():
            rebuild_place_days(query)
        assert sorted(query("SELECT * FROM place_day", ())) == kept
        with db.write():
            db.execute("DROP TABLE place_day")
            db.execute(
                "UPDATE central_meta SET value = ? WHERE key = 'schema_version'",
                (str(PLACE_DAY_STEP - 1),),
            )
    finally:
        db.close()
    db = CentralDatabase(parse_target(central_url))
    db.open()  # migrates
    try:
        assert sorted(fact_query(db)("SELECT * FROM place_day", ())) == kept
        catalog = load_catalog()
        zone = settings.zone
        for month in ("2026-09", "2026-10", "2026-11"):
            summed = subdistrict_month(db, catalog, month, FIXED_NOW)["stations"]
            tickets, events, _ = read_central(db, read_window(month, zone))
            folded = month_report(
                tickets, events, month, zone, Rules(catalog), FIXED_NOW
            )
            assert folded["recurring"]
            for key in ("hotspots", "recurring", "tickets", "by_building"):
                assert summed["PHY3"][key] == folded[key]
    finally:
        db.close()
