"""Printed tickets: a 1-bit image at the printer's width, and the backends.

The image is drawn with Pillow in a real CJK font; ESC/POS printers get it as
a raster (``GS v 0``), CUPS and the file backend as PNG. A failure of any kind
raises PrintError with a plain reason; the ticket itself is never affected,
only its print state.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from db import Ticket, write_transaction
from kiosk.catalog import load_catalog
from kiosk.config import Settings
from kiosk.fonts import FontSpec, find_cjk_font
from kiosk.i18n import translate
from kiosk.print_process import PrintOutcome
from kiosk.qr import PAPER, qr_matrix
from kiosk.tickets import tracking_url
from kiosk.tracking import check_code

log = logging.getLogger(__name__)

MARGIN = 8  # dots of white on each side
MAX_MODULE = 10  # dots per QR module, at most
BAND_ROWS = 256  # rows per GS v 0 command: older printers cap one raster
LPGETSTATUS = 0x060B
LP_PAPER_OUT = 0x20
DLE_EOT_PAPER = b"\x10\x04\x04"
_INVERT = bytes(255 - value for value in range(256))


class PrintError(Exception):
    """The ticket could not be printed; the message is for people."""


@dataclass(frozen=True)
class PrintableTicket:
    station_name: str
    queue_no: str
    ticket_no: str
    category: str
    item: str
    created_at: datetime
    url: str
    check_code: str
    language: str


def printable(settings: Settings, ticket: Ticket) -> PrintableTicket:
    catalog = load_catalog()
    language = ticket.language if ticket.language in ("zh-CN", "en") else "zh-CN"
    category = catalog.category(ticket.category)
    station = settings.station
    return PrintableTicket(
        station_name=station.name_en if language == "en" else station.name,
        queue_no=ticket.queue_no,
        ticket_no=ticket.ticket_no,
        category=category.label(language),
        item=category.item(ticket.item).label(language),
        created_at=datetime.fromisoformat(ticket.created_at),
        url=tracking_url(settings, ticket.ticket_no, ticket.token),
        check_code=check_code(ticket.token),
        language=language,
    )


def sample_ticket(settings: Settings) -> PrintableTicket:
    token = "SAMPLE-not-a-real-ticket"
    ticket_no = f"{settings.station.code}-000000-000"
    return PrintableTicket(
        station_name=settings.station.name,
        queue_no="B000",
        ticket_no=ticket_no,
        category="房屋设施报修",
        item="屋顶漏水（测试页）",
        created_at=datetime.now(settings.zone).replace(microsecond=0),
        url=tracking_url(settings, ticket_no, token),
        check_code=check_code(token),
        language="zh-CN",
    )


# -- drawing ----------------------------------------------------------------


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Break text into lines that fit ``width``; CJK breaks between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if draw.textlength(line + char, font=font) <= width:
                line += char
                continue
            # Prefer breaking Latin text at the last space.
            cut = line.rfind(" ")
            if char != " " and cut > 0 and line[cut + 1 :].isascii():
                lines.append(line[:cut])
                line = line[cut + 1 :] + char
            else:
                lines.append(line)
                line = char.lstrip()
        lines.append(line)
    return lines


def render_ticket(ticket: PrintableTicket, width: int, font: FontSpec) -> Image.Image:
    """The ticket as a 1-bit image ``width`` dots wide."""
    if width % 8:
        raise ValueError("the printer width must be a multiple of 8 dots")
    inner = width - 2 * MARGIN
    base = max(16, width // 16)
    small = font.load(int(base * 0.8))
    normal = font.load(base)
    big = font.load(width // 4)
    t = ticket.language

    # Draw on a tall canvas, then crop to what was used.
    canvas = Image.new("L", (width, width * 4), 255)
    draw = ImageDraw.Draw(canvas)
    y = MARGIN

    def text_block(
        text: str, face: ImageFont.FreeTypeFont, *, center: bool = False, gap: int = 4
    ) -> None:
        nonlocal y
        for line in _wrap(draw, text, face, inner):
            left = MARGIN
            if center:
                left = (width - int(draw.textlength(line, font=face))) // 2
            draw.text((left, y), line, font=face, fill=0)
            ascent, descent = face.getmetrics()
            y += ascent + descent + gap

    def rule() -> None:
        nonlocal y
        draw.line((MARGIN, y + 4, width - MARGIN, y + 4), fill=0, width=2)
        y += 12

    text_block(ticket.station_name, normal, center=True)
    rule()
    text_block(translate(t, "print.queue_label"), small, center=True)
    text_block(ticket.queue_no, big, center=True, gap=0)
    text_block(translate(t, "print.ticket_no", ticket_no=ticket.ticket_no), normal)
    text_block(f"{ticket.category} · {ticket.item}", normal)
    text_block(f"{ticket.created_at:%Y-%m-%d %H:%M}", normal)
    rule()

    matrix = qr_matrix(ticket.url, error_correction=PAPER)
    module = min(MAX_MODULE, width // len(matrix))
    size = module * len(matrix)
    modules = Image.new("L", (len(matrix), len(matrix)), 255)
    modules.putdata([0 if dark else 255 for row in matrix for dark in row])
    # Integer scaling with nearest-neighbour keeps every module square and sharp.
    canvas.paste(
        modules.resize((size, size), Image.Resampling.NEAREST), ((width - size) // 2, y)
    )
    y += size + 4
    text_block(
        translate(t, "print.check_code", code=ticket.check_code), normal, center=True
    )
    text_block(translate(t, "print.how_to_track"), small)
    text_block(translate(t, "print.privacy"), small)
    y += MARGIN
    cropped = canvas.crop((0, 0, width, y))
    return cropped.point(lambda value: 255 if value >= 128 else 0).convert("1")


def escpos_bytes(image: Image.Image) -> bytes:
    """ESC/POS for a 1-bit image: initialise, raster bands, feed and cut."""
    image = image.convert("1")
    width, height = image.size
    row_bytes = width // 8
    # Pillow packs 1-bit rows MSB first with 1 = white; ESC/POS wants 1 = black.
    packed = image.tobytes().translate(_INVERT)
    out = bytearray(b"\x1b@")  # ESC @: initialise
    for top in range(0, height, BAND_ROWS):
        rows = min(BAND_ROWS, height - top)
        out += b"\x1dv0\x00"  # GS v 0, normal density
        out += bytes((row_bytes & 0xFF, row_bytes >> 8, rows & 0xFF, rows >> 8))
        out += packed[top * row_bytes : (top + rows) * row_bytes]
    out += b"\x1bd\x04"  # ESC d 4: feed four lines
    out += b"\x1dVB\x00"  # GS V 66 0: feed and partial cut
    return bytes(out)


# -- backends -----------------------------------------------------------------


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


# -- the service the kiosk and staff use --------------------------------------


def print_ticket(
    settings: Settings,
    ticket_no: str,
    target: str | None = None,
    *,
    record: bool = True,
) -> PrintOutcome:
    """Print a stored ticket and record the outcome as its print state."""
    ticket = Ticket.get_or_none(Ticket.ticket_no == ticket_no)
    if ticket is None:
        return PrintOutcome(False, f"no ticket {ticket_no}")
    chosen = target or settings.printer.target or default_target(settings)
    if chosen == "none":
        return PrintOutcome(False, "no printer is configured")
    try:
        font = find_cjk_font(settings.printer.font)
        image = render_ticket(printable(settings, ticket), settings.printer.width, font)
        where = send(settings, chosen, image, ticket.ticket_no)
    except (PrintError, OSError) as error:
        outcome = PrintOutcome(False, str(error))
    except Exception as error:  # a bad font file or the like: never crash the kiosk
        log.exception("printing %s failed", ticket_no)
        outcome = PrintOutcome(False, f"printing failed: {error}")
    else:
        outcome = PrintOutcome(True, where)
    if record:
        with write_transaction():
            Ticket.update(print_state="printed" if outcome.ok else "failed").where(
                Ticket.id == ticket.id
            ).execute()
    if outcome.ok:
        log.info("printed %s to %s", ticket_no, outcome.detail)
    else:
        log.warning("ticket %s not printed: %s", ticket_no, outcome.detail)
    return outcome
