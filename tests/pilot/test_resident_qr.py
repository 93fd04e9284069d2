"""The QR on the ticket screen, read back from what is drawn, decodes to the URL."""

from __future__ import annotations

import re

import zxingcpp
from PIL import Image

from db import Ticket
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.widgets.qrcode import UPPER_HALF, QRCode
from tests.helpers import wait_screen

SCALE = 8  # pixels per module when the drawing is turned back into an image


def drawn_qr_image(widget: QRCode) -> Image.Image:
    """Rebuild the picture from the cells the widget paints: glyph and colours."""
    width, height = widget.size.width, widget.size.height
    image = Image.new("L", (width * SCALE, height * 2 * SCALE), 255)
    for y in range(height):
        x = 0
        for segment in widget.render_line(y):
            style = segment.style
            assert style is not None and style.color and style.bgcolor
            top = style.color.get_truecolor()
            bottom = style.bgcolor.get_truecolor()
            for char in segment.text:
                assert char == UPPER_HALF
                for row, colour in ((0, top), (1, bottom)):
                    shade = 0 if sum(colour) < 384 else 255
                    image.paste(
                        shade,
                        (
                            x * SCALE,
                            (2 * y + row) * SCALE,
                            (x + 1) * SCALE,
                            (2 * y + row + 1) * SCALE,
                        ),
                    )
                x += 1
    return image


def quiet_zone_modules(image: Image.Image) -> int:
    """How many light modules surround the code on its left edge."""
    pixels = image.load()
    assert pixels is not None
    for column in range(image.width // SCALE):
        for row in range(image.height // SCALE):
            if pixels[column * SCALE, row * SCALE] == 0:
                return column
    return image.width // SCALE


async def test_qr_on_screen_decodes_to_the_tracking_url(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        widget = app.screen.query_one(QRCode)
        # The whole code is on screen at the smallest supported size.
        assert widget.region.bottom <= 24 and widget.region.right <= 80
        image = drawn_qr_image(widget)
    ticket = Ticket.get()
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [
        f"http://127.0.0.1:8311/t/{ticket.ticket_no}?k={ticket.token}"
    ]
    assert quiet_zone_modules(image) >= 4
    # The token is URL-safe and carries at least 128 bits.
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", ticket.token)
    # No personal data in what the QR holds.
    assert "138" not in results[0].text


async def test_the_next_ticket_shows_its_own_number_code_and_language(make_app, clock):
    """The ticket screen is composed once and reused: each ticket must still
    show its own queue number, ticket number and QR code, in the language
    the resident chose."""
    from screens.resident.welcome import WelcomeScreen
    from screens.widgets.bigtext import BigText
    from tests.helpers import screen_text, wait_for

    app = make_app()
    screens = set()
    async with app.run_test(size=(80, 24)) as pilot:
        for number, english in ((1, False), (2, False), (3, True)):
            await wait_screen(pilot, WelcomeScreen)
            if english:
                await pilot.press("asterisk")
                await wait_for(pilot, lambda: "Make a request" in screen_text(app))
            await pilot.press("1", "2", "1", "enter", "enter")
            await wait_screen(pilot, IssuedTicketScreen)
            if english:
                await wait_for(pilot, lambda: "Your queue number" in screen_text(app))
            screens.add(id(app.screen))
            ticket = Ticket.select().order_by(Ticket.id.desc()).get()
            assert ticket.queue_no == f"B{number:03d}"
            assert app.screen.query_one(BigText).text == ticket.queue_no
            text = screen_text(app)
            assert ticket.ticket_no in text
            assert ticket.ticket_no[:-3] + f"{number - 1:03d}" not in text
            image = drawn_qr_image(app.screen.query_one(QRCode))
            results = zxingcpp.read_barcodes(image)
            assert [r.text for r in results] == [
                f"http://127.0.0.1:8311/t/{ticket.ticket_no}?k={ticket.token}"
            ]
            clock.advance(3)
            await pilot.press("enter")
    assert len(screens) == 1  # one screen, shown three times


async def test_a_ticket_taken_by_another_kiosk_meanwhile_still_gets_its_own_qr(
    make_app, settings
):
    """The review screen draws the QR of the number the ticket will likely
    get; when another process takes that number first, the resident's
    ticket must still show the QR of the number it really got."""
    from kiosk.tickets import TicketDraft, issue_ticket
    from screens.resident.review import ReviewScreen
    from tests.helpers import wait_for

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter")
        await wait_screen(pilot, ReviewScreen)
        review = app.screen
        await wait_for(pilot, lambda: review._qr_ahead._done.is_set())
        taken = issue_ticket(settings, TicketDraft(category="fire", item="other"))
        assert taken.ticket_no.endswith("-001")
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
        mine = Ticket.get(Ticket.uuid == app.screen.ticket.uuid)
        assert mine.ticket_no.endswith("-002")
        image = drawn_qr_image(app.screen.query_one(QRCode))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [
        f"http://127.0.0.1:8311/t/{mine.ticket_no}?k={mine.token}"
    ]


async def test_the_longest_base_url_the_config_allows_fits_and_decodes(
    make_app, settings
):
    """Issue 16, item 14: the config refuses a public_base_url whose QR would
    not fit 80x24; the longest one it accepts still fits whole and decodes."""
    import dataclasses  # only this test changes the settings

    from kiosk.config import QR_SCREEN_URL_LIMIT, qr_url_length

    room = QR_SCREEN_URL_LIMIT - qr_url_length("", settings.station.code)
    base = "https://track.example.gov.cn/" + "x" * (room - 29)
    assert len(base) == room
    app = make_app()
    central = dataclasses.replace(settings.central, public_base_url=base)
    app.settings = dataclasses.replace(settings, central=central)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        widget = app.screen.query_one(QRCode)
        assert widget.region.bottom <= 23 and widget.region.right <= 80
        image = drawn_qr_image(widget)
    ticket = Ticket.get()
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [
        f"{base}/t/{ticket.ticket_no}?k={ticket.token}"
    ]
    assert quiet_zone_modules(image) >= 4


async def test_the_ticket_screen_paints_the_lines_drawn_before_submit(make_app):
    """The QR's lines are made with its code, off the UI thread, while the
    resident reads the review: after Submit the ticket screen swaps them in
    and draws nothing of the code itself."""
    from screens.resident.messages import TicketIssued

    issued: list[TicketIssued] = []

    def keep(message: object) -> None:
        if isinstance(message, TicketIssued):
            issued.append(message)

    app = make_app()
    async with app.run_test(size=(80, 24), message_hook=keep) as pilot:
        for _ in range(2):  # the first ticket composes the screen; the next reuses it
            await pilot.press("1", "2", "1", "enter", "enter")
            await wait_screen(pilot, IssuedTicketScreen)
            widget = app.screen.query_one(QRCode)
            picture = issued[-1].qr
            assert widget.data == issued[-1].ticket.url
            assert [widget.render_line(y) for y in range(len(picture.strips))] == [
                *picture.strips
            ]
            assert all(
                widget.render_line(y) is strip for y, strip in enumerate(picture.strips)
            )
            app.reset_flow()
            await pilot.pause()
    assert len({message.ticket.ticket_no for message in issued}) == 2
