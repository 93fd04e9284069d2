"""The voice: a call rendered by espeak-ng's Mandarin voice is speech of a
plausible length (sox measures it), not silence; without espeak-ng the voice
is off and ``kiosk doctor`` says so."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.voice import Voice, call_words, spoken_number


def sox_stat(wav: Path, *effects: str) -> dict[str, float]:
    """sox's ``stat`` of a WAV file (after ``effects``), by name."""
    done = subprocess.run(
        ["sox", str(wav), "-n", *effects, "stat"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    figures = {}
    for line in done.stderr.splitlines():
        name, _, value = line.partition(":")
        if re.fullmatch(r"\s*-?[0-9.]+\s*", value):
            figures[" ".join(name.split())] = float(value)
    return figures


# sox trims the silence before and after the speech (below 1% of full scale
# for 50 ms): what is left is the speech itself.
TRIM = (
    "silence",
    "1",
    "0.05",
    "1%",
    "reverse",
    "silence",
    "1",
    "0.05",
    "1%",
    "reverse",
)


def test_a_call_is_spoken_digit_by_digit():
    assert spoken_number("A002") == "A 零 零 二"
    assert call_words("B017") == "请 B 零 一 七 号到前台"


def test_a_call_renders_to_speech_of_a_plausible_length(tmp_path: Path):
    voice = Voice()
    assert voice.available, "espeak-ng is missing (.ci/run installs it)"
    wav = tmp_path / "call.wav"
    assert voice.render(call_words("A002"), wav)
    whole = sox_stat(wav)
    speech = sox_stat(wav, *TRIM)
    # Eleven syllables at 140 words a minute: a few seconds, most of it voice.
    assert 2.0 < whole["Length (seconds)"] < 10.0
    assert speech["Length (seconds)"] > 0.7 * whole["Length (seconds)"]
    assert speech["RMS amplitude"] > 0.02
    # A longer number takes longer to say: the words are spoken, not a beep.
    longer = tmp_path / "longer.wav"
    assert voice.render(call_words("A002") + "，" + call_words("B017"), longer)
    assert sox_stat(longer)["Length (seconds)"] > 1.6 * whole["Length (seconds)"]


def test_silence_is_not_taken_for_speech(tmp_path: Path):
    # The check above can fail: three seconds of silence have no voice in them.
    silent = tmp_path / "silent.wav"
    subprocess.run(
        ["sox", "-n", "-r", "22050", str(silent), "trim", "0", "3"], check=True
    )
    assert sox_stat(silent)["RMS amplitude"] < 0.001


def test_without_espeak_the_voice_is_off_and_doctor_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # This PATH has every program of the system's but espeak-ng.
    programs = tmp_path / "bin"
    programs.mkdir()
    for folder in (Path("/usr/bin"), Path("/bin")):
        for program in folder.iterdir():
            link = programs / program.name
            if program.name != "espeak-ng" and not link.exists():
                link.symlink_to(program)
    monkeypatch.setenv("PATH", str(programs))
    voice = Voice()
    assert not voice.available
    assert voice.say("请 A 零 零 一 号到前台") is False
    assert voice.render("请", tmp_path / "nothing.wav") is False
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[printer]\ntarget = "file:{tmp_path / "paper"}"\n'
        f'[database]\npath = "{tmp_path / "kiosk.db"}"\n',
        encoding="utf-8",
    )
    doctor = subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), "doctor"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert doctor.returncode == 0, doctor.stdout
    assert "voice: off: espeak-ng is not installed" in doctor.stdout
    assert "Traceback" not in doctor.stderr
