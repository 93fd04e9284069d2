"""The stored facts (kiosk/report_facts.py) and the month summed from them in
SQL (kiosk/report_sums.py) equal what folding every event gives
(kiosk.reports.month_report), on a real SQLite file."""

from __future__ import annotations

import json
import random
import tempfile
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from db import database, open_database
from db.migrations import MIGRATIONS
from kiosk import report_facts, report_sums
from kiosk.catalog import load_catalog
from kiosk.config import DEMO_STATION, ReportSettings
from kiosk.demo import load_demo
from kiosk.reports import Rules, month_report, read_station, read_window
from kiosk.states import ALLOWED_FROM, TransitionError, next_status
from tests.helpers import FIXED_NOW

# The version whose step makes place_day.
PLACE_DAY_STEP = next(
    number
    for number, step in enumerate(MIGRATIONS, start=1)
    if any("CREATE TABLE IF NOT EXISTS place_day" in sql for sql in step)
)

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


def summed(
    month: str, as_of: datetime, rules: Rules = RULES, zone: ZoneInfo = ZONE
) -> dict[str, Any]:
    """The month from the stored facts, folding what is marked first."""
    query = report_facts.station_query
    with database.atomic():
        report_facts.refresh_stale(query, report_facts.STATION_STORE)
    assert not report_facts.facts_are_stale(query)
    groups = report_sums.sum_months(query, month, zone, rules, as_of, by_station=False)
    group = groups.get(report_sums.WHOLE, report_sums.Group())
    return report_sums.report_of(group, month, zone, rules, as_of)


def folded_and_summed(
    tickets: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    month: str,
    as_of: datetime,
    zone: ZoneInfo = ZONE,
    rules: Rules = RULES,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The month both ways: folded from the rows, and summed in SQL from a
    real SQLite file holding the same rows (whose days' counts must equal
    the facts they were kept with)."""
    folded = month_report(tickets, events, month, zone, rules, as_of)
    with tempfile.TemporaryDirectory() as folder:
        load_rows(Path(folder) / "kiosk.db", tickets, events)
        try:
            sums = summed(month, as_of, rules, zone=zone)
            assert stored_places() == places_from_facts()
            assert stored_report_days() == report_days_from_facts()
            return folded, sums
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


def stored_places() -> list[tuple[Any, ...]]:
    """``place_day`` as kept with the facts."""
    return [
        tuple(row)
        for row in database.execute_sql(
            "SELECT day, station, category, building, tickets FROM place_day "
            "ORDER BY 1, 2, 3, 4"
        )
    ]


def places_from_facts() -> list[tuple[Any, ...]]:
    """``place_day`` as counted afresh from the facts, by its definition: the
    tickets that are no duplicates per local day at UTC+8 and place."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for received_us, station, category, building in database.execute_sql(
        "SELECT received_us, station, category, building FROM ticket_fact "
        "WHERE duplicate = 0"
    ):
        received = report_facts.EPOCH + timedelta(microseconds=received_us)
        day = (received.astimezone(ZONE).date() - date(1970, 1, 1)).days
        counts[(day, station, category, building)] += 1
    return sorted((*key, count) for key, count in counts.items())


def stored_report_days() -> list[tuple[Any, ...]]:
    """``report_day`` as kept with the facts, event by event."""
    return [
        tuple(row)
        for row in database.execute_sql(
            "SELECT day, station, figure, a, b, c, tickets FROM report_day "
            "ORDER BY 1, 2, 3, 4, 5, 6"
        )
    ]


