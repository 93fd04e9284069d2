"""In the box's headless session (sway, foot, the kiosk at 1920x1080):
``kiosk doctor`` finds the screen and says the QR fits; large text (``/`` on
the keypad) makes the text really larger, through the compositor's scale,
and keeps at least the 80x24 cells the QR needs."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from tests.box.session import (
    box_files,
    height_ratio,
    kiosk_environment,
    session_for,
    session_user,
    settled,
    user_folder,
)


@dataclass
class Seen:
    doctor: str  # kiosk doctor run inside the session
    doctor_large: str  # the same with large text on
    normal_png: bytes
    large_png: bytes
    normal_png_again: bytes
    large_scale: float


def in_session(session: Any, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """A command as the session's user, with its Wayland and sway sockets."""
    return subprocess.run(
        session._command(argv), capture_output=True, text=True, timeout=120
    )


def scale_of(session: Any) -> float:
    outputs = json.loads(session.run(["swaymsg", "-r", "-t", "get_outputs"]))
    return float(outputs[0]["scale"])


@pytest.fixture(scope="module")
def seen() -> Iterator[Seen]:
    account = session_user()
    with user_folder(account) as data_dir:
        environment = kiosk_environment(account, data_dir)
        box = box_files(account, data_dir)
        session = session_for(account, environment, box)
        kiosk = environment["KIOSK_COMMAND"].split()
        doctor = [*kiosk, "doctor", "--box", str(box)]
        try:
            session.start()
            session.wait_for_welcome()
            report = in_session(session, doctor)
            normal = settled(session)
            session.press_and_wait("/")
            session.wait_for(lambda: scale_of(session) > 1, 30, "a larger scale")
            large_scale = scale_of(session)
            large = settled(session)
            report_large = in_session(session, doctor)
            session.press_and_wait("/")
            session.wait_for(lambda: scale_of(session) == 1, 30, "scale 1 again")
            session.wait_for_welcome()
            again = settled(session)
        except Exception:
            print(session.log_text()[-3000:])
            raise
        finally:
            session.stop()
        yield Seen(
            report.stdout + report.stderr,
            report_large.stdout + report_large.stderr,
            normal,
            large,
            again,
            large_scale,
        )


def screen_line(output: str) -> str:
    return next(line for line in output.splitlines() if " screen: " in line)


def test_doctor_in_the_session_finds_the_screen_and_the_qr_fits(seen: Seen):
    line = screen_line(seen.doctor)
    assert line.startswith("ok   screen: HEADLESS-1 (sway) 1920x1080: 106x29 cells")
    assert "the QR fits" in line
    assert "Traceback" not in seen.doctor


def test_large_text_makes_the_glyphs_a_fifth_larger(seen: Seen):
    # 106x29 cells at 1920x1080: 1.2 is the largest scale that keeps 24 rows.
    assert seen.large_scale == pytest.approx(1.2)
    ratio = height_ratio(seen.normal_png, seen.large_png)
    assert ratio == pytest.approx(1.2, abs=0.08)


def test_large_text_keeps_room_for_the_qr(seen: Seen):
    line = screen_line(seen.doctor_large)
    assert "at scale 1.2: 88x24 cells" in line and "the QR fits" in line


def test_large_text_off_gives_the_screen_back(seen: Seen):
    with (
        Image.open(io.BytesIO(seen.normal_png)) as before,
        Image.open(io.BytesIO(seen.normal_png_again)) as after,
    ):
        assert after.size == before.size == (1920, 1080)
    # within 2 pixels of glyphs about 28 tall
    ratio = height_ratio(seen.normal_png, seen.normal_png_again)
    assert ratio == pytest.approx(1.0, abs=0.07)
