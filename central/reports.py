"""The subdistrict's numbers: every station's month, computed by the same
code as the station's own (kiosk/reports.py) over the central's tables.

The central knows no station's grids, so its ``by_grid`` is ``-`` and its hot
spots are by building only; everything else equals the station's figures for
the same month and ``as_of`` (docs/reports.md).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from central.db import CentralDatabase
from central.store.rows import fact_query
from kiosk.catalog import Catalog
from kiosk.config import DEFAULT_TIMEZONE, ReportSettings
from kiosk.report_facts import (
    CENTRAL_STORE,
    facts_are_stale,
    micros,
    refresh_some_stale,
)
from kiosk.report_sums import Group, merged, needs_events, report_of, sum_months
from kiosk.reports import (
    ReadWindow,
    Rules,
    all_facts,
    figures,
    month_period,
    month_report,
    previous_month,
    read_rows,
    read_window,
    units,
)

RANKED_BY = ("composite_score", "response_rate")


Rows = list[dict[str, Any]]


def read_central(
    db: CentralDatabase, window: ReadWindow
) -> tuple[Rows, Rows, list[tuple[str, str]]]:
    """Every station's tickets and events for ``window``, as the same plain
    rows the station reads, and the registered stations."""
    with db.read():
        tickets, events = read_rows(db.rows, window, "event")
        stations = [
            (str(code), str(name))
            for code, name in db.rows("SELECT code, name FROM station ORDER BY code")
        ]
    return tickets, events, stations


def ranking(stations: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Stations by composite score, then response rate, then code; a station
    without a score last."""

    def key(code: str) -> tuple[Any, ...]:
        figures_ = stations[code]
        score = figures_["composite_score"]
        response = figures_["response_rate"]
        return (
            score is None,
            -(score or 0.0),
            response is None,
            -(response or 0.0),
            code,
        )

    return [
        {
            "rank": place,
            "station": code,
            "composite_score": stations[code]["composite_score"],
            "response_rate": stations[code]["response_rate"],
            "resolution_rate": stations[code]["resolution_rate"],
            "satisfaction_rate": stations[code]["satisfaction_rate"],
        }
        for place, code in enumerate(sorted(stations, key=key), start=1)
    ]


def subdistrict_month(
    db: CentralDatabase,
    catalog: Catalog,
    month: str,
    as_of: datetime,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    settings: ReportSettings | None = None,
) -> dict[str, Any]:
    """``kiosk-central report month``: each station's month, the
    subdistrict's over all their tickets together, and a ranking."""
    zone = ZoneInfo(timezone)
    period = month_period(month, zone)  # a bad month fails before reading
    rules = Rules(catalog, settings or ReportSettings())
    window = read_window(month, zone)
    query = fact_query(db)
    # What the migration marked is folded first, a chunk per transaction:
    # pushes are stored between them.
    folding = facts_are_stale(query)
    while folding:
        with db.write():
            folding = refresh_some_stale(query, CENTRAL_STORE) is not None
    with db.read():
        if not needs_events(
            query, micros(window.tickets.start), micros(window.tickets.end), as_of
        ):
            registered = [
                (str(code), str(name))
                for code, name in query(
                    "SELECT code, name FROM station ORDER BY code", ()
                )
            ]
            groups = sum_months(query, month, zone, rules, as_of, by_station=True)
            return _assembled(groups, registered, month, zone, rules, as_of, timezone)
    tickets, events, registered = read_central(db, window)
    by_station: dict[str, Rows] = defaultdict(list)
    station_of: dict[str, str] = {}
    for ticket in tickets:
        by_station[str(ticket["station"])].append(ticket)
        station_of[str(ticket["uuid"])] = str(ticket["station"])
    events_of: dict[str, Rows] = defaultdict(list)
    for event in events:
        events_of[station_of.get(str(event["ticket_uuid"]), "")].append(event)
    names = dict(registered)
    stations: dict[str, dict[str, Any]] = {}
    for code in sorted(set(names) | set(by_station)):
        report = month_report(
            by_station.get(code, []),
            events_of.get(code, []),
            month,
            zone,
            rules,
            as_of,
        )
        stations[code] = {"station": code, "name": names.get(code, ""), **report}
    facts = all_facts(tickets, events, rules, as_of)
    whole = figures(facts, period, as_of, rules)
    last = figures(facts, month_period(previous_month(month), zone), as_of, rules)
    whole["previous"] = {
        name: last[name]
        for name in (
            "tickets",
            "response_rate",
            "resolution_rate",
            "satisfaction_rate",
            "composite_score",
        )
    }
    whole["units"] = units(facts, period, rules)
    return {
        "period": whole["period"],
        "as_of": as_of.isoformat(),
        "timezone": timezone,
        "subdistrict": whole,
        "stations": stations,
        "ranking": ranking(stations),
    }


def _assembled(
    groups: dict[str, Group],
    registered: list[tuple[str, str]],
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
    timezone: str,
) -> dict[str, Any]:
    """The subdistrict's report from the stations' sums."""
    names = dict(registered)
    stations: dict[str, dict[str, Any]] = {}
    for code in sorted(set(names) | set(groups)):
        report = report_of(groups.get(code, Group()), month, zone, rules, as_of)
        stations[code] = {"station": code, "name": names.get(code, ""), **report}
    whole = report_of(merged(groups.values()), month, zone, rules, as_of, spots=False)
    return {
        "period": whole["period"],
        "as_of": as_of.isoformat(),
        "timezone": timezone,
        "subdistrict": whole,
        "stations": stations,
        "ranking": ranking(stations),
    }
