"""The stored facts (kiosk/report_facts.py) and the month summed from them in
SQL (kiosk/report_sums.py) equal what folding every event gives
(kiosk.reports.month_report), on a real SQLite file."""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from db import database, open_database
from kiosk import report_facts, report_sums
from kiosk.catalog import load_catalog
from kiosk.config import DEMO_STATION, ReportSettings
from kiosk.reports import Rules, month_report
from kiosk.states import ALLOWED_FROM, TransitionError, next_status

ZONE = ZoneInfo("Asia/Shanghai")
RULES = Rules(load_catalog(), ReportSettings(), DEMO_STATION.grids)


def load_rows(
    path: Path, tickets: Sequence[dict[str, Any]], events: Sequence[dict[str, Any]]
) -> None:
    """Plain rows into a fresh station database, the events one by one in
    their order, as the station writes them (the trigger marks each ticket
    to be folded; nothing folds it here)."""
    open_database(path)
    with database.atomic():
        for ticket in tickets:
            database.execute_sql(
                "INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, "
                "category, item, building, created_at, status, unit, due_at, token) "
                "VALUES (?, ?, 'A001', ?, '2026-11-01', ?, ?, ?, ?, 'received', "
                "?, ?, 't')",
                (
                    ticket["uuid"],
                    ticket["ticket_no"],
                    ticket["station"],
                    ticket["category"],
                    ticket["item"],
                    ticket["building"],
                    ticket["created_at"],
                    ticket["unit"],
                    ticket["due_at"],
                ),
            )
        for number, event in enumerate(events):
            database.execute_sql(
                "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at, "
                "payload) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    f"event-{number}",
                    event["ticket_uuid"],
                    event["kind"],
                    event["actor"],
                    event["at"],
                    event["payload"],
                ),
            )


def summed(month: str, as_of: datetime, rules: Rules = RULES) -> dict[str, Any]:
    """The month from the stored facts, folding what is marked first."""
    query = report_facts.station_query
    with database.atomic():
        report_facts.refresh_stale(query, report_facts.STATION_STORE)
    assert not report_facts.facts_are_stale(query)
    groups = report_sums.sum_months(query, month, ZONE, rules, as_of, by_station=False)
    group = groups.get(report_sums.WHOLE, report_sums.Group())
    return report_sums.report_of(group, month, ZONE, rules, as_of)


