"""Reading the resident screen aloud, for residents who cannot read it.

Off by default; F12 turns it on and off (a key outside the numeric keypad,
whose keys all have a meaning: the box's one-key "speaker" button sends it,
see deploy/README.md). While it is on, every screen the kiosk shows is read
out in the resident's language through espeak-ng (Mandarin, or English): its
title, its hint, its tiles with their numbers, then the keys of the keypad
bar. A new screen interrupts the one being read.

The speech runs in an espeak-ng process of its own: reading never blocks the
screen, and stopping it ends the process.
"""

from __future__ import annotations

import logging
import re
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path

from kiosk.voice import ESPEAK, MANDARIN, WORDS_PER_MINUTE, Voice

log = logging.getLogger(__name__)

VOICES = {"zh-CN": MANDARIN, "en": "en"}
# What the keypad bar's key names are read as.
KEY_WORDS = {
    "zh-CN": {"*": "星号键", "/": "斜杠键", "-": "减号键", ".": "点键", "+": "加号键"},
    "en": {"*": "star", "/": "slash", "-": "minus", ".": "dot", "+": "plus"},
}
ANNOUNCE = {
    "zh-CN": ("朗读已开启。再按 F12 关闭。", "朗读已关闭。"),
    "en": ("Reading aloud is on. Press F12 again to stop.", "Reading aloud is off."),
}
# Drawn, not said: the QR's half blocks, borders, bullets, ellipses.
NOT_SAID = re.compile(r"[\u2500-\u259f\u2022\u00b7\u2026]+")


def screen_speech(parts: Iterable[str], language: str) -> str:
    """The screen's texts as one utterance: each part a sentence."""
    stop = "。" if language == "zh-CN" else ". "
    sentences = []
    for part in parts:
        text = " ".join(NOT_SAID.sub(" ", part).split())
        if text:
            sentences.append(text.rstrip("。.:："))
    return stop.join(sentences) + (stop.strip() if sentences else "")


def key_speech(key: str, action: str, language: str) -> str:
    """One keypad bar entry ("/", "大字模式") as it is said."""
    words = KEY_WORDS.get(language, {})
    name = words.get(key, key.replace("/", " / "))
    said = "按" + name + "，" if language == "zh-CN" else f"{name}: "
    return said + action


class ScreenReader:
    """espeak-ng reading one text at a time; a new text stops the last.

    With ``wav_dir`` each utterance is written there as a WAV file
    (``0001.wav``, ...) instead of going to the sound card.
    """

    def __init__(self, program: str | None = None, wav_dir: Path | None = None):
        self.voice = Voice(program)
        self.wav_dir = wav_dir
        self.spoken: list[tuple[str, str, Path | None]] = []  # text, language, wav
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def available(self) -> bool:
        return self.voice.available

    def read(self, text: str, language: str) -> bool:
        """Start saying ``text`` (stopping what was being said); False when
        espeak-ng is missing or could not start (logged)."""
        if not self.available or not text:
            return False
        assert self.voice.program is not None
        voice = VOICES.get(language, MANDARIN)
        extra: list[str] = []
        wav = None
        with self._lock:
            running = self._process is not None and self._process.poll() is None
            if running and self.spoken and self.spoken[-1][:2] == (text, language):
                return True  # the same screen, shown again: go on reading it
            self._stop_locked()
            if self.wav_dir is not None:
                wav = self.wav_dir / f"{len(self.spoken) + 1:04d}.wav"
                extra = ["-w", str(wav)]
            command = [self.voice.program, "-v", voice, "-s", str(WORDS_PER_MINUTE)]
            try:
                self._process = subprocess.Popen(
                    [*command, *extra, "--", text],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            except OSError as error:
                log.warning("%s failed: %s", ESPEAK, error)
                return False
            self.spoken.append((text, language, wav))
        return True

    def _stop_locked(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def wait(self, timeout: float = 60) -> None:
        """Until the utterance being said is done (tests, shutdown)."""
        with self._lock:
            process = self._process
        if process is not None:
            process.wait(timeout=timeout)
