"""deploy/box/screenshot: the box's session, headless, shows the welcome
screen in Chinese glyphs that OCR reads back (not boxes, not a blank)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.box.session import (
    box_files,
    database_file,
    kiosk_environment,
    ocr_chinese,
    session_user,
    user_folder,
)


@pytest.fixture(scope="module")
def screenshot() -> Iterator[tuple[Path, subprocess.CompletedProcess[str], float]]:
    """One run of the script for the whole module: the PNG, the run, seconds."""
    account = session_user()
    with user_folder(account) as data_dir, user_folder(account) as out_dir:
        out = out_dir / "welcome.png"
        env = {**os.environ, **kiosk_environment(account, data_dir)}
        started = time.monotonic()
        screenshot = box_files(account, data_dir) / "screenshot"
        done = subprocess.run(
            [str(screenshot), str(out), "--user", account.pw_name],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            check=False,
        )
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        assert database_file(data_dir).exists()  # the kiosk really ran
        yield out, done, elapsed


def test_the_welcome_screen_is_written_at_full_hd(screenshot):
    out, done, _ = screenshot
    with Image.open(out) as image:
        assert image.size == (1920, 1080)
        # Not a blank terminal: the kiosk's header blue fills the top row.
        assert image.convert("RGB").getpixel((1900, 4)) == (1, 120, 212)
    assert "welcome screen" in done.stdout


def test_ocr_reads_the_chinese_tiles(screenshot):
    out, _, _ = screenshot
    text = ocr_chinese(out)
    assert "我要反映问题" in text
    assert "查询办理进度" in text


def test_the_session_is_gone_afterwards(screenshot):
    _, _, elapsed = screenshot
    assert elapsed < 120
    # The screenshot ended its session: no compositor of ours is left.
    leftovers = subprocess.run(
        ["pgrep", "-u", session_user().pw_name, "-x", "sway"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert leftovers.stdout.strip() == ""
