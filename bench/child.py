"""Running one measured job in a fresh Python process (bench/driver.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT_S = 1800


class ChildFailed(Exception):
    """A measured child process exited with an error."""


@dataclass(frozen=True)
class ChildResult:
    spawned_at: float  # parent's perf_counter() just before the spawn
    data: dict[str, Any]


def child_environment(scratch: Path) -> dict[str, str]:
    """The parent's environment, with every per-user data folder in ``scratch``.

    The jobs pass their database paths explicitly; this only makes sure that
    nothing a child does can reach the user's real kiosk data or config.
    """
    environment = dict(os.environ)
    environment.pop("KIOSK_CONFIG", None)
    for name in (
        "XDG_DATA_HOME",
        "XDG_CONFIG_HOME",
        "XDG_STATE_HOME",
        "XDG_CACHE_HOME",
    ):
        folder = scratch / "xdg" / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        environment[name] = str(folder)
    return environment


def run_child(job: dict[str, Any], scratch: Path) -> ChildResult:
    """Run ``job`` in ``python -m bench.driver`` and return what it wrote."""
    out = scratch / f"result-{time.monotonic_ns()}.json"
    command = [
        sys.executable,
        "-m",
        "bench.driver",
        json.dumps({**job, "out": str(out)}),
    ]
    environment = child_environment(scratch)
    spawned_at = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0 or not out.exists():
        tail = "\n".join(completed.stderr.strip().splitlines()[-25:])
        raise ChildFailed(
            f"job {job['mode']} exited with {completed.returncode}:\n{tail}"
        )
    data = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return ChildResult(spawned_at, data)


def run_tickets_child(
    tickets: int, sample_every: int, flow: str, scratch: Path, *, baseline: bool
) -> dict[str, Any]:
    """The kiosk issuing ``tickets`` tickets headless (bench/flow.py).

    With ``baseline``, a raw SQLite insert is timed before each ticket in the
    same process (bench/baseline.py), outside the timed spans.
    """
    job = {
        "mode": "tickets",
        "tickets": tickets,
        "sample_every": sample_every,
        "flow": flow,
        "database": str(scratch / "kiosk-tickets.db"),
        "baseline": str(scratch / "raw-in-kiosk.db") if baseline else "",
    }
    return run_child(job, scratch).data
