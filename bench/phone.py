"""``python -m bench phone``: what the residents' phone answers cost the board.

The board reads, for the tickets of its page, what residents did on the
tracking page (kiosk.follow_up.board_labels) to say who answered and whom to
call. On a demo station of BENCH_PHONE_TICKETS tickets (default 20,000,
built in a temporary folder), each figure times a board page with those
words against the same page without them (the baseline, in this process),
each on a fresh connection as the board's workers read.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bench.stats import emit, note, percentile
from db import database, open_database
from kiosk.config import DEMO_STATION, Settings
from kiosk.demo import load_demo
from kiosk.follow_up import board_labels
from kiosk.search import BoardQuery, board_page

BENCH = "phone"
RUNS = 15
BUDGET_MS = 20.0  # what the words may add to one board page


def _page_ms(settings: Settings, query: BoardQuery, labels: bool) -> float:
    database.close()
    now = datetime.now(settings.zone)
    started = time.perf_counter()
    with database.connection_context():
        page = board_page(query, now)
        if labels:
            board_labels(settings, ((r.ticket_no, r.status) for r in page.rows), now)
    return (time.perf_counter() - started) * 1000


def run() -> None:
    tickets = int(os.environ.get("BENCH_PHONE_TICKETS", "20000"))
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(station=DEMO_STATION, database_path=Path(folder) / "b.db")
        open_database(settings.database_path)
        note(f"loading {tickets:,} demo tickets")
        load_demo(settings, tickets, seed=7, progress=sys.stderr)
        for tab in ("callback", "all"):
            query = BoardQuery(tab=tab)
            _page_ms(settings, query, True)  # warm the file cache
            base: list[float] = []
            with_words: list[float] = []
            for _ in range(RUNS):
                base.append(_page_ms(settings, query, False))
                with_words.append(_page_ms(settings, query, True))
            added = statistics.median(with_words) - statistics.median(base)
            emit(
                BENCH,
                f"board_page_{tab}_with_phone_words",
                statistics.median(with_words),
                unit="ms",
                p95=percentile(with_words, 95),
                baseline=statistics.median(base),
                baseline_p95=percentile(base, 95),
                ratio=round(statistics.median(with_words) / statistics.median(base), 4),
                added_ms=added,
                budget_added_ms=BUDGET_MS,
                within_budget=added < BUDGET_MS,
                tickets=tickets,
            )
        database.close()
