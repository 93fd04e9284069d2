"""The kiosk's and the central's helper processes (kiosk/helper_process.py).

A helper that dies is replaced on the next call but one at the latest, and no
helper outlives the process that started it, however that process ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.helper_process import HelperFailed, HelperProcess


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.02)  # paces the checks of the condition


def gone(pid: int) -> bool:
    """Ended and reaped: not even a zombie is left."""
    return not Path(f"/proc/{pid}").exists()


def ended(pid: int) -> bool:
    """Ended; perhaps a zombie still, waiting for whoever adopted it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def helper() -> Iterator[HelperProcess]:
    made = HelperProcess("test helper")
    yield made
    made.close(wait=True)


def test_a_killed_helper_is_replaced_on_the_next_call(helper: HelperProcess) -> None:
    first = helper.call(30, os.getpid)
    assert first != os.getpid()
    os.kill(first, signal.SIGKILL)
    # Reaped means the pool has marked itself broken: the next call is
    # refused when it is handed over, not while it waits for an answer.
    wait_until(lambda: gone(first), 10, "the helper to be reaped")
    with pytest.raises(HelperFailed, match="stopped unexpectedly"):
        helper.call(30, os.getpid)
    second = helper.call(30, os.getpid)
    assert second not in (first, os.getpid())


def test_a_killed_helper_is_noticed_by_a_waiting_call(helper: HelperProcess) -> None:
    first = helper.call(30, os.getpid)
    with pytest.raises(HelperFailed, match="stopped unexpectedly"):
        helper.call(30, os.kill, first, signal.SIGKILL)  # dies mid-call
    assert helper.call(30, os.getpid) not in (first, os.getpid())


@pytest.mark.parametrize("ending", ["SIGKILL", "SIGTERM", "exit"])
def test_no_helper_outlives_its_parent(tmp_path: Path, ending: str) -> None:
    script = textwrap.dedent(
        """
        import os, signal, sys, threading
        from kiosk.helper_process import HelperProcess
        helper = HelperProcess("orphan check")
        print(helper.call(30, os.getpid), flush=True)
        if sys.argv[1] == "exit":
            os._exit(0)  # no clean-up at all
        threading.Event().wait()
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script, ending],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert not ended(child)
    if ending != "exit":
        parent.send_signal(getattr(signal, ending))
    parent.wait(30)
    parent.stdout.close()
    wait_until(lambda: ended(child), 10, "the helper to end with its parent")
