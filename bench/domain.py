"""The ticket write on its own: kiosk.tickets.issue_ticket against raw SQLite.

Two calls take turns (in a rotating order), each timed on its own, so load
on the machine hits them alike:

* ``raw``: one INSERT of a ticket-like row in its own BEGIN IMMEDIATE
  transaction, WAL and synchronous=FULL (bench/baseline.py);
* ``domain``: ``issue_ticket(settings, TicketDraft(...))`` on the open
  connection of this thread (the database opened with ``db.open_database``),
  as the resident app's DatabaseThread (screens/workers.py) keeps one.

Then, on a station database that already holds YEARS_TICKETS tickets over
YEARS_DAYS days (``kiosk demo load``'s bulk path), ``domain_after_years``:
the same call, timed in turns with the raw insert (``raw_after_years``), so
that a ticket written after years of use is compared with one written on a
fresh database.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bench.baseline import RawInsert

if TYPE_CHECKING:
    from kiosk.config import Settings

WARM_UP = 5
YEARS_TICKETS = 50_000
YEARS_DAYS = 730


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def run(count: int, scratch: Path) -> dict[str, list[float]]:
    """``count`` timed calls of each kind, in ms, after a short warm-up."""
    from db import database, open_database
    from kiosk.config import default_settings
    from kiosk.tickets import TicketDraft, issue_ticket

    settings = replace(default_settings(), database_path=scratch / "domain.db")
    open_database(settings.database_path)
    raw = RawInsert(scratch / "raw.db")

    def domain() -> None:
        issue_ticket(settings, TicketDraft(category="housing", item="roof-leak"))

    calls = {"raw": raw.insert, "domain": domain}
    times = {name: array("d") for name in calls}
    try:
        names = list(calls)
        for index in range(WARM_UP + count):
            shift = index % len(names)  # rotate, so no kind always goes first
            for name in names[shift:] + names[:shift]:
                elapsed = _timed(calls[name])
                if index >= WARM_UP:
                    times[name].append(elapsed)
    finally:
        database.close()
    try:
        times.update(_after_years(count, scratch, settings, raw))
    finally:
        raw.close()
        database.close()
    return {name: values.tolist() for name, values in times.items()}


def _after_years(
    count: int, scratch: Path, settings: Settings, raw: RawInsert
) -> dict[str, array[float]]:
    """``issue_ticket`` on a database with years of tickets, against the raw
    insert, in turns."""
    from db import open_database
    from kiosk.demo import load_demo
    from kiosk.tickets import TicketDraft, issue_ticket

    years = replace(settings, database_path=scratch / "years.db")
    open_database(years.database_path)
    load_demo(years, YEARS_TICKETS, days=YEARS_DAYS, seed=1)

    def domain() -> None:
        issue_ticket(years, TicketDraft(category="housing", item="roof-leak"))

    calls = {"raw_after_years": raw.insert, "domain_after_years": domain}
    times = {name: array("d") for name in calls}
    names = list(calls)
    for index in range(WARM_UP + count):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            elapsed = _timed(calls[name])
            if index >= WARM_UP:
                times[name].append(elapsed)
    return times
