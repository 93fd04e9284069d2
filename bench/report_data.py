"""A large station for ``python -m bench report``, written in bulk.

Tickets with plausible histories (dispatch, check-in, 办结, call-backs with
both answers, 无法回访, 不满意 reopenings, duplicates, the head's ratings)
over ``days`` days ending at ``now``, no event after ``now``. The tickets and
events go in with executemany; each ticket's report facts are folded by the
real fold (kiosk.reports.ticket_facts, kiosk.report_facts.fact_row and
unit_rows) from the same rows in memory, instead of being read back one by
one, and written over what the station's trigger marked.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, TextIO

from db import database, write_transaction
from kiosk.catalog import Catalog
from kiosk.config import Settings
from kiosk.report_facts import FACT_COLUMNS, UNIT_COLUMNS, fact_row, micros, unit_rows
from kiosk.reports import ticket_facts

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


def _batches(
    settings: Settings, catalog: Catalog, count: int, days: int, now: datetime
) -> Iterator[tuple[list[tuple[Any, ...]], ...]]:
    pick = random.Random(11)
    categories = catalog.categories
    buildings = [name for grid in settings.station.grids for name in grid.buildings]
    channel_actors = [actor for actor, _ in CHANNELS]
    channel_weights = [weight for _, weight in CHANNELS]
    start = now - timedelta(days=days)
    span = days * 86400
    offsets = sorted(pick.uniform(0, span) for _ in range(count))
    tickets: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    facts: list[tuple[Any, ...]] = []
    units: list[tuple[Any, ...]] = []
    for number, offset in enumerate(offsets, start=1):
        received = (start + timedelta(seconds=offset)).replace(microsecond=0)
        category = pick.choice(categories)
        item = pick.choice(category.items).code if category.items else "other"
        uuid = f"bench-{number:08d}"
        row = {
            "uuid": uuid,
            "ticket_no": f"PHY3-B{number:08d}",
            "station": settings.station.code,
            "category": category.code,
            "item": item,
            "building": pick.choice(buildings) if pick.random() < 0.9 else "",
            "unit": category.unit,
            "created_at": received.isoformat(),
            "due_at": (
                received + timedelta(hours=category.resolution_hours)
            ).isoformat(),
        }
        steps = [
            (
                "received",
                pick.choices(channel_actors, channel_weights)[0],
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
        folded = ticket_facts(row, history, None, now)
        tickets.append(
            (
                uuid,
                row["ticket_no"],
                f"{category.letter}{number % 1000:03d}",
                row["station"],
                received.date().isoformat(),
                row["category"],
                item,
                row["building"],
                row["created_at"],
                folded.status,
                folded.unit,
                row["due_at"],
            )
        )
        events.extend(
            (
                f"{uuid}-{index}",
                uuid,
                event["kind"],
                event["actor"],
                event["at"],
                event["payload"],
            )  # fmt: skip
            for index, event in enumerate(history)
        )
        facts.append(fact_row(folded, number, micros(steps[-1][2])))
        units.extend(unit_rows(folded))
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
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.execute("ANALYZE")
