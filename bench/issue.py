"""Issuing a ticket: "Submit" on the review screen to the QR code on screen.

The real app runs headless in a child process (bench/flow.py) and issues the
tickets one after another through the resident flow. Per ticket, from the
"enter" on the review screen to:

* ``issued``: the worker's TicketIssued message reaching the review screen
  (the database write is done);
* ``qr_mounted``: the QR widget mounted on the ticket screen;
* ``qr`` (the headline): the first frame with the QR code rendered;
* ``qr_polled``: when a ``Pilot.pause()`` loop noticed (coarser: each pause
  sleeps 20 ms or more until the app is idle).

Baseline: a raw SQLite insert in its own durable transaction, timed in this
process in turns with the domain call ``kiosk.tickets.issue_ticket`` itself
(bench/domain.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench import domain
from bench.child import run_tickets_child
from bench.stats import emit, note, percentile, ratio

BENCH = "issue"
TARGET_P95_MS = 50.0
UI_SPANS = (
    ("submit_to_qr", "enter on the review screen to the QR code painted"),
    ("submit_to_issued", "enter on the review screen to TicketIssued handled"),
    ("submit_to_qr_mounted", "enter on the review screen to the QR widget mounted"),
    ("submit_to_qr_polled", "enter to the QR code seen by a Pilot.pause() loop"),
)
DOMAIN_CALLS = (
    ("domain", "domain_issue_ticket", "issue_ticket() on an open connection"),
    (
        "domain_app_style",
        "domain_issue_ticket_app_style",
        "issue_ticket() in a new thread inside database.connection_context()",
    ),
)


def run(tickets: int, sample_every: int) -> dict[str, Any]:
    """Measure and report; returns the kiosk run (bench/memory.py uses it)."""
    with TemporaryDirectory(prefix="kiosk-bench-issue-") as folder:
        scratch = Path(folder)
        note(f"issue: {tickets} tickets through the kiosk (about 0.5 s each)")
        kiosk = run_tickets_child(tickets, sample_every, scratch)
        note(f"issue: {tickets} calls each of issue_ticket and a raw insert")
        calls = domain.run(tickets, scratch)
    report(kiosk, calls)
    return kiosk


def _percentiles(
    figure: str,
    values: Sequence[float],
    baseline_name: str,
    baseline: Sequence[float],
    measures: str,
    levels: Sequence[tuple[str, float]] = (("p50", 50.0), ("p95", 95.0)),
    **extra: object,
) -> None:
    for label, level in levels:
        value = percentile(values, level)
        base = percentile(baseline, level)
        fields = dict(extra) if label == "p95" else {}
        emit(
            BENCH,
            f"{figure}_ms_{label}",
            value,
            unit="ms",
            count=len(values),
            measures=measures,
            baseline=f"{baseline_name}_ms_{label}",
            baseline_value=base,
            ratio=ratio(value, base),
            **fields,
        )


def report(kiosk: dict[str, Any], calls: dict[str, list[float]]) -> None:
    raw = calls["raw"]
    if kiosk.get("error"):
        emit(
            BENCH, "kiosk_run_error", kiosk["error"], tickets_done=kiosk["tickets_done"]
        )
    if kiosk.get("finish_resets"):
        emit(BENCH, "kiosk_finish_resets", kiosk["finish_resets"])
    for name, measures in UI_SPANS:
        values = kiosk[f"{name}_ms"]
        if not values:
            continue
        headline = name == "submit_to_qr"
        extra: dict[str, object] = {}
        if headline:
            p95 = percentile(values, 95.0)
            extra = {
                "target": f"p95 < {TARGET_P95_MS:g} ms",
                "meets_target": p95 < TARGET_P95_MS,
            }
        levels = [("p50", 50.0), ("p95", 95.0)]
        if headline:
            levels.append(("max", 100.0))
        _percentiles(
            f"kiosk_{name}", values, "raw_sqlite_insert", raw, measures, levels, **extra
        )
    for key, figure, measures in DOMAIN_CALLS:
        _percentiles(figure, calls[key], "raw_sqlite_insert", raw, measures)
    for label, level in (("p50", 50.0), ("p95", 95.0), ("max", 100.0)):
        emit(
            BENCH,
            f"raw_sqlite_insert_ms_{label}",
            percentile(raw, level),
            unit="ms",
            count=len(raw),
            measures="one INSERT in BEGIN IMMEDIATE..COMMIT, WAL, synchronous=FULL",
        )
