"""Helpers for tests: waiting on conditions, reading what is on screen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static


async def wait_for(
    pilot: Pilot[object], condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Let the app run until ``condition`` holds; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.01)


def screen_text(app: App[object]) -> str:
    """All text of the Static widgets on the current screen, one per line."""
    parts = []
    for widget in app.screen.query(Static):
        parts.append(str(widget.render()))
    return "\n".join(parts)


async def wait_screen(pilot: Pilot[object], screen_type: type) -> None:
    """Wait until a screen of ``screen_type`` is current and mounted (composed,
    its mount handlers run), so its widgets can be queried."""

    def shown() -> bool:
        screen = pilot.app.screen
        return isinstance(screen, screen_type) and screen.is_mounted

    await wait_for(pilot, shown)


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Outside an app: return once ``condition`` holds; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.02)  # paces the checks of the condition


def process_ended(pid: int) -> bool:
    """The process has ended; perhaps a zombie still, waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True
