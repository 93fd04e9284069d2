"""Where a ticket image goes: PNG files, an ESC/POS device or socket, CUPS.

A failure of any kind raises PrintError with a plain reason.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
from pathlib import Path

from PIL import Image

from kiosk.config import Settings
from kiosk.printing.escpos import escpos_bytes

LPGETSTATUS = 0x060B
LP_PAPER_OUT = 0x20
DLE_EOT_PAPER = b"\x10\x04\x04"


class PrintError(Exception):
    """The ticket could not be printed; the message is for people."""


def default_target(settings: Settings) -> str:
    return f"file:{settings.database_path.parent / 'printed'}"


def send(settings: Settings, target: str, image: Image.Image, name: str) -> str:
    """Send the image to ``target``; returns where it went. Raises PrintError."""
    timeout = settings.printer.timeout
    if target.startswith("file:"):
        return _to_file(Path(target[5:]).expanduser(), image, name)
    if target.startswith("escpos:"):
        return _to_device(target[7:], escpos_bytes(image), timeout)
    if target.startswith("tcp://"):
        host, _, port = target[6:].rpartition(":")
        return _to_socket(host, int(port), escpos_bytes(image), timeout)
    if target.startswith("cups:"):
        return _to_cups(target[5:], image, name, timeout)
    raise PrintError(f"unknown printer {target!r}")


def _to_file(folder: Path, image: Image.Image, name: str) -> str:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / f"{name}.png"
        with tempfile.NamedTemporaryFile(
            dir=folder, suffix=".part", delete=False
        ) as tmp:
            image.save(tmp, format="PNG")
        os.replace(tmp.name, final)
    except OSError as error:
        raise PrintError(f"cannot write to {folder}: {error.strerror}") from error
    return str(final)


def _write_with_timeout(descriptor: int, data: bytes, timeout: float) -> None:
    """Write all of ``data``; a printer that stops taking it is a PrintError."""
    failure: list[BaseException] = []

    def write_all() -> None:
        try:
            view = memoryview(data)
            while view:
                written = os.write(descriptor, view)
                view = view[written:]
        except OSError as error:
            failure.append(error)

    writer = threading.Thread(target=write_all, daemon=True, name="printer-write")
    writer.start()
    writer.join(timeout)
    if writer.is_alive():
        raise PrintError("the printer did not take the ticket in time (offline?)")
    if failure:
        raise PrintError(f"the printer refused the ticket: {failure[0]}")


def _to_device(device: str, data: bytes, timeout: float) -> str:
    try:
        # Never O_CREAT: a missing device is a missing printer, not a new file.
        descriptor = os.open(device, os.O_WRONLY | os.O_APPEND)
    except FileNotFoundError as error:
        raise PrintError(f"no printer at {device}") from error
    except OSError as error:
        raise PrintError(
            f"the printer at {device} cannot be opened: {error.strerror}"
        ) from error
    try:
        if stat.S_ISCHR(os.fstat(descriptor).st_mode):
            try:
                status = bytearray(4)
                fcntl.ioctl(descriptor, LPGETSTATUS, status)
                if int.from_bytes(status, "little") & LP_PAPER_OUT:
                    raise PrintError("the printer is out of paper")
            except OSError:
                pass  # not a line-printer device: no status to read
        _write_with_timeout(descriptor, data, timeout)
    finally:
        os.close(descriptor)
    return device


def _to_socket(host: str, port: int, data: bytes, timeout: float) -> str:
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            # Ask for the paper sensor first (DLE EOT 4): a printer that does
            # not answer in time is not printing either.
            connection.sendall(DLE_EOT_PAPER)
            reply = connection.recv(1)
            if not reply:
                raise PrintError(f"the printer at {host}:{port} closed the connection")
            if reply[0] & 0x60:
                raise PrintError("the printer is out of paper")
            connection.sendall(data)
    except TimeoutError as error:
        raise PrintError(
            f"the printer at {host}:{port} did not answer in time"
        ) from error
    except ConnectionRefusedError as error:
        raise PrintError(f"no printer answers at {host}:{port}") from error
    except OSError as error:
        raise PrintError(f"the printer at {host}:{port} failed: {error}") from error
    return f"tcp://{host}:{port}"


def _to_cups(queue: str, image: Image.Image, name: str, timeout: float) -> str:
    lp = shutil.which("lp")
    if lp is None:
        raise PrintError("CUPS is not installed here (no lp command)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.png"
        image.save(path, format="PNG")
        try:
            result = subprocess.run(
                [lp, "-d", queue, "-t", name, "-o", "fit-to-page", str(path)],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            raise PrintError(
                f"CUPS did not take the ticket in {timeout:g} s"
            ) from error
        if result.returncode != 0:
            reason = (result.stderr or result.stdout).strip().splitlines()
            raise PrintError(
                f"CUPS refused the ticket: {reason[-1] if reason else '?'}"
            )
    return f"cups:{queue}"
