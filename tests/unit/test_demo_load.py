"""A demo-loaded station (kiosk/demo.py, many tickets per statement with the
triggers' work done once per batch) is the station its rows make when they
are written one by one through the triggers, as the kiosk and the desk write
them: the same board counts, search results, stored report facts and month
reports, and those reports are what folding every event gives."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from db import database, open_database
from kiosk import report_facts
from kiosk.catalog import load_catalog
from kiosk.config import Settings
from kiosk.demo import _TICKET_PLACES, NOTE_TEXTS, RESOLVED_TEXTS, load_demo
from kiosk.report_sums import station_month
from kiosk.reports import (
    TICKET_FIELDS,
    month_report,
    read_station,
    read_window,
    station_rules,
)
from kiosk.search import BoardQuery, search_ids, tab_counts
from tests.helpers import FIXED_NOW

LATER = FIXED_NOW + timedelta(days=1)
MONTHS = ("2026-06", "2026-09", "2026-11")
WORDS = ("电梯", "楼道", "老人", "PHY3", "A0", NOTE_TEXTS[1][:4], RESOLVED_TEXTS[0])


def _observed(settings: Settings) -> dict[str, Any]:
    catalog = load_catalog()
    return {
        "tabs": tab_counts(),
        "search": {
            word: sorted(search_ids(BoardQuery(text=word), LATER, cap=10_000))
            for word in WORDS
        },
        "months": {
            month: station_month(settings, catalog, month, LATER) for month in MONTHS
        },
        "facts": [
            tuple(row)
            for row in database.execute_sql(
                f"SELECT {', '.join(report_facts.FACT_COLUMNS)} FROM ticket_fact "
                "ORDER BY ticket_uuid"
            )
        ],
        # The search indexes themselves: each row's bigrams.
        "index": {table: _index(table) for table in ("ticket_search", "note_search")},
        "units": sorted(
            tuple(row)
            for row in database.execute_sql(
                f"SELECT {', '.join(report_facts.UNIT_COLUMNS)} FROM unit_fact"
            )
        ),
        # What the fold and the note trigger keep beside them.
        "days": [
            tuple(row)
            for row in database.execute_sql(
                "SELECT * FROM place_day ORDER BY day, station, category, building"
            )
        ],
        "note_tickets": [
            tuple(row)
            for row in database.execute_sql(
                "SELECT event_id, ticket_id FROM note_ticket ORDER BY event_id"
            )
        ],
    }


def _index(table: str) -> list[tuple[str, int]]:
    """Every (bigram, row) the full-text index ``table`` holds."""
    database.execute_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_terms "
        f"USING fts5vocab(main, {table}, 'instance')"
    )
    return sorted(
        (str(term), int(row))
        for term, row in database.execute_sql(
            f"SELECT term, doc FROM temp.{table}_terms"
        )
    )


def _triggers() -> set[tuple[str, str]]:
    return {
        (str(name), str(sql))
        for name, sql in database.execute_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
    }


def _rows(table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = database.execute_sql(f"SELECT * FROM {table} ORDER BY id")
    return [column[0] for column in cursor.description], list(cursor.fetchall())


def _one_by_one(path: Path, tables: dict[str, Any]) -> None:
    """The same rows into a fresh station database, one statement per row,
    every trigger in place."""
    open_database(path)
    with database.atomic():
        for table in ("ticket", "ticket_event"):
            columns, rows = tables[table]
            statement = (
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})"
            )
            for row in rows:
                database.execute_sql(statement, row)


def test_a_demo_station_equals_its_rows_written_one_by_one(
    settings: Settings, station_db: Path, tmp_path: Path
) -> None:
    triggers = _triggers()
    load_demo(settings, 700, seed=11, now=FIXED_NOW, batch_tickets=300)
    assert _triggers() == triggers  # every one lifted for a batch is back
    demo = _observed(settings)
    assert sum(demo["tabs"].values()) > 0
    assert all(demo["search"][word] for word in WORDS)
    assert demo["months"]["2026-09"]["tickets"] > 0
    assert len(demo["facts"]) == 700
    tables = {table: _rows(table) for table in ("ticket", "ticket_event")}
    # The month summed from the stored facts is the month folded from every
    # event.
    catalog = load_catalog()
    rules = station_rules(settings, catalog)
    for month in MONTHS:
        tickets, events = read_station(read_window(month, settings.zone))
        folded = month_report(tickets, events, month, settings.zone, rules, LATER)
        assert demo["months"][month] == {"station": "PHY3", **folded}, month
    database.close()
    _one_by_one(tmp_path / "one-by-one.db", tables)
    assert _observed(settings) == demo


def test_the_demo_rows_name_every_ticket_field_the_facts_read() -> None:
    assert {field for field, _ in _TICKET_PLACES} == set(TICKET_FIELDS)
