"""Large text on the station box: the whole screen's scale, not only colours.

foot 1.13 has no escape sequence for its font size, and its font keys are
unbound on the box (no key may reach the terminal's own actions). So large
text asks the compositor instead: ``swaymsg output * scale S`` makes every
pixel of the session S times larger; foot draws its font S times larger and
gives the kiosk fewer, larger cells (a resize, so the kiosk keeps its place:
nothing restarts). S is the largest scale that still leaves the kiosk
80x24 cells, the least its QR needs: at 1920x1080 with the box's 30 px font
(106x30 cells) that is 1.25, 85x24 cells, text a quarter larger.

Only inside the box's session (deploy/box/session sets KIOSK_BOX_SESSION=1
and sway gives its clients SWAYSOCK): a kiosk run in a developer's terminal
never rescales their desktop.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import subprocess

log = logging.getLogger(__name__)

SESSION_FLAG = "KIOSK_BOX_SESSION"
SMALLEST_GRID = (80, 24)  # the ticket's QR needs it (kiosk.qr)
LARGEST_SCALE = 2.0
SCALE_STEP = 0.05
TIMEOUT_SECONDS = 5


def in_box_session() -> bool:
    return os.environ.get(SESSION_FLAG) == "1" and bool(os.environ.get("SWAYSOCK"))


def large_text_scale(columns: int, rows: int) -> float:
    """The largest scale (in SCALE_STEP steps, at most LARGEST_SCALE) that
    leaves at least 80x24 cells of a terminal that has ``columns`` x
    ``rows`` at scale 1; 1.0 when there is no room to grow."""
    room = min(columns / SMALLEST_GRID[0], rows / SMALLEST_GRID[1], LARGEST_SCALE)
    steps = math.floor(round(room / SCALE_STEP, 6))
    return max(1.0, steps * SCALE_STEP)


def _swaymsg(*args: str) -> str | None:
    program = shutil.which("swaymsg")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.warning("swaymsg failed: %s", error)
        return None
    if done.returncode != 0:
        log.warning("swaymsg %s failed: %s", " ".join(args), done.stderr.strip())
        return None
    return done.stdout


def output_scale() -> float | None:
    """The scale of the session's first active output."""
    text = _swaymsg("-r", "-t", "get_outputs")
    try:
        outputs = json.loads(text) if text else []
    except ValueError:
        return None
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, dict) and output.get("active"):
            return float(output.get("scale") or 1.0)
    return None


def apply_large_text(large: bool, columns: int, rows: int) -> float | None:
    """Scale the session's outputs for large text (or back to 1); the scale
    set, or None outside the box's session or when sway refused. ``columns``
    and ``rows`` are the kiosk's terminal size now (at the current scale)."""
    if not in_box_session():
        return None
    current = output_scale()
    if current is None:
        return None
    if large:
        # The terminal's size at scale 1, from its size now.
        wanted = large_text_scale(round(columns * current), round(rows * current))
    else:
        wanted = 1.0
    if abs(wanted - current) < 1e-6:
        return current
    if _swaymsg("output", "*", "scale", f"{wanted:g}") is None:
        return None
    log.info("large text %s: screen scale %g", "on" if large else "off", wanted)
    return wanted
