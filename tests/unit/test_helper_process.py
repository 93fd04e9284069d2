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
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.helper_process import HelperFailed, HelperProcess
from tests.helpers import process_ended, wait_until


def gone(pid: int) -> bool:
    """Ended and reaped: not even a zombie is left."""
    return not Path(f"/proc/{pid}").exists()


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
    # Its stderr to a file: multiprocessing's resource tracker, which outlives
    # a parent that ends abruptly, says so there.
    errors = (tmp_path / "stderr.txt").open("wb")
    parent = subprocess.Popen(
        [sys.executable, "-c", script, ending],
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    errors.close()
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert not process_ended(child)
    if ending != "exit":
        parent.send_signal(getattr(signal, ending))
    parent.wait(30)
    parent.stdout.close()
    wait_until(lambda: process_ended(child), 10, "the helper to end with its parent")
