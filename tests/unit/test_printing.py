"""Printed tickets: the image, the ESC/POS stream, and printers that fail."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from db import Ticket
from kiosk.i18n import translate
from kiosk.printing.escpos import escpos_bytes
from kiosk.printing.fonts import FontError, find_cjk_font, missing_glyphs
from kiosk.printing.printer import print_ticket
from kiosk.printing.ticket_image import printable, render_ticket, sample_ticket
from kiosk.tickets import TicketDraft, issue_ticket
from kiosk.tracking import check_code
from tests.escpos import escpos_to_image
from tests.helpers import with_printer

NON_CJK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def issued(settings, **fields: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"category": "market", "item": "expired-food"}
    values.update(fields)
    return issue_ticket(settings, TicketDraft(**values))  # type: ignore[arg-type]


def decode(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


@pytest.mark.parametrize("width", [384, 576])
def test_ticket_image_is_one_bit_at_the_printer_width_and_scans(
    settings, station_db, width
):
    ticket = issued(settings)
    row = Ticket.get(Ticket.ticket_no == ticket.ticket_no)
    image = render_ticket(printable(settings, row), width, find_cjk_font())
    assert image.mode == "1" and image.width == width
    assert decode(image) == [ticket.url]


def test_every_chinese_character_on_the_ticket_has_a_real_glyph(settings, station_db):
    ticket = issued(settings)
    content = printable(settings, Ticket.get(Ticket.ticket_no == ticket.ticket_no))
    font = find_cjk_font()
    text = "".join(
        [
            content.station_name,
            content.category,
            content.item,
            translate("zh-CN", "print.queue_label"),
            translate("zh-CN", "print.ticket_no", ticket_no=content.ticket_no),
            translate("zh-CN", "print.check_code", code=content.check_code),
            translate("zh-CN", "print.how_to_track"),
            translate("zh-CN", "print.privacy"),
        ]
    )
    assert any("\u4e00" <= char <= "\u9fff" for char in text)
    for size in (19, 24, 96):  # every size the ticket uses at 384 dots
        assert missing_glyphs(font.load(size), text) == set()


def test_a_font_without_chinese_is_refused_not_printed_as_boxes():
    with pytest.raises(FontError, match="no Chinese glyphs"):
        find_cjk_font(NON_CJK_FONT)
    with pytest.raises(FontError, match="cannot be loaded"):
        find_cjk_font("/nonexistent/font.ttf")


def test_escpos_stream_prints_the_same_image(settings):
    image = render_ticket(sample_ticket(settings), 384, find_cjk_font())
    data = escpos_bytes(image)
    assert data.startswith(b"\x1b@") and data.endswith(b"\x1dVB\x00")
    back = escpos_to_image(data)
    assert back.size == image.size
    assert back.tobytes() == image.tobytes()
    assert decode(back) == [sample_ticket(settings).url]


def test_print_to_an_escpos_device(settings, station_db, tmp_path):
    device = tmp_path / "lp0"
    device.write_bytes(b"")  # a stand-in device node: a file that exists
    chosen = with_printer(settings, f"escpos:{device}", width=576)
    ticket = issued(chosen)
    outcome = print_ticket(chosen, ticket.ticket_no)
    assert outcome.ok, outcome.detail
    image = escpos_to_image(device.read_bytes())
    assert image.width == 576 and decode(image) == [ticket.url]
    assert Ticket.get().print_state == "printed"


def test_print_to_a_file_folder(settings, station_db, tmp_path):
    chosen = with_printer(settings, f"file:{tmp_path / 'out'}")
    ticket = issued(chosen)
    assert Ticket.get().print_state == "pending"
    assert print_ticket(chosen, ticket.ticket_no).ok
    with Image.open(tmp_path / "out" / f"{ticket.ticket_no}.png") as png:
        assert png.width == 384 and decode(png) == [ticket.url]


class FakePrinter:
    """A network printer on 127.0.0.1: answers DLE EOT 4, keeps what it gets."""

    def __init__(self, paper_status: int | None) -> None:
        self.paper_status = paper_status  # None: accept but never answer
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        connection, _ = self.server.accept()
        with connection:
            query = connection.recv(3)
            assert query == b"\x10\x04\x04"
            if self.paper_status is None:
                self.done.wait(10)  # hang: a printer that has stopped answering
                return
            connection.sendall(bytes([self.paper_status]))
            connection.settimeout(5)
            while chunk := connection.recv(65536):
                self.received += chunk
        self.done.set()

    def close(self) -> None:
        self.done.set()
        self.server.close()


def test_print_to_a_network_printer(settings, station_db):
    printer = FakePrinter(paper_status=0x12)
    try:
        chosen = with_printer(settings, f"tcp://127.0.0.1:{printer.port}")
        ticket = issued(chosen)
        assert print_ticket(chosen, ticket.ticket_no).ok
        assert printer.done.wait(10)
        assert decode(escpos_to_image(bytes(printer.received))) == [ticket.url]
    finally:
        printer.close()


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("paper_out", "out of paper"),
        ("hangs", "did not answer in time"),
        ("refuses", "no printer answers"),
        ("no_device", "no printer at"),
    ],
)
def test_failing_printers_leave_the_ticket_issued_and_unprinted(
    settings, station_db, tmp_path, kind, reason
):
    printer = None
    if kind in ("paper_out", "hangs"):
        printer = FakePrinter(paper_status=0x72 if kind == "paper_out" else None)
        target = f"tcp://127.0.0.1:{printer.port}"
    elif kind == "refuses":
        closed = socket.create_server(("127.0.0.1", 0))
        target = f"tcp://127.0.0.1:{closed.getsockname()[1]}"
        closed.close()
    else:
        target = f"escpos:{tmp_path / 'no-such-device'}"
    try:
        chosen = with_printer(settings, target)
        ticket = issued(chosen)
        outcome = print_ticket(chosen, ticket.ticket_no)
    finally:
        if printer:
            printer.close()
    assert not outcome.ok and reason in outcome.detail
    row = Ticket.get(Ticket.ticket_no == ticket.ticket_no)
    assert row.print_state == "failed" and row.status == "received"


def run_cli(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_print_test_reprint_and_doctor_commands(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[printer]\ntarget = "file:{tmp_path / "paper"}"\n'
        f'[database]\npath = "{tmp_path / "kiosk.db"}"\n',
        encoding="utf-8",
    )
    result = run_cli("print-test", config=config)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "paper" / "print-test.png").exists()
    failed = run_cli("print-test", "--to", f"escpos:{tmp_path / 'nope'}", config=config)
    assert failed.returncode == 1 and "no printer at" in failed.stderr
    assert "Traceback" not in failed.stderr
    missing = run_cli("tickets", "print", "PHY3-000000-001", config=config)
    assert missing.returncode == 1 and "no ticket" in missing.stderr
    doctor = run_cli("doctor", config=config)
    assert doctor.returncode == 0, doctor.stdout
    assert "ok   CJK font" in doctor.stdout and "ok   printer" in doctor.stdout


def test_check_code_is_on_the_printed_ticket(settings, station_db):
    ticket = issued(settings)
    content = printable(settings, Ticket.get(Ticket.ticket_no == ticket.ticket_no))
    assert content.check_code == check_code(ticket.token)
