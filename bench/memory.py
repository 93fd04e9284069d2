"""Resident memory: the kiosk after N tickets against hello-world.

RSS is VmRSS from /proc/self/status, read inside each process after a full
``gc.collect()``. The hello-world app is read once its first screen has been
painted (median of HELLO_RUNS fresh processes); the kiosk on its welcome
screen before the first ticket and then every ``sample_every`` tickets of the
run in bench/flow.py. The growth figure is the least-squares slope over the
last SLOPE_SAMPLES samples, in KiB per 100 tickets.

``python -m bench all`` takes these samples from the kiosk run of the issue
benchmark instead of a run of its own; that run also times a raw SQLite
insert per ticket on a second, small database (a few hundred KiB at most).
"""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from bench.child import run_child, run_tickets_child
from bench.stats import emit, median, note, ratio, slope

BENCH = "memory"
TARGET_RATIO = 1.4  # after 1,000 tickets (issue #16)
HELLO_RUNS = 3
SLOPE_SAMPLES = 4
# A slope below this share of the final RSS per 100 tickets counts as flat.
FLAT_SHARE_PER_100 = 0.01


def hello_rss_kib(scratch: Path) -> list[int]:
    job = {"mode": "startup", "app": "hello", "database": "", "rss": True}
    return [int(run_child(job, scratch).data["rss_kib"]) for _ in range(HELLO_RUNS)]


def run(
    tickets: int, sample_every: int, flow: str, kiosk: dict[str, Any] | None = None
) -> None:
    """Measure and report; ``kiosk`` reuses a ticket run made for bench/issue.py."""
    with TemporaryDirectory(prefix="kiosk-bench-memory-") as folder:
        scratch = Path(folder)
        note(f"memory: hello-world RSS, {HELLO_RUNS} runs")
        hello = hello_rss_kib(scratch)
        if kiosk is None:
            note(f"memory: {tickets} tickets through the kiosk, {flow} flow")
            kiosk = run_tickets_child(
                tickets, sample_every, flow, scratch, baseline=False
            )
    report(hello, kiosk)


def report(hello_samples: list[int], kiosk: dict[str, Any]) -> None:
    hello = median(hello_samples)
    emit(
        BENCH,
        "hello_rss_kib",
        hello,
        unit="KiB",
        runs=len(hello_samples),
        samples=hello_samples,
        measures="hello-world app, first screen painted",
    )
    if kiosk.get("error"):
        emit(
            BENCH, "kiosk_run_error", kiosk["error"], tickets_done=kiosk["tickets_done"]
        )
    samples: list[tuple[int, int]] = [tuple(pair) for pair in kiosk["rss_samples"]]
    if not samples:
        return
    counts = [count for count, _ in samples]
    values = [value for _, value in samples]
    at_welcome = values[0]
    emit(
        BENCH,
        "kiosk_rss_at_welcome_kib",
        at_welcome,
        unit="KiB",
        flow=kiosk["flow"],
        measures="kiosk on its welcome screen, before the first ticket",
        baseline="hello_rss_kib",
        baseline_value=hello,
        ratio=ratio(at_welcome, hello),
    )
    final_count, final = samples[-1]
    final_ratio = ratio(final, hello)
    emit(
        BENCH,
        "kiosk_rss_kib",
        final,
        unit="KiB",
        flow=kiosk["flow"],
        tickets=final_count,
        measures=f"kiosk after {final_count} tickets",
        baseline="hello_rss_kib",
        baseline_value=hello,
        ratio=final_ratio,
        target=f"ratio < {TARGET_RATIO}",
        meets_target=final_ratio is not None and final_ratio < TARGET_RATIO,
    )
    emit(
        BENCH,
        "kiosk_rss_samples_kib",
        values,
        unit="KiB",
        flow=kiosk["flow"],
        tickets=counts,
        baseline="hello_rss_kib",
        baseline_value=hello,
        ratio=[ratio(value, hello) for value in values],
    )
    tail = samples[-SLOPE_SAMPLES:]
    per_100 = slope([c for c, _ in tail], [v for _, v in tail]) * 100
    flat_limit = FLAT_SHARE_PER_100 * final
    emit(
        BENCH,
        "kiosk_rss_slope_kib_per_100_tickets",
        per_100,
        unit="KiB/100 tickets",
        flow=kiosk["flow"],
        over_tickets=[c for c, _ in tail],
        baseline="hello_rss_kib",
        baseline_value=hello,
        ratio=ratio(per_100, hello),
        target=f"no growth trend (|slope| < {FLAT_SHARE_PER_100:.0%} of final RSS)",
        meets_target=len(tail) >= 2 and abs(per_100) < flat_limit,
    )
