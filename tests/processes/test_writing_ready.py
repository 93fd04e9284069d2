"""The description screen's first opening finds the writing pad ready (#12):
the kiosk reads the writing screens and the dictionary off the UI thread as
a resident starts a request, not when the description screen opens; a
dictionary that cannot be read is said on screen, and phrases and digits
still work. In fresh interpreters, as the dictionary is read once per
process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from kiosk.config import render_config

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import asyncio, json, sys
from kiosk.lean import prepare_process
prepare_process()
from kiosk.cli import start_resident
from kiosk.writing.dictionary import load_dictionary
from screens.resident.category import CategoryScreen
from screens.resident.welcome import WelcomeScreen
app = start_resident(sys.argv[1])

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        while not isinstance(app.screen, WelcomeScreen):
            await pilot.pause()
        at_welcome = load_dictionary.cache_info().currsize
        await pilot.press("1")
        waited = 0
        while not load_dictionary.cache_info().currsize and waited < 1000:
            await pilot.pause(0.01)
            waited += 1
        read = load_dictionary.cache_info().currsize
        read_on = type(app.screen).__name__ if read else None
        pad_code = "screens.resident.description" in sys.modules
        await pilot.press("1", "1", "2")
        while type(app.screen).__name__ != "DescriptionScreen":
            await pilot.pause(0.01)
        from screens.widgets.writing_pad import WritingPad
        pad = app.screen.query_one(WritingPad)
        print(json.dumps({
            "read_at_welcome": bool(at_welcome),
            "read_on": read_on,
            "screens_read": pad_code,
            "ready_when_shown": pad.composer.dictionary is not None,
        }))

asyncio.run(main())
"""


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "kiosk.toml"
    text = render_config(config, "PHY3", "", "", "")
    text = text.replace('path = "kiosk.db"', f'path = "{tmp_path / "kiosk.db"}"')
    config.write_text(text, encoding="utf-8")
    return config


def _python(
    script: str, config: Path, path: str = str(ROOT), cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": path}
    environment.pop("KIOSK_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-c", script, str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=environment,
        check=False,
    )


def test_the_dictionary_is_read_as_a_request_starts(tmp_path):
    done = _python(PROBE, _config(tmp_path))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # Not at start-up (the welcome screen stays lean), but while the resident
    # chooses a category; the description screen shows it ready at once.
    assert report == {
        "read_at_welcome": False,
        "read_on": "CategoryScreen",
        "screens_read": True,
        "ready_when_shown": True,
    }


DAMAGED = """
import asyncio, json, sys
from kiosk.lean import prepare_process
prepare_process()
from kiosk.cli import start_resident
from textual.widgets import Input
app = start_resident(sys.argv[1])

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        while type(app.screen).__name__ != "DescriptionScreen":
            await pilot.pause(0.01)
        from screens.widgets.writing_pad import WritingPad
        pad = app.screen.query_one(WritingPad)
        waited = 0
        while not getattr(pad, "dictionary_missing", False) and waited < 500:
            await pilot.pause(0.01)
            waited += 1
        await pilot.press(*"568")
        spelling = str(pad.query_one("#writing-spelling").render())
        await pilot.press(".", ".", ".", "0", "1")
        print(json.dumps({
            "spelling": spelling,
            "text": app.screen.query_one("#description", Input).value,
        }, ensure_ascii=False))

asyncio.run(main())
"""


def test_a_damaged_dictionary_is_said_and_phrases_still_work(tmp_path):
    # The kiosk's own code, with a copy of its assets whose dictionary is
    # damaged (not UTF-8) ahead of them on the path.
    shutil.copytree(ROOT / "assets", tmp_path / "shadow" / "assets")
    (tmp_path / "shadow" / "assets" / "pinyin" / "zh.txt").write_bytes(b"\xff\xfe##")
    config = _config(tmp_path)
    path = f"{tmp_path / 'shadow'}{os.pathsep}{ROOT}"
    done = _python(DAMAGED, config, path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {
        "spelling": "拼音暂时不能用：可按 0 选常用说法，或按 + 输入数字",
        "text": "楼上漏下来",
    }
