"""The resident flow, driven as a resident would: keypad, touch, both languages."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from db import Outbox, Ticket, TicketEvent
from screens.resident.category import CategoryScreen
from screens.resident.consent import ConsentScreen
from screens.resident.contact import ContactScreen
from screens.resident.description import DescriptionScreen
from screens.resident.details import DetailsScreen
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.resident.item import ItemScreen
from screens.resident.location import LocationScreen
from screens.resident.messages import TicketFailed
from screens.resident.review import ReviewScreen
from screens.resident.welcome import WelcomeScreen
from screens.widgets.bigtext import BigText, big_rows
from tests.helpers import (
    HOSTILE_MARKUP,
    keypad_to_ticket,
    paste,
    screen_text,
    wait_for,
    wait_screen,
)


async def test_keypad_only_flow_issues_a_ticket(make_app, clock):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        assert "我要反映问题" in screen_text(app)
        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        await pilot.press("2")  # housing repairs
        await wait_screen(pilot, ItemScreen)
        assert "房屋设施报修" in screen_text(app)
        await pilot.press("1")  # leaking roof
        await wait_screen(pilot, DetailsScreen)
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        assert "屋顶漏水" in screen_text(app)
        assert "匿名" in screen_text(app)
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
        ticket = Ticket.get()
        assert (ticket.category, ticket.item, ticket.status) == (
            "housing",
            "roof-leak",
            "received",
        )
        assert ticket.contact_mobile is None and ticket.consent_at is None
        assert ticket.queue_no == "B001"
        assert ticket.ticket_no.startswith("PHY3-") and ticket.ticket_no.endswith(
            "-001"
        )
        assert app.screen.query_one(BigText).text == "B001"
        text = screen_text(app)
        assert ticket.ticket_no in text and "物业公司" in text
        # One event and its outbox entry came with the ticket.
        event = TicketEvent.get()
        assert event.kind == "received" and event.ticket_uuid == ticket.uuid
        assert Outbox.get().event_uuid == event.uuid
        # Enter finishes; the kiosk is ready for the next resident.
        await pilot.press("enter")  # too soon after Submit: a double tap
        assert isinstance(app.screen, IssuedTicketScreen)
        clock.advance(3)
        await pilot.press("enter")
        await wait_screen(pilot, WelcomeScreen)
        assert app.draft.category == ""


async def test_english_flow_with_place_description_and_contact(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: "Make a request" in screen_text(app))
        await pilot.press("1", "6", "1")  # fire safety, blocked fire lane
        await wait_screen(pilot, DetailsScreen)
        assert "Where" in screen_text(app)
        await pilot.press("1")
        await wait_screen(pilot, LocationScreen)
        await pilot.press("2", "3")  # grid 2, its third building
        await wait_for(
            pilot, lambda: "You chose: Building 3 (Wuxiang)" in screen_text(app)
        )
        await pilot.press("enter")  # keyed in: confirmed
        await wait_screen(pilot, DetailsScreen)
        place = "Grid 2 (Wuxiang Yinhang Estate) Building 3 (Wuxiang)"
        await wait_for(pilot, lambda: place in screen_text(app))
        assert "五巷" not in screen_text(app)
        await pilot.press("2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"cars parked in lane")
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
        await pilot.press("3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13800138000")
        await pilot.press("enter")  # done: the consent comes next
        await wait_screen(pilot, ConsentScreen)
        assert "personal data" in screen_text(app)
        await pilot.press("1")
        await wait_screen(pilot, DetailsScreen)
        await wait_for(pilot, lambda: "138****8000" in screen_text(app))
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        review = screen_text(app)
        assert "Blocked fire lane" in review and "Fire Brigade" in review
        assert "13800138000" not in review  # masked, even to the resident
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
        assert "Your queue number" in screen_text(app)
    ticket = Ticket.get()
    assert ticket.category == "fire" and ticket.item == "fire-lane"
    assert ticket.building == "第二网格（五巷银行小区） 五巷3号楼"
    assert ticket.description == "cars parked in lane"
    assert ticket.contact_mobile == "13800138000"
    assert ticket.consent_at is not None
    assert ticket.language == "en"
    assert ticket.queue_no == "F001"


async def test_touch_only_flow(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.click("#tile-1")
        await wait_screen(pilot, CategoryScreen)
        await pilot.click("#tile-4")  # market supervision
        await wait_screen(pilot, ItemScreen)
        await pilot.click("#tile-1")  # food past its date
        await wait_screen(pilot, DetailsScreen)
        await pilot.click("KeyHint")  # "Enter: next" is the first hint
        await wait_screen(pilot, ReviewScreen)
        await pilot.click("KeyHint")  # "Enter: submit"
        await wait_screen(pilot, IssuedTicketScreen)
    assert Ticket.get().item == "expired-food"


async def test_back_goes_one_step_with_escape_and_minus(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2")
        await wait_screen(pilot, ItemScreen)
        await pilot.press("minus")
        await wait_screen(pilot, CategoryScreen)
        await pilot.press("escape")
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("escape", "minus")  # nothing before the welcome screen
        assert isinstance(app.screen, WelcomeScreen) and app.is_running


async def test_language_switch_keeps_what_was_typed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "1", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"1391")
        await pilot.press("asterisk")  # the mobile field leaves * to the screen
        await wait_for(pilot, lambda: "Mobile" in screen_text(app))
        assert app.screen.query_one("#mobile").value == "1391"


async def test_hostile_text_is_shown_literally_and_does_nothing(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("1", "9", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await paste(pilot, HOSTILE_MARKUP)  # typed, - / * . would be keypad keys
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
        await wait_for(pilot, lambda: "[@click=app.quit]x" in screen_text(app))
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        assert HOSTILE_MARKUP in screen_text(app)
        await pilot.click("#summary", offset=(10, 4))  # on the text itself
        assert app.is_running
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
    assert Ticket.get().description == HOSTILE_MARKUP


async def test_wrong_mobile_is_flagged_at_the_field_and_nothing_is_lost(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "5", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"every night")
        await pilot.press("enter", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"12345678901")  # starts with 12: not a mobile number
        await pilot.press("enter")
        await wait_for(pilot, lambda: "11 位数字" in screen_text(app))
        assert isinstance(app.screen, ContactScreen)
        assert app.screen.query_one("#mobile").value == "12345678901"
        assert app.draft.description == "every night"
        # Clearing the field goes on anonymously.
        for _ in range(11):
            await pilot.press("backspace")
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.contact_mobile == "" and app.draft.description == "every night"


async def test_declining_consent_drops_the_contact(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "5", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13912345678")
        await pilot.press("enter")  # done: the consent comes next
        await wait_screen(pilot, ConsentScreen)
        await pilot.press("2")
        await wait_screen(pilot, DetailsScreen)
        await pilot.press("enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
    ticket = Ticket.get()
    assert ticket.contact_mobile is None and ticket.contact_name is None


async def test_two_submits_give_one_ticket(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "1", "1", "enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.press("enter", "enter", "1")
        await wait_screen(pilot, IssuedTicketScreen)
        await app.workers.wait_for_complete()
    assert Ticket.select().count() == 1
    assert TicketEvent.select().count() == 1


async def test_ticket_screen_returns_to_welcome_by_itself(make_app, clock):
    app = make_app(ticket_screen_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "1", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        clock.advance(31)
        await wait_screen(pilot, WelcomeScreen)


async def test_a_locked_database_shows_a_message_and_issues_nothing(make_app, settings):
    import sqlite3

    from db import open_database

    open_database(settings.database_path, busy_timeout_ms=300)
    app = make_app()
    locker = sqlite3.connect(settings.database_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"water through ceiling")
        await pilot.press("enter", "enter")
        await wait_screen(pilot, ReviewScreen)
        locker.execute("BEGIN EXCLUSIVE")  # another program holds the database
        await pilot.press("enter")
        await wait_for(pilot, lambda: "没有保存成功" in screen_text(app))
        assert isinstance(app.screen, ReviewScreen)
        assert "water through ceiling" in screen_text(app)
        locker.rollback()
        await pilot.press("enter")  # try again once it is free
        await wait_screen(pilot, IssuedTicketScreen)
    locker.close()
    assert Ticket.select().count() == 1
    assert Ticket.get().description == "water through ceiling"


def test_worker_messages_after_the_screens_are_gone_do_nothing(make_app):
    """A print or status result can arrive while the kiosk stops (its
    screens already gone): it must be dropped, not raise."""
    from screens.resident.messages import PrintFinished, StationStatus, TrackFound

    app = make_app()
    assert app.current_screen() is None
    app.print_finished(PrintFinished("PHY3-261125-001", True, "printed"))
    app.station_status(StationStatus(online=True, pending_events=0))
    app.scanned_ticket_found(TrackFound(None))
    app.tick()
    assert app.online is True


async def test_a_refusal_while_the_review_is_laid_out_again_is_shown(make_app):
    """A save that fails while ``/`` lays the review screen out again: the
    resident still reads why, and the kiosk does not crash."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter")
        await wait_screen(pilot, ReviewScreen)
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        screen.submitting = True
        await screen.query_children("*").remove()  # the recompose's first half
        screen.ticket_failed(TicketFailed("error.save"))
        screen.refresh(recompose=True)
        await wait_for(pilot, lambda: screen.query("#submit-status"))
        await pilot.pause()
        assert screen.t("error.save") in screen_text(app)
        assert app.return_code is None and not screen.submitting


