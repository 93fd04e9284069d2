"""Speech: calling queue numbers aloud in Mandarin through espeak-ng.

espeak-ng runs as a subprocess, one utterance at a time; the callers run it
in a thread worker, so the screen never waits for the voice. Without
espeak-ng on the box the voice is off, and ``kiosk doctor`` says so.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
MANDARIN = "cmn"
WORDS_PER_MINUTE = 140  # slower than espeak's 175: a waiting room, older ears
SPEAK_TIMEOUT_SECONDS = 30
DIGITS = "零一二三四五六七八九"


def spoken_number(queue_no: str) -> str:
    """A queue number as it is read out: the letter, then digit by digit
    (A002 -> "A 零 零 二"), as callers in Chinese offices read them."""
    words = [DIGITS[int(char)] if char.isdigit() else char for char in queue_no]
    return " ".join(words)


def call_words(queue_no: str) -> str:
    """What is said when a number is called."""
    return f"请 {spoken_number(queue_no)} 号到前台"


class Voice:
    """espeak-ng's Mandarin voice, or nothing when espeak-ng is missing."""

    def __init__(self, program: str | None = None, voice: str = MANDARIN) -> None:
        self.program = program or shutil.which(ESPEAK)
        self.voice = voice
        self._speaking = threading.Lock()

    @property
    def available(self) -> bool:
        return self.program is not None

    def status(self) -> str:
        """One line for ``kiosk doctor``."""
        if not self.available:
            return f"off: {ESPEAK} is not installed (apt-get install {ESPEAK})"
        return f"{self.program} -v {self.voice}"

    def _command(self, text: str, *extra: str) -> list[str]:
        assert self.program is not None
        return [
            self.program,
            "-v",
            self.voice,
            "-s",
            str(WORDS_PER_MINUTE),
            *extra,
            "--",
            text,
        ]

    def say(self, text: str) -> bool:
        """Speak ``text`` on the sound card; blocks until it is said (call
        it from a worker thread). One utterance at a time. False when the
        voice is off or espeak-ng failed (logged)."""
        if not self.available:
            return False
        with self._speaking:
            return self._run(self._command(text))

    def render(self, text: str, wav: Path) -> bool:
        """Write the speech to a WAV file instead of the sound card."""
        if not self.available:
            return False
        return self._run(self._command(text, "-w", str(wav)))

    def _run(self, command: list[str]) -> bool:
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=SPEAK_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            log.warning("voice failed: %s", error)
            return False
        if done.returncode != 0:
            log.warning(
                "voice failed (%d): %s",
                done.returncode,
                done.stderr.decode(errors="replace").strip()[:200],
            )
            return False
        return True