def report_days_from_facts() -> list[tuple[Any, ...]]:
    """``report_day`` as counted afresh from the facts as they stand."""
    return sorted(
        tuple(row)
        for row in database.execute_sql(
            report_facts.REPORT_DAY_ROWS.format(facts="true", units="true")
        )
    )


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
    seed: int, count: int, categories: Sequence[str] = CATEGORIES
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``count`` tickets over October to December 2026, each with a random
    sequence of events (some the state machine refuses), times in random
    order and offsets, some exactly at a local midnight; in ``categories``
    (few make hot spots that recur)."""
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
        category = pick.choice(categories)
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
            step_by_step = (stored_facts(), stored_units(), stored_places())
            assert stored_places() == places_from_facts()
        finally:
            database.close()
        load_rows(Path(folder) / "two.db", tickets, events)
        try:
            with database.atomic():
                report_facts.refresh_stale(
                    report_facts.station_query, report_facts.STATION_STORE
                )
            assert (stored_facts(), stored_units(), stored_places()) == step_by_step
        finally:
            database.close()


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10**6),
    zone=st.sampled_from(("Asia/Shanghai", "Asia/Kolkata", "America/New_York")),
)
def test_what_recurs_summed_from_days_equals_the_fold_in_any_time_zone(seed, zone):
    """Hot spots that recur month after month (two categories, five places:
    every place is hot), counted from the days' counts and, in a zone whose
    midnight is not UTC+8's, the part-days at each month's ends."""
    tickets, events = random_station(seed, 300, categories=CATEGORIES[:2])
    as_of = datetime(2027, 1, 20, tzinfo=ZONE)
    folded, sums = folded_and_summed(tickets, events, "2026-12", as_of, ZoneInfo(zone))
    assert folded["recurring"]
    assert sums == folded


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=10**6),
    starts=st.lists(
        st.integers(min_value=0, max_value=80 * 86_400 * 10**6), min_size=4, max_size=4
    ),
)
def test_tickets_per_place_over_any_range_equal_a_count_of_the_facts(seed, starts):
    """``place_counts`` (whole days from place_day, part-days from the facts)
    over ranges starting and ending at any microsecond."""
    tickets, events = random_station(seed, 200)
    origin = report_facts.micros(datetime(2026, 10, 1, tzinfo=ZONE))
    ranges = [(origin + low, origin + low + span // 3) for low, span in (
        (starts[0], starts[1]), (starts[2], starts[3]))]  # fmt: skip
    ranges.append((origin, origin + 90 * 86_400 * 10**6))
    with tempfile.TemporaryDirectory() as folder:
        load_rows(Path(folder) / "kiosk.db", tickets, events)
        try:
            query = report_facts.station_query
            with database.atomic():
                report_facts.refresh_stale(query, report_facts.STATION_STORE)
            pairs = sorted(
                (str(category), str(building))
                for category, building in query(
                    "SELECT DISTINCT category, building FROM ticket_fact", ()
                )
            )
            for low, high in ranges:
                counted: Counter[tuple[str, str]] = Counter()
                for _, category, building, count in report_sums.place_counts(
                    query, "''", low, high, pairs
                ):
                    counted[(category, building)] += int(count)
                expected = Counter(
                    {
                        (str(category), str(building)): int(count)
                        for category, building, count in query(
                            "SELECT category, building, count(*) FROM ticket_fact "
                            "WHERE duplicate = 0 AND received_us >= ? "
                            "AND received_us < ? GROUP BY 1, 2",
                            (low, high),
                        )
                    }
                )
                assert +counted == expected
        finally:
            database.close()


def test_an_older_station_has_its_days_counted_from_its_facts(settings, station_db):
    """A station from the schema before ``place_day``: the migration counts
    its days from the facts as they stand (a ticket only marked is counted
    once folded), the same counts as the fold kept, and a generated
    station's months read the same as folded from every event."""
    load_demo(settings, 1500, seed=5, days=160, now=FIXED_NOW, batch_tickets=500)
    kept = stored_places()
    assert kept == places_from_facts()
    duplicates = database.execute_sql(
        "SELECT count(*) FROM ticket_fact WHERE duplicate = 1"
    ).fetchone()[0]
    assert duplicates > 0
    with database.atomic():
        database.execute_sql("DROP TABLE place_day")
        database.execute_sql(f"PRAGMA user_version = {PLACE_DAY_STEP - 1}")
    # A ticket written by a program that does not fold: only marked.
    unfolded = {
        "uuid": "late-1",
        "ticket_no": "PHY3-261124-999",
        "station": "PHY3",
        "category": "sanitation",
        "item": "other",
        "building": DEMO_STATION.grids[0].buildings[0],
        "unit": "property",
        "created_at": "2026-11-24T10:00:00+08:00",
        "due_at": "2026-11-26T10:00:00+08:00",
    }
    database.close()
    load_rows(
        settings.database_path,
        [unfolded],
        [
            {
                "ticket_uuid": "late-1",
                "kind": "received",
                "actor": "kiosk:PHY3",
                "at": unfolded["created_at"],
                "payload": "{}",
            }
        ],
    )
    assert stored_places() == kept  # migrated, the mark not counted yet
    catalog = load_catalog()
    rules = Rules(catalog, settings.reports, settings.station.grids)
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        summed_month = report_sums.station_month(settings, catalog, month, FIXED_NOW)
        tickets, events = read_station(read_window(month, settings.zone))
        folded = month_report(tickets, events, month, settings.zone, rules, FIXED_NOW)
        assert summed_month == {"station": "PHY3", **folded}
        assert folded["hotspots"] and folded["recurring"]
    assert stored_places() == places_from_facts() != kept
