"""The ``kiosk`` process in a real terminal (a pty): bytes a keyboard never
sends, and what happens when it crashes."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from kiosk.config import render_config
from screens.resident.driver import tolerant_decoder

ROOT = Path(__file__).resolve().parents[2]
BAD_BYTES = [b"\x9b", b"\xff", b"\xc0", b"\x80", b"\xe4\xb8", b"\xfe\xfe\x9b["]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    text = render_config(path, "PHY3", "", "", "")
    text = text.replace('path = "kiosk.db"', f'path = "{tmp_path / "kiosk.db"}"')
    path.write_text(text, encoding="utf-8")
    return path


class Terminal:
    """The kiosk command on the slave side of a pty of 80x24."""

    def __init__(self, config: Path, *extra: str) -> None:
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        # rows 24, columns 80
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        environment.pop("KIOSK_CONFIG", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from kiosk.cli import main; sys.exit(main())",
                "--config",
                str(config),
                *extra,
            ],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=environment,
            start_new_session=True,
        )
        os.close(slave)
        self.output = b""

    def read_until(self, wanted: bytes, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while wanted not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{wanted!r} never shown")
            if self.process.poll() is not None:
                raise AssertionError(f"kiosk exited with {self.process.returncode}")
            ready, _, _ = select.select([self.master], [], [], 0.1)
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:
                    pass

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        os.close(self.master)


@pytest.mark.parametrize("data", BAD_BYTES)
def test_the_decoder_drops_bytes_that_are_not_utf8(data):
    decode = tolerant_decoder()
    text = decode(data + "好".encode(), final=True)
    assert text.endswith("好") and "\ufffd" not in text


def test_the_decoder_keeps_a_character_split_across_reads():
    decode = tolerant_decoder()
    encoded = "漏水".encode()
    assert decode(encoded[:2]) + decode(encoded[2:], final=True) == "漏水"


def test_bytes_that_are_not_utf8_do_not_stop_the_kiosk(tmp_path):
    terminal = Terminal(_config(tmp_path))
    try:
        terminal.read_until("我要反映问题".encode())
        for data in BAD_BYTES:
            terminal.send(data)
        terminal.send(b"*")  # still answering: English
        terminal.read_until(b"Make a request")
        assert terminal.process.poll() is None
    finally:
        terminal.close()
