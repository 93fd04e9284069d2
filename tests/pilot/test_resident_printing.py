"""What the resident sees when a ticket prints, or cannot."""

from __future__ import annotations

from db import Ticket
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.resident.welcome import WelcomeScreen
from tests.helpers import screen_text, wait_for, wait_screen, with_printer

NON_CJK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


async def test_kiosk_with_a_dead_printer_tells_the_resident_and_goes_back(
    make_app, settings, clock, tmp_path
):
    app = make_app()
    app.settings = with_printer(settings, f"escpos:{tmp_path / 'gone'}")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        await wait_for(pilot, lambda: "拍下二维码" in screen_text(app))
        assert Ticket.get().print_state == "failed"
        clock.advance(app.settings.kiosk.ticket_screen_seconds + 1)
        await wait_screen(pilot, WelcomeScreen)
    assert Ticket.select().count() == 1


async def test_a_print_result_while_the_screen_is_laid_out_again_is_kept(
    make_app, settings, tmp_path
):
    """``/`` lays the ticket screen out again (its widgets are removed, then
    composed anew); a print result arriving in between is not lost and does
    not crash the kiosk."""
    app = make_app()
    app.settings = with_printer(settings, f"escpos:{tmp_path / 'gone'}")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        await wait_for(pilot, lambda: "拍下二维码" in screen_text(app))
        screen = app.screen
        assert isinstance(screen, IssuedTicketScreen)
        await screen.query_children("*").remove()  # the recompose's first half
        screen.show_print_result(False)
        screen.refresh(recompose=True)
        await wait_for(pilot, lambda: "拍下二维码" in screen_text(app))
        assert app.return_code is None
