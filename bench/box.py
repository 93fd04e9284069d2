"""The box's two sessions, headless: the browser session (sway, Chromium,
the kiosk through textual-serve: for touch) against the terminal session
(sway, foot, the kiosk: the default), which is the baseline.

Each run starts a session on sway's headless 1920x1080 output
(deploy/box/screenshot's BoxSession, as tests/box does), as the box test
user when run as root. Figures: the time from starting the session until
the welcome screen is on the screen (grim's screenshots), and the memory of
all the session's processes (proportional set size, from smaps_rollup) two
seconds after. The sessions take turns so that drift in the machine's load
hits both alike.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.stats import emit, median, note, ratio
from tests.box.session import (
    box_files,
    kiosk_environment,
    session_for,
    session_user,
    user_folder,
)

BENCH = "box"
SETTLE_SECONDS = 2.0  # memory is read once the welcome screen has settled


def pss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue  # a process that ended meanwhile
        for line in text.splitlines():
            if line.startswith("Pss:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def one_session(screen: str) -> tuple[float, float]:
    """Seconds to the welcome screen and the session's memory in MB."""
    account = session_user()
    with user_folder(account) as data_dir:
        environment = kiosk_environment(account, data_dir)
        if screen == "browser":
            environment["KIOSK_SCREEN"] = "browser"
            environment["KIOSK_PYTHON"] = environment["KIOSK_COMMAND"].split()[0]
        session: Any = session_for(account, environment, box_files(account, data_dir))
        started = time.monotonic()
        try:
            session.start()
            session.wait_for_welcome(120)
            seconds = time.monotonic() - started
            time.sleep(SETTLE_SECONDS)  # a fixed settling time, not a wait
            memory = pss_mb(session.session_pids())
        finally:
            session.stop()
    return seconds, memory


def run(runs: int) -> None:
    samples: dict[str, list[tuple[float, float]]] = {"terminal": [], "browser": []}
    for index in range(runs):
        order = ("terminal", "browser") if index % 2 == 0 else ("browser", "terminal")
        for screen in order:
            note(f"box: {screen} session, run {index + 1} of {runs}")
            samples[screen].append(one_session(screen))
    for position, name, unit, words in (
        (0, "welcome_s", "s", "session start to the welcome screen on the screen"),
        (1, "memory_mb", "MB", "the session's processes (PSS), settled"),
    ):
        terminal = median([sample[position] for sample in samples["terminal"]])
        browser = median([sample[position] for sample in samples["browser"]])
        emit(
            BENCH,
            f"terminal_{name}_median",
            terminal,
            unit=unit,
            runs=runs,
            measures=words,
        )
        emit(
            BENCH,
            f"browser_{name}_median",
            browser,
            unit=unit,
            runs=runs,
            measures=words,
            baseline=f"terminal_{name}_median",
            baseline_value=terminal,
            ratio=ratio(browser, terminal),
        )
