"""The measured child process: ``python -m bench.driver '<json job>'``.

The start time is taken before anything else is imported, so the imports of
Textual and of the kiosk count towards cold start. The job's result is written
as JSON to the job's ``out`` file (stdout belongs to the app under test).
Times are ``time.perf_counter()`` readings; on Linux that clock is
CLOCK_MONOTONIC, shared by all processes, so the parent can subtract its own
readings (taken just before spawning) from them.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

PAINT_TIMEOUT_S = 60.0


def read_status_kib() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in KiB, from /proc/self/status."""
    figures: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = int(value.split()[0])
    return figures


def rss_kib() -> int:
    """Resident set size after a full collection, in KiB."""
    import gc

    gc.collect()
    return read_status_kib()["VmRSS"]


def prepare_kiosk_process() -> None:
    """What the ``kiosk`` command's entry point does before any import."""
    from kiosk.lean import prepare_process

    prepare_process()


async def startup(job: dict[str, Any]) -> dict[str, Any]:
    """Cold start of one app up to its first screen painted, then exit."""
    if job["app"] == "kiosk":
        prepare_kiosk_process()
    from bench.apps import SIZE, PaintProbe, hello_target, import_kiosk, kiosk_target

    if job["app"] == "kiosk":
        import_kiosk()
    t_imported = time.perf_counter()
    if job["app"] == "kiosk":
        target = kiosk_target(Path(job["database"]))
    else:
        target = hello_target()
    t_built = time.perf_counter()
    probe = PaintProbe(target.app)
    probe.watch_first_paint(target)
    result: dict[str, Any] = {"t0": T0, "imported": t_imported, "built": t_built}
    async with target.app.run_test(size=SIZE, message_hook=probe.hook) as pilot:
        deadline = time.perf_counter() + PAINT_TIMEOUT_S
        while "painted" not in probe.marks:
            if time.perf_counter() > deadline:
                raise TimeoutError("the first screen was never painted")
            await pilot.pause()
        result["polled"] = time.perf_counter()
        if job.get("rss"):
            result["rss_kib"] = rss_kib()
            result.update(read_status_kib())
    result.update(probe.marks)
    return result


async def tickets(job: dict[str, Any]) -> dict[str, Any]:
    """Issue tickets through the real app, timing each and sampling RSS."""
    prepare_kiosk_process()
    from bench.flow import run_tickets

    return await run_tickets(job, rss=rss_kib)


JOBS = {"startup": startup, "tickets": tickets}


def main() -> None:
    job = json.loads(sys.argv[1])
    result = asyncio.run(JOBS[job["mode"]](job))
    Path(job["out"]).write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
