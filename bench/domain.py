"""The ticket write on its own: kiosk.tickets.issue_ticket against raw SQLite.

Three calls take turns (in a rotating order), each timed on its own, so load
on the machine hits them alike:

* ``raw``: one INSERT of a ticket-like row in its own BEGIN IMMEDIATE
  transaction, WAL and synchronous=FULL (bench/baseline.py);
* ``domain``: ``issue_ticket(settings, TicketDraft(...))`` on the open
  connection of this thread (the database opened with ``db.open_database``);
* ``domain_app_style``: the same call the way a thread worker
  (``database_worker``) makes it, in a new thread inside
  ``database.connection_context()`` (so a connection is opened, set up with
  the pragmas and closed for every ticket). The resident app no longer
  writes tickets so: its DatabaseThread (screens/workers.py) keeps one
  connection open, as ``domain`` does.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench.baseline import RawInsert

WARM_UP = 5


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

    def app_style() -> None:
        failures: list[BaseException] = []

        def work() -> None:
            try:
                with database.connection_context():
                    domain()
            except BaseException as error:  # re-raised in the calling thread
                failures.append(error)

        worker = threading.Thread(target=work, name="issue")
        worker.start()
        worker.join()
        if failures:
            raise failures[0]

    calls = {"raw": raw.insert, "domain": domain, "domain_app_style": app_style}
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
        raw.close()
        database.close()
    return {name: values.tolist() for name, values in times.items()}
