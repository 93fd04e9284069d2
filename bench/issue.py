"""Issuing a ticket: "Submit" on the review screen to the QR code on screen.

The real app runs headless in a child process (bench/flow.py) and issues the
tickets one after another through the resident flow. Per ticket, from the
"enter" on the review screen to:

* ``issued``: the worker's TicketIssued message reaching the review screen
  (the database write is done);
* ``ticket_shown``: the ticket screen made current (ScreenResume), its
  texts and QR code set;
* ``qr`` (the headline): the first frame with the QR code rendered;
* ``qr_seen``: when the benchmark's wait for that frame returned (an event
  the probe sets; the benchmark does not poll, so it takes no time from the
  app it measures).

Baselines: a raw SQLite insert in its own durable transaction
(bench/baseline.py). For the kiosk figures it is timed inside the kiosk's
process before each ticket (``raw_sqlite_insert_in_kiosk``); for the domain
call ``kiosk.tickets.issue_ticket`` on its own (bench/domain.py) it is timed
in this process in turns with it (``raw_sqlite_insert``).
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
# Submit to QR painted, p95, against the same run's raw insert p95 in the
# kiosk process (issue #16): absolute times move with the disk and the load.
TARGET_P95_RATIO = 10.0
LEVELS = (("p50", 50.0), ("p95", 95.0))
RAW = "raw_sqlite_insert"
RAW_IN_KIOSK = "raw_sqlite_insert_in_kiosk"
RAW_MEASURES = (
    "one INSERT in BEGIN IMMEDIATE..COMMIT, WAL, synchronous=FULL, timed in turns "
    "with the figures compared with it, in "
)
MAX = ("max", 100.0)
UI_SPANS = (
    ("submit_to_qr", "enter on the review screen to the QR code painted"),
    ("submit_to_issued", "enter on the review screen to TicketIssued handled"),
    ("submit_to_ticket_shown", "enter on the review screen to the ticket screen shown"),
    ("submit_to_qr_seen", "enter to the benchmark's wait for the QR returning"),
)
DOMAIN_CALLS = (
    ("domain", "domain_issue_ticket", "issue_ticket() on an open connection"),
)


def run(tickets: int, sample_every: int, flow: str) -> dict[str, Any]:
    """Measure and report; returns the kiosk run (bench/memory.py uses it)."""
    with TemporaryDirectory(prefix="kiosk-bench-issue-") as folder:
        scratch = Path(folder)
        note(f"issue: {tickets} tickets through the kiosk, {flow} flow")
        kiosk = run_tickets_child(tickets, sample_every, flow, scratch, baseline=True)
        note(f"issue: {tickets} calls each of issue_ticket and a raw insert")
        calls = domain.run(tickets, scratch)
    report(kiosk, calls)
    return kiosk


def _percentiles(
    figure: str,
    values: Sequence[float],
    baseline: tuple[str, Sequence[float]],
    levels: Sequence[tuple[str, float]],
    fields: dict[str, object],
    p95_fields: dict[str, object] | None = None,
) -> None:
    """``figure`` at each level, each against the baseline at that level."""
    baseline_name, baseline_values = baseline
    for label, level in levels:
        value = percentile(values, level)
        base = percentile(baseline_values, level)
        emit(
            BENCH,
            f"{figure}_ms_{label}",
            value,
            unit="ms",
            count=len(values),
            **fields,
            baseline=f"{baseline_name}_ms_{label}",
            baseline_value=base,
            ratio=ratio(value, base),
            **(p95_fields if p95_fields and label == "p95" else {}),
        )


def report(kiosk: dict[str, Any], calls: dict[str, list[float]]) -> None:
    raw = (RAW, calls["raw"])
    raw_in_kiosk = (RAW_IN_KIOSK, kiosk["raw_insert_ms"])
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
        fields = {"measures": measures, "flow": kiosk["flow"]}
        if name != "submit_to_qr":
            _percentiles(f"kiosk_{name}", values, raw_in_kiosk, LEVELS, fields)
            continue
        p95_ratio = ratio(percentile(values, 95.0), percentile(raw_in_kiosk[1], 95.0))
        target = {
            "target": f"p95 ratio <= {TARGET_P95_RATIO:g} ({RAW_IN_KIOSK} p95)",
            "meets_target": p95_ratio is not None and p95_ratio <= TARGET_P95_RATIO,
        }
        levels = (*LEVELS, MAX)
        _percentiles(f"kiosk_{name}", values, raw_in_kiosk, levels, fields, target)
    report_full_gc(kiosk)
    for key, figure, measures in DOMAIN_CALLS:
        _percentiles(figure, calls[key], raw, LEVELS, {"measures": measures})
    _percentiles(
        "domain_issue_ticket_after_years",
        calls["domain_after_years"],
        (f"{RAW}_after_years", calls["raw_after_years"]),
        LEVELS,
        {
            "measures": "issue_ticket() on an open connection, on a database "
            f"holding {domain.YEARS_TICKETS} tickets over {domain.YEARS_DAYS} days",
        },
    )
    for (name, values), where in ((raw, "this process"), (raw_in_kiosk, "the kiosk")):
        for label, level in (*LEVELS, MAX):
            emit(
                BENCH,
                f"{name}_ms_{label}",
                percentile(values, level),
                unit="ms",
                count=len(values),
                measures=RAW_MEASURES + where,
            )


def report_full_gc(kiosk: dict[str, Any]) -> None:
    """Diagnostic: the kiosk's full garbage collections during the run."""
    pauses = kiosk.get("full_gc_ms") or []
    if not pauses:
        return
    emit(
        BENCH,
        "kiosk_full_gc_pause_ms_p50",
        percentile(pauses, 50.0),
        unit="ms",
        diagnostic=True,
        count=len(pauses),
        max=max(pauses),
        submits_with_full_gc=kiosk["submits_with_full_gc"],
        tickets=kiosk["tickets_done"],
        measures="generation-2 collections of the kiosk process during the run",
    )