def folded_and_summed(
    tickets: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    month: str,
    as_of: datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The month both ways: folded from the rows, and summed in SQL from a
    real SQLite file holding the same rows."""
    folded = month_report(tickets, events, month, ZONE, RULES, as_of)
    with tempfile.TemporaryDirectory() as folder:
        load_rows(Path(folder) / "kiosk.db", tickets, events)
        try:
            return folded, summed(month, as_of)
        finally:
            database.close()


def stored_facts() -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in database.execute_sql(
            f"SELECT {', '.join(report_facts.FACT_COLUMNS)} FROM ticket_fact "
            "ORDER BY ticket_uuid"
        )
    ]


def stored_units() -> list[tuple[Any, ...]]:
    return sorted(
        tuple(row)
        for row in database.execute_sql(
            f"SELECT {', '.join(report_facts.UNIT_COLUMNS)} FROM unit_fact"
        )
    )


# -- random histories ---------------------------------------------------------

KINDS = (
    "dispatched",
    "acknowledged",
    "resolved",
    "escalated",
    "callback",
    "withdrawn",
    "note",
    "unit_rated",
)
UNITS = ("property", "enforcement", "police", "market", "fire", "station")
CATEGORIES = tuple(category.code for category in RULES.catalog.categories)
CALL_BACKS = (
    {"rating": "satisfied"},
    {"rating": "basically_satisfied"},
    {"rating": "dissatisfied"},
    {"rating": "satisfied", "solved": False},
    {"rating": "dissatisfied", "solved": True},
    {"rating": "basically_satisfied", "solved": "未解决"},
    {"unreachable": True, "tries": 3},
    {"outcome": "无法回访"},
    {"reachable": False},
)
BUILDINGS = ("1号楼", "2号楼", "3号楼", "沿街商铺", "")
ACTORS = ("kiosk:PHY3", "open311:app", "staff:李娜", "central")


def payload_for(kind: str, pick: random.Random) -> dict[str, Any]:
    if kind in ("dispatched", "acknowledged"):
        return {"unit": pick.choice(UNITS)}
    if kind == "callback":
        return dict(pick.choice(CALL_BACKS))
    if kind == "withdrawn":
        return {
            "reason": pick.choice(("duplicate", "out_of_scope", "resident_withdrew"))
        }
    if kind == "unit_rated":
        return {
            "unit": pick.choice(UNITS),
            "rating": pick.choice(
                ("satisfied", "basically_satisfied", "dissatisfied", "?")
            ),
        }
    return {"text": "办理中"}


def random_station(
    seed: int, count: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count`` tickets over October to December 2026, each with a random
    sequence of events (some the state machine refuses), times in random
    order and offsets, some exactly at a local midnight."""
    pick = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=ZONE)
    tickets: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for number in range(count):
        if pick.random() < 0.1:
            created = start + timedelta(days=pick.randrange(0, 75))
        else:
            created = start + timedelta(minutes=pick.randrange(0, 75 * 24 * 60))
        if pick.random() < 0.3:
            created = created.astimezone(ZoneInfo("UTC"))
        category = pick.choice(CATEGORIES)
        uuid = f"T{seed}-{number}"
        tickets.append(
            {
                "uuid": uuid,
                "ticket_no": f"PHY3-{seed}-{number:04d}",
                "station": "PHY3",
                "category": category,
                "item": pick.choice(("other", "leak", "noise")),
                "building": pick.choice(BUILDINGS),
                "unit": RULES.catalog.category(category).unit,
                "created_at": created.isoformat(),
                "due_at": (
                    created + timedelta(hours=pick.choice((24, 72)))
                ).isoformat(),
            }
        )
        events.append(
            {
                "ticket_uuid": uuid,
                "kind": "received",
                "actor": pick.choice(ACTORS),
                "at": created.isoformat(),
                "payload": "{}",
            }
        )
        moment = created
        status = "received"
        for _ in range(pick.randrange(0, 12)):
            moment += timedelta(minutes=pick.randrange(-30, 3000))
            allowed = [kind for kind in KINDS if status in ALLOWED_FROM[kind]]
            # Mostly what the desk may do next; now and then what it may not.
            choices = KINDS if pick.random() < 0.15 else allowed
            weights = [1 if kind == "withdrawn" else 5 for kind in choices]
            kind = pick.choices(choices, weights)[0]
            payload = payload_for(kind, pick)
            try:
                status = next_status(status, kind, payload)
            except TransitionError:
                pass
            events.append(
                {
                    "ticket_uuid": uuid,
                    "kind": kind,
                    "actor": "staff:李娜",
                    "at": moment.isoformat(),
                    "payload": json.dumps(payload, ensure_ascii=False),
                }
            )
    pick.shuffle(events)  # the stations' order of writing: any
    return tickets, events


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6), month=st.sampled_from(
    ("2026-10", "2026-11", "2026-12")))  # fmt: skip
def test_the_sums_equal_folding_every_event_after_random_histories(seed, month):
    tickets, events = random_station(seed, 120)
    as_of = datetime(2027, 1, 20, tzinfo=ZONE)
    folded, sums = folded_and_summed(tickets, events, month, as_of)
    assert sums == folded


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_the_facts_kept_with_each_event_equal_a_fold_from_scratch(seed):
    """Folding after each event (as the write paths do) leaves the same facts
    as folding the whole history once."""
    tickets, events = random_station(seed, 40)
    with tempfile.TemporaryDirectory() as folder:
        load_rows(Path(folder) / "one.db", tickets, [])
        try:
            for number, event in enumerate(events):
                with database.atomic():
                    database.execute_sql(
                        "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, "
                        "at, payload) VALUES (?, ?, ?, ?, ?, ?)",
                        (
                            f"event-{number}",
                            event["ticket_uuid"],
                            event["kind"],
                            event["actor"],
                            event["at"],
                            event["payload"],
                        ),
                    )
                    report_facts.refresh_station([event["ticket_uuid"]])
            assert not report_facts.facts_are_stale(report_facts.station_query)
            step_by_step = (stored_facts(), stored_units())
        finally:
            database.close()
        load_rows(Path(folder) / "two.db", tickets, events)
        try:
            with database.atomic():
                report_facts.refresh_stale(
                    report_facts.station_query, report_facts.STATION_STORE
                )
            assert (stored_facts(), stored_units()) == step_by_step
        finally:
            database.close()