async def test_the_kept_ticket_screen_follows_style_changes_made_while_away(
    make_app, clock
):
    """The ticket screen is kept for every ticket and not styled again when
    it shows the next one, unless what its styles follow changed meanwhile:
    here the theme, changed while the welcome screen was up."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keypad_to_ticket(pilot)
        first = app.screen
        caption = first.query_one("#qr-caption")
        before = caption.styles.color
        clock.advance(3)
        await pilot.press("enter")
        await wait_screen(pilot, WelcomeScreen)
        app.theme = "dracula"  # another accent than the default theme's
        await pilot.pause()
        await keypad_to_ticket(pilot)
        assert app.screen is first  # the same screen, shown again
        accent = Color.parse(app.theme_variables["accent"])
        assert caption.styles.color != before
        assert caption.styles.color.rgb == accent.rgb


async def test_the_kept_ticket_screen_fits_each_tickets_text(make_app, clock):
    """The ticket screen lays itself out again only when a text takes another
    number of lines: in English, the sanitation ticket's next steps take a
    line more than the "other" ticket's, and each shows whole."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        heights = []
        for category in ("9", "1", "9"):  # other, sanitation, other
            await pilot.press("asterisk")  # English, for this resident
            await keypad_to_ticket(pilot, category)
            await pilot.pause()
            steps = app.screen.query_one("#next-steps", Static)
            width = steps.content_size.width
            needed = steps.visual.get_height(steps.styles, width)
            assert steps.content_size.height == needed
            assert "Expected to be settled by" in screen_text(app)
            heights.append(needed)
            clock.advance(3)
            await pilot.press("enter")
            await wait_screen(pilot, WelcomeScreen)
        assert heights[1] > heights[0] == heights[2]


async def test_the_queue_number_is_laid_out_again_only_when_it_widens():
    class Numbers(App[None]):
        def compose(self) -> ComposeResult:
            yield BigText("B001", id="number")

    app = Numbers()
    async with app.run_test(size=(80, 24)) as pilot:
        number = app.query_one(BigText)
        await pilot.pause()
        four = number.size.width
        assert four == len(big_rows("B001")[0])
        number.update("B1001")  # the thousand-and-first of a day: wider
        await pilot.pause()
        assert number.size.width == len(big_rows("B1001")[0]) > four
        number.clear()  # blank, the same size
        await pilot.pause()
        assert number.size.width == len(big_rows("B1001")[0])
        assert not "".join(number.render_line(y).text for y in range(5)).strip()
        number.update("C002")
        await pilot.pause()
        assert number.size.width == four
        assert "".join(number.render_line(y).text for y in range(5)).strip()
