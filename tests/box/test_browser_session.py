"""The box's session for a touchscreen (KIOSK_SCREEN=browser): sway shows
Chromium in kiosk mode with the kiosk served by deploy/box/web, headless.
The welcome screen fills the screen in Chinese that OCR reads back, and a
keypad key (through the compositor, as on the box) reaches the kiosk before
anyone has touched the screen. (A tap itself: tests/box/test_touch.py.)"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.box.session import (
    box_files,
    kiosk_environment,
    ocr_chinese,
    session_for,
    session_user,
    user_folder,
)

pytest.importorskip("textual_serve", reason="the web extra (textual-serve)")
pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium"
)


def ocr(png: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".png") as picture:
        picture.write(png)
        picture.flush()
        return ocr_chinese(Path(picture.name))


@pytest.fixture(scope="module")
def session() -> Iterator[Any]:
    account = session_user()
    with user_folder(account) as data_dir:
        environment = kiosk_environment(account, data_dir)
        environment["KIOSK_SCREEN"] = "browser"
        # The kiosk's Python runs deploy/box/web (textual-serve).
        environment["KIOSK_PYTHON"] = environment["KIOSK_COMMAND"].split()[0]
        box = session_for(account, environment, box_files(account, data_dir))
        try:
            box.start()
            box.wait_for_welcome(120)
            yield box
        except Exception:
            print(box.log_text()[-3000:])
            raise
        finally:
            box.stop()


def test_the_welcome_screen_fills_the_screen_in_chinese(session: Any):
    frame = session.frame()
    assert (frame.width, frame.height) == (1920, 1080)
    # The header's blue runs across the whole width: the page is full screen.
    top_row = frame.pixels[: frame.width * 3]
    assert top_row.count(bytes((1, 120, 212))) > frame.width * 0.9
    text = ocr(session.png())
    assert "我要反映问题" in text and "查询办理进度" in text
    # No browser bar, no translation offer (a white bubble at the top right):
    # only the kiosk.
    white = bytes((255, 255, 255))
    top_right = b"".join(
        frame.pixels[(row * frame.width + frame.width - 480) * 3 :][: 480 * 3]
        for row in range(60)
    )
    assert top_right.count(white) < 100


def test_a_keypad_key_reaches_the_kiosk_without_a_touch_first(session: Any):
    session.press_and_wait("1")
    session.wait_for(lambda: "请选择问题类别" in ocr(session.png()), 30, "category")
