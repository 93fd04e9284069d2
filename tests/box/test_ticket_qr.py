"""In the box's session, keys typed through the compositor (wtype) take a
resident to a ticket, and the QR on the screen decodes from a screenshot."""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from tests.box.session import (
    box_files,
    database_file,
    kiosk_environment,
    session_for,
    session_user,
    user_folder,
)

# Welcome -> 1 report -> category 2 -> item 1 -> location (Enter: skip) ->
# review (Enter: submit); as in tests/pilot/test_resident_qr.py.
KEYS = ("1", "2", "1", "Return", "Return")


def decoded(frame: Any) -> list[str]:
    image = Image.frombytes("RGB", (frame.width, frame.height), frame.pixels)
    return [result.text for result in zxingcpp.read_barcodes(image)]


@pytest.fixture(scope="module")
def ticket_on_screen() -> Iterator[tuple[list[str], bytes, tuple[str, str]]]:
    """One session for the module: what the QR says, the screen, the ticket."""
    account = session_user()
    with user_folder(account) as data_dir:
        environment = kiosk_environment(account, data_dir)
        session = session_for(account, environment, box_files(account, data_dir))
        try:
            session.start()
            session.wait_for_welcome()
            for key in KEYS:
                session.press_and_wait(key)
            frame = session.wait_for_frame(
                lambda shown: bool(decoded(shown)), 60, "a QR code on the screen"
            )
            png = session.png()
        except Exception:
            print(session.log_text()[-3000:])
            raise
        finally:
            session.stop()
        with sqlite3.connect(database_file(data_dir)) as connection:
            row = connection.execute("SELECT ticket_no, token FROM ticket").fetchone()
        yield decoded(frame), png, row


def test_the_qr_on_screen_decodes_to_the_tickets_tracking_link(ticket_on_screen):
    texts, _, (ticket_no, token) = ticket_on_screen
    assert texts == [f"http://127.0.0.1:8311/t/{ticket_no}?k={token}"]


def test_the_ticket_screen_fills_the_full_hd_screen(ticket_on_screen):
    _, png, _ = ticket_on_screen
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1920, 1080)
