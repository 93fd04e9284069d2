"""The kiosk reads its screen aloud for residents who cannot read it: off by
default, F12 (a key outside the keypad) turns it on and off. The speech is
rendered by espeak-ng to WAV files, and sox checks that each is speech of
the length its words take, not silence."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from kiosk.read_aloud import ScreenReader, screen_speech
from screens.resident.app import KioskApp
from screens.resident.category import CategoryScreen
from screens.resident.welcome import WelcomeScreen
from tests.box.test_voice import TRIM, sox_stat
from tests.helpers import FIXED_NOW, wait_for, wait_screen

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="needs espeak-ng and sox (.ci/run installs them)",
)
# espeak-ng reads each Chinese character as a word, at the kiosk's 140 words
# a minute: 0.43 s each, a little less with the punctuation's pauses.
SECONDS_PER_CHARACTER = 60 / 140


def han_count(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def check_speech(wav: Path, text: str) -> None:
    """``wav`` is speech, as long as ``text``'s Chinese takes to say."""
    whole = sox_stat(wav)["Length (seconds)"]
    speech = sox_stat(wav, *TRIM)
    expected = han_count(text) * SECONDS_PER_CHARACTER
    assert 0.6 * expected < whole < 1.4 * expected, (whole, expected, text)
    assert speech["Length (seconds)"] > 0.7 * whole
    assert speech["RMS amplitude"] > 0.02


@pytest.fixture
def reader(tmp_path: Path) -> ScreenReader:
    folder = tmp_path / "speech"
    folder.mkdir()
    return ScreenReader(wav_dir=folder)


@pytest.fixture
def app(settings, station_db, clock, reader) -> KioskApp:
    return KioskApp(settings, clock=clock, now=lambda: FIXED_NOW, reader=reader)


async def settle(pilot, reader: ScreenReader) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    reader.wait()


async def test_reading_aloud_is_off_by_default(app, reader):
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        await settle(pilot, reader)
    assert reader.spoken == []
    assert not list(reader.wav_dir.glob("*.wav"))  # type: ignore[union-attr]


async def test_f12_reads_the_welcome_screen_and_then_each_new_screen(app, reader):
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: len(reader.spoken) == 1)
        await settle(pilot, reader)
        welcome, language, wav = reader.spoken[0]
        assert language == "zh-CN"
        assert welcome.startswith("朗读已开启")
        # The tiles with their numbers, and the keypad's keys.
        assert "1 我要反映问题" in welcome and "2 查询办理进度" in welcome
        assert "按斜杠键，大字模式" in welcome
        assert wav is not None
        check_speech(wav, welcome)

        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        await wait_for(pilot, lambda: len(reader.spoken) == 2)
        await settle(pilot, reader)
        category, _, wav = reader.spoken[1]
        assert "请选择问题类别" in category and "环境卫生" in category
        assert "welcome" not in category and "我要反映问题" not in category
        assert wav is not None
        check_speech(wav, category)


async def test_f12_again_stops_and_nothing_more_is_read(app, reader):
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: len(reader.spoken) == 1)
        await pilot.press("f12")
        await wait_for(pilot, lambda: len(reader.spoken) == 2)
        assert reader.spoken[1][0] == "朗读已关闭。"
        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        await settle(pilot, reader)
    assert len(reader.spoken) == 2


async def test_in_english_the_screen_is_read_with_the_english_voice(app, reader):
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: len(reader.spoken) == 1)
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: len(reader.spoken) == 2)
        await settle(pilot, reader)
    text, language, wav = reader.spoken[1]
    assert language == "en"
    assert "1 Make a request" in text and "Press a number key" in text
    assert wav is not None
    whole = sox_stat(wav)["Length (seconds)"]
    words = len(text.split())
    # English at 140 words a minute.
    assert 0.5 * words * 60 / 140 < whole < 1.5 * words * 60 / 140
    assert sox_stat(wav, *TRIM)["RMS amplitude"] > 0.02


async def test_a_new_resident_starts_with_reading_aloud_off(app, reader):
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: app.read_aloud)
        app.reset_flow()
        await pilot.pause()
        assert not app.read_aloud


def test_drawn_characters_are_not_read():
    text = screen_speech(["▀▀▄▄ 请拍下二维码 …", "", "│ 1 环境卫生 │"], "zh-CN")
    assert text == "请拍下二维码。1 环境卫生。"
