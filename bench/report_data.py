"""A large station for ``python -m bench report``, written in bulk.

Tickets with plausible histories (dispatch, check-in, 办结, call-backs with
both answers, 无法回访, 不满意 reopenings, duplicates, the head's ratings)
over ``days`` days ending at ``now``, no event after ``now``. The tickets and
events go in with executemany; each ticket's report facts are folded by the
real fold (kiosk.reports.ticket_facts, kiosk.report_facts.fact_row and
unit_rows) from the same rows in memory, instead of being read back one by
one, and written over what the station's trigger marked; the days' counts
(place_day) and what a report sums (report_day) are made from them at the
end.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TextIO

from db import database, write_transaction
from kiosk.catalog import Catalog
from kiosk.config import Settings
from kiosk.report_facts import (
    FACT_COLUMNS,
    UNIT_COLUMNS,
    fact_row,
    micros,
    rebuild_place_days,
    rebuild_report_days,
    station_query,
    unit_rows,
)
from kiosk.reports import Facts, ticket_facts

BATCH = 20_000
TICKET_SQL = (
    "INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category, item, "
    "building, created_at, status, unit, due_at, token) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 't')"
)
EVENT_SQL = (
    "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at, payload) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
FACT_SQL = (
    f"INSERT INTO ticket_fact ({', '.join(FACT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(FACT_COLUMNS))}) ON CONFLICT (ticket_uuid) "
    "DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in FACT_COLUMNS[1:])
)
UNIT_SQL = (
    f"INSERT INTO unit_fact ({', '.join(UNIT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(UNIT_COLUMNS))})"
)
CHANNELS = (("kiosk:PHY3", 70), ("staff:王芳", 20), ("open311:PHY3", 10))
CALL_BACKS = (
    ({"rating": "satisfied", "solved": True}, 62),
    ({"rating": "basically_satisfied", "solved": True}, 18),
    ({"rating": "basically_satisfied", "solved": False}, 4),
    ({"rating": "satisfied"}, 4),
    ({"rating": "dissatisfied", "solved": False}, 7),
    ({"unreachable": True, "tries": 3}, 5),
)


class _History:
    def __init__(self, received: datetime, now: datetime) -> None:
        self.at = received
        self.now = now
        self.steps: list[tuple[str, str, datetime, dict[str, Any]]] = []

    def add(self, kind: str, hours: float, actor: str, **payload: Any) -> bool:
        """The next event ``hours`` later, unless that is after now."""
        moment = self.at + timedelta(hours=hours)
        if moment > self.now:
            return False
        self.at = moment
        self.steps.append((kind, actor, moment, payload))
        return True


def _history(
    pick: random.Random, received: datetime, now: datetime, unit: str
) -> list[tuple[str, str, datetime, dict[str, Any]]]:
    story = _History(received, now)
    staff = "staff:王芳"
    if pick.random() < 0.03:
        story.add("withdrawn", pick.uniform(0.1, 2), staff, reason="duplicate")
        return story.steps
    for _round in range(3):
        if not story.add("dispatched", pick.uniform(0.1, 30), staff, unit=unit):
            break
        if pick.random() < 0.85:
            story.add("acknowledged", pick.uniform(0.2, 30), f"unit:{unit}", unit=unit)
        if pick.random() < 0.02:
            story.add("escalated", pick.uniform(1, 48), staff, text="需街道协调")
            break
        if not story.add("resolved", pick.uniform(2, 150), staff, text="已办结"):
            break
        if pick.random() < 0.3:
            rating = pick.choice(("satisfied", "basically_satisfied"))
            story.add("unit_rated", pick.uniform(0.1, 5), staff, unit=unit,
                      rating=rating)  # fmt: skip
        answer = pick.choices(
            [payload for payload, _ in CALL_BACKS],
            [weight for _, weight in CALL_BACKS],
        )[0]
        if not story.add("callback", pick.uniform(2, 72), staff, **answer):
            break
        if answer.get("rating") != "dissatisfied":
            break
    return story.steps


@dataclass
class Made:
    """One generated ticket: its row, its events and its folded facts."""

    row: dict[str, Any]
    history: list[dict[str, Any]]
    facts: Facts
    last_at: datetime


def make_ticket(
    pick: random.Random,
    number: int,
    station: str,
    received: datetime,
    catalog: Catalog,
    buildings: Sequence[str],
    now: datetime,
) -> Made:
    """A ticket received at ``received`` with a plausible history up to
    ``now``, folded by the real fold."""
    category = pick.choice(catalog.categories)
    item = pick.choice(category.items).code if category.items else "other"
    uuid = f"bench-{station}-{number:08d}"
    row = {
        "uuid": uuid,
        "ticket_no": f"{station}-B{number:08d}",
        "station": station,
        "category": category.code,
        "item": item,
        "building": pick.choice(buildings) if pick.random() < 0.9 else "",
        "unit": category.unit,
        "created_at": received.isoformat(),
        "due_at": (received + timedelta(hours=category.resolution_hours)).isoformat(),
        "letter": category.letter,
    }
    actor = pick.choices(
        [actor for actor, _ in CHANNELS], [weight for _, weight in CHANNELS]
    )[0]
    steps = [
        (
            "received",
            actor.replace("PHY3", station),
            received,
            {},
        ),
        *_history(pick, received, now, category.unit),
    ]
    history = [
        {
            "ticket_uuid": uuid,
            "kind": kind,
            "actor": actor,
            "at": moment.isoformat(),
            "payload": json.dumps(payload, ensure_ascii=False),
        }
        for kind, actor, moment, payload in steps
    ]
    return Made(row, history, ticket_facts(row, history, None, now), steps[-1][2])


def received_times(
    pick: random.Random, count: int, days: int, now: datetime
) -> list[datetime]:
    """``count`` moments spread over the ``days`` days before ``now``, in order."""
    start = now - timedelta(days=days)
    span = days * 86400
    return [
        (start + timedelta(seconds=offset)).replace(microsecond=0)
        for offset in sorted(pick.uniform(0, span) for _ in range(count))
    ]


def _batches(
    settings: Settings, catalog: Catalog, count: int, days: int, now: datetime
) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    pick = random.Random(11)
    buildings = [name for grid in settings.station.grids for name in grid.buildings]
    tickets: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    facts: list[tuple[Any, ...]] = []
    units: list[tuple[Any, ...]] = []
    for number, received in enumerate(received_times(pick, count, days, now), start=1):
        made = make_ticket(
            pick, number, settings.station.code, received, catalog, buildings, now
        )
        row = made.row
        tickets.append(
            (
                row["uuid"],
                row["ticket_no"],
                f"{row['letter']}{number % 1000:03d}",
                row["station"],
                received.date().isoformat(),
                row["category"],
                row["item"],
                row["building"],
                row["created_at"],
                made.facts.status,
                made.facts.unit,
                row["due_at"],
            )
        )
        events.extend(
            (
                f"{row['uuid']}-{index}",
                row["uuid"],
                event["kind"],
                event["actor"],
                event["at"],
                event["payload"],
            )
            for index, event in enumerate(made.history)
        )
        facts.append(fact_row(made.facts, number, micros(made.last_at)))
        units.extend(unit_rows(made.facts))
        if len(tickets) == BATCH:
            yield tickets, events, facts, units
            tickets, events, facts, units = [], [], [], []
    if tickets:
        yield tickets, events, facts, units


def generate(
    settings: Settings,
    catalog: Catalog,
    count: int,
    days: int,
    now: datetime,
    progress: TextIO,
) -> None:
    """Write ``count`` tickets into the open, empty station database."""
    connection = database.connection()
    connection.execute("PRAGMA synchronous = OFF")
    written = 0
    for tickets, events, facts, units in _batches(settings, catalog, count, days, now):
        with write_transaction():
            connection.executemany(TICKET_SQL, tickets)
            connection.executemany(EVENT_SQL, events)
            # Over the rows the trigger made stale, ticket id order: seq.
            connection.executemany(FACT_SQL, facts)
            connection.executemany(UNIT_SQL, units)
        written += len(tickets)
        print(f"bench report: {written:,}/{count:,} tickets", file=progress, flush=True)
    with write_transaction():
        # The facts went in without the fold: their days' counts are made
        # from them in one go.
        rebuild_place_days(station_query)
        rebuild_report_days(station_query)
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
