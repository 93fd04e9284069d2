"""Issue 16: the resident kiosk under real hands. Bursts of keys, crashes,
a scanner in the middle of a request, keys that are not on the bar."""

from __future__ import annotations

import inspect
import logging
import socket
import sqlite3
from pathlib import Path

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.screen import Screen
from textual.widgets import Input, Static

from db import Ticket, open_database
from kiosk.cli import run_kiosk
from kiosk.tickets import TicketDraft, issue_ticket
from kiosk.tracking import check_code
from kiosk.watchdog import notify, watchdog_seconds
from screens.resident.app import KioskApp
from screens.resident.category import CategoryScreen
from screens.resident.consent import ConsentScreen
from screens.resident.contact import ContactScreen
from screens.resident.description import DescriptionScreen
from screens.resident.details import DetailsScreen
from screens.resident.issued_ticket import IssuedTicketScreen
from screens.resident.item import ItemScreen
from screens.resident.location import LocationScreen
from screens.resident.review import ReviewScreen
from screens.resident.track import TrackScreen
from screens.resident.track_result import TrackResultScreen
from screens.resident.welcome import WelcomeScreen
from screens.widgets.chrome import KeyHint, Tile
from tests.helpers import paste, screen_text, wait_for, wait_screen, with_printer

CHARACTERS = {"enter": "\r", "minus": "-", "asterisk": "*", "slash": "/"}


def key_event(key: str) -> events.Key:
    """A key by name ("enter", "minus") or by character ("h", ":")."""
    if len(key) == 1:
        return events.Key(_character_to_key(key), key)
    return events.Key(key, CHARACTERS.get(key))


async def burst(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Keys that reach the kiosk together, all pressed before any is handled
    (the box paused, a key bounced, a resident pressed twice, a scanner)."""
    for key in keys:
        pilot.app.post_message(key_event(key))
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def sane(app: KioskApp) -> bool:
    stack = app.screen_stack
    return len(stack) >= 2 and isinstance(stack[1], WelcomeScreen)


@pytest.mark.parametrize("enters", [2, 4, 5, 6, 8])
async def test_enters_together_on_the_description_go_one_step(make_app, enters):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"roof")
        await burst(pilot, *["enter"] * enters)
        assert app.is_running and sane(app)
        assert isinstance(app.screen, DetailsScreen)
        assert app.draft.description == "roof"
    assert app.return_code in (None, 0)


async def test_enters_together_after_a_mobile_ask_for_consent_once(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13912345678")
        await burst(pilot, "enter", "enter", "enter")
        await wait_screen(pilot, ConsentScreen)
        consents = [s for s in app.screen_stack if isinstance(s, ConsentScreen)]
        assert len(consents) == 1


async def test_a_burst_of_back_keys_never_empties_the_stack(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1")
        await wait_screen(pilot, DetailsScreen)
        await burst(pilot, *["minus"] * 10, *["escape"] * 10)
        assert app.is_running and sane(app)
        await burst(pilot, "1")
        assert app.is_running and sane(app)
        for _ in range(6):
            app.pop_screen()  # even the app itself cannot pop the welcome screen
        await pilot.pause()
        assert sane(app) and isinstance(app.screen, WelcomeScreen)


async def test_keys_in_one_burst_act_on_one_screen_only(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await burst(pilot, "1", "2", "1", "enter", "enter")
        assert isinstance(app.screen, CategoryScreen)
        assert Ticket.select().count() == 0


async def test_one_on_the_review_screen_does_not_submit(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.press("1")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        assert Ticket.select().count() == 0


@pytest.mark.parametrize("where", ["category", "item", "description", "review"])
async def test_a_scanned_ticket_in_a_request_never_acts_as_keys(
    make_app, settings, where
):
    ticket = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))
    keys = {
        "category": ("1",),
        "item": ("1", "2"),
        "description": ("1", "2", "1", "2"),
        "review": ("1", "2", "1", "enter"),
    }[where]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        screen = app.screen
        stack = list(app.screen_stack)
        await burst(pilot, *ticket.url, "enter")  # as fast as a scanner types
        assert app.screen is screen and list(app.screen_stack) == stack
        assert Ticket.select().count() == 1  # the scanned one, no other
        assert app.draft.description == ""
        if where == "description":
            assert app.screen.query_one("#description").value == ""


@pytest.mark.parametrize("suffix", [("enter",), ()])
@pytest.mark.parametrize("where", ["welcome", "category", "review", "contact", "track"])
async def test_a_digit_only_barcode_never_acts_as_keys(make_app, where, suffix):
    """A scanner types a digit-only code (an EAN, a number printed as a
    barcode) faster than any hand: it picks nothing, types nothing and
    submits nothing, with its Enter or without."""
    keys = {
        "welcome": (),
        "category": ("1",),
        "review": ("1", "2", "1", "enter"),
        "contact": ("1", "2", "1", "3"),
        "track": ("2",),
    }[where]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        screen = app.screen
        stack = list(app.screen_stack)
        await burst(pilot, *"6901234567892", *suffix)
        assert app.screen is screen and list(app.screen_stack) == stack
        assert Ticket.select().count() == 0
        in_request = where in ("review", "contact")
        assert app.draft.category == ("housing" if in_request else "")
        for field in app.screen.query(Input):
            assert field.value == "", field.id
        # A hand's key right after it acts as usual.
        if where == "review":
            await pilot.press("slash")
            await wait_for(pilot, lambda: app.large_text)
        elif where in ("contact", "track"):
            await pilot.press("1")
            typed = app.screen.query_one(Input)
            await wait_for(pilot, lambda: typed.value == "1")
        else:
            await pilot.press("1")
            await wait_for(pilot, lambda: app.screen is not screen)


async def test_a_word_typed_in_the_description_still_types(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"the http thing", "enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == "the http thing"


async def test_the_numlock_off_keys_mean_the_digits(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("end")  # keypad 1 with NumLock off
        await wait_screen(pilot, CategoryScreen)
        await pilot.press("down")  # 2: housing
        await wait_screen(pilot, ItemScreen)
        assert app.draft.category == "housing"


class CrashingApp(KioskApp):
    CSS_PATH = str(Path(inspect.getfile(KioskApp)).with_name("resident.tcss"))

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self.crash)

    def crash(self) -> None:
        raise RuntimeError("something broke")


def test_a_crash_exits_non_zero_and_is_logged_with_its_traceback(
    settings, station_db, caplog
):
    caplog.set_level(logging.INFO)
    status = run_kiosk(CrashingApp(settings), headless=True)
    assert status == 1
    crashed = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert crashed and crashed[0].exc_info is not None
    assert "something broke" in caplog.text and "Traceback" in caplog.text


async def test_a_crash_in_a_pilot_run_is_not_hidden(make_app):
    app = make_app()
    with pytest.raises(RuntimeError):
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_screen(pilot, WelcomeScreen)

            def crash() -> None:
                raise RuntimeError("something broke")

            app.call_later(crash)
            await wait_for(pilot, lambda: not app.is_running)
    assert app.return_code == 1


# -- the keypad contract, on every screen, in the fields too (items 5-8) ------


async def test_keypad_keys_keep_their_meaning_in_the_description(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pilot.press(*"roofx", "full_stop")  # the keypad's delete
        field = app.screen.query_one("#description", Input)
        await wait_for(pilot, lambda: field.value == "roof")
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.large_text)
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: "Description" in screen_text(app))
        assert app.screen.query_one("#description", Input).value == "roof"
        await pilot.press("minus")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == "roof"
        await pilot.press("2")
        await wait_screen(pilot, DescriptionScreen)
        assert {".", "Esc/-", "*", "/", "Enter"} <= bar_keys(app)


async def test_a_wrong_mobile_can_be_deleted_and_the_name_reached(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"123", "full_stop", "delete")  # `.`, and Del (NumLock off)
        mobile = app.screen.query_one("#mobile", Input)
        await wait_for(pilot, lambda: mobile.value == "1")
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.screen.focused.id == "name")
        await pilot.press(*"Li")
        await pilot.press("plus")
        await wait_for(pilot, lambda: app.screen.focused.id == "mobile")
        assert {"+", ".", "Enter", "Esc/-"} <= bar_keys(app)


@pytest.mark.parametrize("leave", ["minus", "escape"])
@pytest.mark.parametrize("typed", ["13912345678", "123"])
async def test_leaving_the_contact_without_enter_keeps_nothing(make_app, leave, typed):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*typed, "plus", *"Li")
        await pilot.press(leave)
        await wait_screen(pilot, DetailsScreen)
        assert (app.draft.contact_mobile, app.draft.contact_name) == ("", "")
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        assert "匿名" in screen_text(app) and "***" not in screen_text(app)
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
    ticket = Ticket.get()
    assert ticket.contact_mobile is None and ticket.contact_name is None


async def test_a_contact_given_before_stays_when_the_resident_backs_out(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13912345678", "enter")
        await wait_screen(pilot, ConsentScreen)
        await pilot.press("1")
        await wait_screen(pilot, DetailsScreen)
        await pilot.press("3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press("full_stop", "full_stop", "minus")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.contact_mobile == "13912345678" and app.draft.consent


async def test_a_wrong_check_code_is_cleared_and_the_digits_kept(make_app, settings):
    ticket = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))
    digits = ticket.ticket_no.split("-", 1)[1].replace("-", "")
    wrong = f"{(int(check_code(ticket.token)) + 1) % 1_000_000:06d}"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_screen(pilot, TrackScreen)
        assert "不用输入 -" in screen_text(app)
        await pilot.press(*digits, "plus", *wrong, "enter")
        await wait_for(pilot, lambda: "没有找到" in screen_text(app))
        code = app.screen.query_one("#code", Input)
        assert code.value == "" and app.screen.focused is code
        await pilot.press(*check_code(ticket.token), "enter")
        await wait_screen(pilot, TrackResultScreen)


async def test_back_from_tracking_keeps_the_digits_typed(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_screen(pilot, TrackScreen)
        await pilot.press(*"261126", "minus")  # the dash of a printed number
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("2")
        await wait_screen(pilot, TrackScreen)
        assert app.screen.query_one("#number", Input).value == "261126"


async def test_wrong_codes_for_one_ticket_do_not_lock_out_another(make_app, settings):
    first = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))
    second = issue_ticket(settings, TicketDraft(category="fire", item="fire-lane"))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_screen(pilot, TrackScreen)
        number = app.screen.query_one("#number", Input)
        number.value = first.ticket_no.split("-", 1)[1].replace("-", "")
        wrong = f"{(int(check_code(first.token)) + 1) % 1_000_000:06d}"
        for _attempt in range(5):
            await pilot.press("plus", *wrong, "enter")
            await wait_for(pilot, lambda: "没有找到" in screen_text(app))
            app.screen.query_one("#track-error", Static).update("")
            number.focus()
        await pilot.press("plus", *check_code(first.token), "enter")
        await wait_for(pilot, lambda: "请稍等" in screen_text(app))  # this one waits
        number.value = second.ticket_no.split("-", 1)[1].replace("-", "")
        app.screen.query_one("#code", Input).value = ""
        await pilot.press(*check_code(second.token), "enter")
        await wait_screen(pilot, TrackResultScreen)
        assert second.ticket_no in screen_text(app)


# -- what the resident reads (items 16, 22) -----------------------------------


async def test_without_paper_the_ticket_screen_does_not_say_take_it(make_app):
    app = make_app()
    assert app.settings.printer.target == ""  # the default: PNG files
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "请取走小票" not in screen_text(app)
        assert "拍下二维码" in screen_text(app)


async def test_resident_words_are_not_staff_jargon(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        assert "用手机扫小票上的二维码" not in screen_text(app)
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        assert "吹哨" not in screen_text(app) and "派单" not in screen_text(app)
        app.reset_flow()
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("asterisk", "1", "9")
        await wait_screen(pilot, ItemScreen)
        assert "Other: which" not in screen_text(app)


def bar_keys(app: KioskApp) -> set[str]:
    """The keys the bottom bar shows on the current screen."""
    return {hint.key_label for hint in app.screen.query(KeyHint)}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_consent_dialog_shows_its_keys_on_a_bar(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13912345678", "enter")
        await wait_screen(pilot, ConsentScreen)
        await pilot.pause()
        hints = {
            hint.key_label: str(hint.render())
            for hint in app.screen.query(KeyHint)
            if hint.region.bottom == size[1]  # on the bottom line, on screen
        }
        assert "同意" in hints.get("1/Enter", "") and "不同意" in hints.get("2/-", "")
        assert {"*", "/"} <= set(hints)
        await pilot.press("asterisk")  # what the bar offers acts
        await wait_for(pilot, lambda: "About your personal data" in screen_text(app))
        assert isinstance(app.screen, ConsentScreen) and app.language == "en"
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.large_text)
        await pilot.press("1")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.consent and app.draft.contact_mobile == "13912345678"


# -- what fits on the screen (items 12, 13) -----------------------------------


def fully_shown(app: KioskApp, selector: str) -> bool:
    """The widget is on screen with every line of its text, above the bar."""
    widget = app.screen.query_one(selector, Static)
    region = widget.region
    lines = widget.render_lines(widget.content_region.reset_offset)
    text_lines = [line for line in lines if line.text.strip()]
    return (
        region.height > 0
        and region.bottom <= app.size.height - 1
        and len(text_lines) >= 1
        and widget.content_region.height >= len(text_lines)
    )


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_the_review_status_line_stays_on_screen(make_app, settings, language):
    app = make_app(language=language)
    locker = sqlite3.connect(settings.database_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await paste(pilot, "漏水很严重" * 100)
        await pilot.press("enter", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13912345678", "enter", "1")
        await wait_screen(pilot, DetailsScreen)
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        locker.execute("BEGIN EXCLUSIVE")
        await pilot.press("enter")
        status = app.screen.query_one("#submit-status", Static)
        await wait_for(pilot, lambda: status.has_class("-error"), timeout=30)
        await pilot.pause()
        assert fully_shown(app, "#submit-status")
        locker.rollback()
    locker.close()


@pytest.mark.parametrize("category", ["2", "7"])
async def test_the_print_failure_is_shown_whole_at_80x24(
    make_app, settings, tmp_path, category
):
    app = make_app(language="en")
    app.settings = with_printer(settings, f"escpos:{tmp_path / 'gone'}")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", category, "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        await wait_for(pilot, lambda: "take a photo" in screen_text(app))
        await pilot.pause()
        assert fully_shown(app, "#print-status")


# -- pastes (item 19) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "stored", "note"),
    [
        ("漏" * 600, "漏" * 500, "只保留了前 500 个字"),
        ("楼顶漏水\n已经三天\r\n请尽快", "楼顶漏水 已经三天 请尽快", "已整理"),
        ("\x1b[31mRED\x1b[0m alert\x07", "RED alert", "已整理"),
    ],
)
async def test_a_paste_is_cleaned_and_cut_and_the_resident_told(
    make_app, pasted, stored, note
):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await paste(pilot, pasted)
        field = app.screen.query_one("#description", Input)
        await wait_for(pilot, lambda: field.value == stored)
        await wait_for(pilot, lambda: note in screen_text(app))
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == stored


async def test_a_pasted_mobile_keeps_its_digits(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await paste(pilot, "139-1234-5678\n")
        mobile = app.screen.query_one("#mobile", Input)
        await wait_for(pilot, lambda: mobile.value == "13912345678")


# -- failures leave their cause in kiosk.log (item 21) ------------------------


async def test_a_print_failure_is_logged_with_its_cause(
    make_app, settings, tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    app = make_app()
    app.settings = with_printer(settings, f"escpos:{tmp_path / 'gone'}")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        await wait_for(pilot, lambda: "拍下二维码" in screen_text(app))
    ticket = Ticket.get()
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any(ticket.ticket_no in r.getMessage() for r in failures)
    assert any("gone" in r.getMessage() for r in failures)  # the cause


async def test_a_failed_save_is_logged(make_app, settings, caplog):
    caplog.set_level(logging.INFO)
    open_database(settings.database_path, busy_timeout_ms=200)
    app = make_app()
    locker = sqlite3.connect(settings.database_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter")
        await wait_screen(pilot, ReviewScreen)
        locker.execute("BEGIN EXCLUSIVE")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "没有保存成功" in screen_text(app))
        locker.rollback()
    locker.close()
    assert any(
        "not saved" in r.getMessage() and r.levelno >= logging.WARNING
        for r in caplog.records
    )


# -- a tile number is not a house number (item 10) ----------------------------


async def test_a_building_keyed_by_its_tile_number_is_confirmed_first(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "1")
        await wait_screen(pilot, LocationScreen)
        grid = app.settings.station.grids[2]
        await pilot.press("3")  # grid 3
        await wait_for(pilot, lambda: grid.buildings[0] in screen_text(app))
        await pilot.press("1")  # tile 1: maybe not the building numbered 1
        await wait_for(pilot, lambda: "您选的是" in screen_text(app))
        assert isinstance(app.screen, LocationScreen) and app.draft.building == ""
        assert "Enter" in bar_keys(app)
        assert any("确认" in str(hint.render()) for hint in app.screen.query(KeyHint))
        await pilot.press("2")  # changed their mind
        await wait_for(
            pilot, lambda: f"您选的是：{grid.buildings[1]}" in screen_text(app)
        )
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.building == f"{grid.name} {grid.buildings[1]}"


async def test_a_tapped_building_is_chosen_at_once(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "1", "3")
        await wait_screen(pilot, LocationScreen)
        grid = app.settings.station.grids[2]
        await wait_for(pilot, lambda: grid.buildings[0] in screen_text(app))
        await pilot.click("#tile-1")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.building == f"{grid.name} {grid.buildings[0]}"


# -- systemd's watchdog (item 4) ----------------------------------------------


async def test_the_watchdog_is_fed_only_while_the_screens_are_sane(
    make_app, tmp_path, monkeypatch
):
    address = str(tmp_path / "notify.sock")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(address)
    receiver.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # a ping every 0.05 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    received: list[str] = []

    def heard(message: str) -> bool:
        while True:
            try:
                received.append(receiver.recv(256).decode())
            except BlockingIOError:
                return message in received

    app = make_app()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: heard("READY=1"))
            await wait_for(pilot, lambda: heard("WATCHDOG=1"))
            app.push_screen(Screen())  # not a resident screen: not sane
            await pilot.pause()
            received.clear()
            heard("")
            received.clear()
            await pilot.pause(0.3)
            assert not heard("WATCHDOG=1")
            app.pop_screen()
            await wait_for(pilot, lambda: heard("WATCHDOG=1"))
    finally:
        receiver.close()


def test_no_notify_socket_sends_nothing():
    assert notify("READY=1", {}) is False
    assert watchdog_seconds({}) is None
    assert watchdog_seconds({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_seconds({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None


# -- the ticket screen's time (items 9, 15) -----------------------------------


async def test_the_ticket_screen_counts_down_and_plus_gives_more_time(make_app, clock):
    app = make_app(ticket_screen_seconds=45)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        await wait_for(pilot, lambda: "45 秒后回到首页" in screen_text(app))
        assert "+" in bar_keys(app)
        clock.advance(40)
        await wait_for(pilot, lambda: "5 秒后回到首页" in screen_text(app))
        await pilot.press("plus")
        await wait_for(pilot, lambda: "65 秒后回到首页" in screen_text(app))
        clock.advance(30)
        await pilot.pause(1.2)  # a tick of the kiosk's own interval
        assert isinstance(app.screen, IssuedTicketScreen)
        clock.advance(40)
        await wait_screen(pilot, WelcomeScreen)


async def test_keys_not_on_the_ticket_screens_bar_do_nothing(make_app, clock):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        clock.advance(3)  # past the double-tap guard
        shown = bar_keys(app)
        assert "Esc/-" not in shown and "-" not in shown
        for key in ("minus", "escape", "1", "0", "full_stop"):
            await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, IssuedTicketScreen)
        await pilot.press("slash")
        await wait_for(pilot, lambda: app.large_text)
        assert "/" in shown


# -- English and large text (items 17, 18) ------------------------------------


def tile_lines(app: KioskApp, tile_id: str) -> list[str]:
    tile = app.screen.query_one(f"#{tile_id}", Tile)
    return [tile.render_line(y).text for y in range(tile.size.height)]


async def test_english_places_read_in_english_without_demo_labels(make_app):
    app = make_app(language="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1", "2", "1", "1")
        await wait_screen(pilot, LocationScreen)
        await wait_for(pilot, lambda: "Grid 3" in screen_text(app))
        assert "[demo]" not in screen_text(app)
        await pilot.press("3")
        await wait_for(pilot, lambda: "Building 10" in screen_text(app))
        assert "10号楼" not in screen_text(app)


def widget_lines(app: KioskApp, selector: str) -> list[str]:
    """The lines of a widget as they are painted (border and padding too)."""
    widget = app.screen.query_one(selector)
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def to_review(pilot, app: KioskApp, description: str = "") -> None:  # type: ignore[no-untyped-def]
    await pilot.press("1", "2", "1")
    await wait_screen(pilot, DetailsScreen)
    app.draft.description = description
    await pilot.press("enter")
    await wait_screen(pilot, ReviewScreen)
    await pilot.pause()


# Stops, commas and brackets every other character or two: folded by the
# cell, lines of the summary would start with them at 80x24 and 120x40.
SENTENCES = "水。" * 20 + "水水，" * 35 + "水水水）" * 20


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_no_chinese_line_starts_with_closing_punctuation(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await to_review(pilot, app, SENTENCES)
        lines = [line.strip(" │╭╮╰╯─") for line in widget_lines(app, "#summary")]
        text_lines = [line for line in lines if line]
        assert len(text_lines) > 5
        assert not [line for line in text_lines if line[0] in "。，）"], text_lines
        assert SENTENCES in "".join(text_lines)  # every character shown


async def test_emoji_sequences_never_push_the_border(make_app):
    """Joined emoji, skin tones and variation selectors are as wide on a
    terminal as their base emoji, not as Rich counts their parts: they are
    kept as the base emoji, so every line of the summary box ends on its
    border."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await paste(pilot, "漏水👨\u200d👩\u200d👧 好👍🏽 晴☀\ufe0f 1\ufe0f\u20e3 完")
        await pilot.press("enter", "enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.pause()
        description = app.draft.description
        assert "👨👩👧" in description and "👍" in description and "☀" in description
        shown = screen_text(app)
        for joiner in ("\u200d", "\ufe0f", "\u20e3", "\U0001f3fd"):
            assert joiner not in description and joiner not in shown


async def test_english_review_reads_the_place_in_english(make_app):
    app = make_app(language="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("1", "2", "1", "1")
        await wait_screen(pilot, LocationScreen)
        grid = app.settings.station.grids[2]
        await pilot.press("3")
        await wait_for(pilot, lambda: "Building 10" in screen_text(app))
        await pilot.press("3", "enter")  # tile 3: 10号楼, confirmed
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.building == f"{grid.name} 10号楼"  # stored as written
        await wait_for(pilot, lambda: "Building 10" in screen_text(app))
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.pause()
        shown = screen_text(app)
        assert f"{grid.name_en} Building 10" in shown
        assert "号楼" not in shown and grid.name not in shown


async def test_cut_tile_text_ends_with_an_ellipsis_and_tiles_line_up(make_app):
    app = make_app(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        await pilot.pause()
        lines = tile_lines(app, "tile-1")
        assert any("…" in line for line in lines), lines
        await pilot.press("2")
        await wait_screen(pilot, ItemScreen)
        await pilot.pause()
        one_line = tile_lines(app, "tile-1")  # a label alone
        other = [t.id for t in app.screen.query(Tile)][-1]  # label and detail
        two_lines = tile_lines(app, str(other))
        first = next(y for y, line in enumerate(one_line) if line.strip(" │╭╮╰╯─"))
        assert two_lines[first].strip(" │╭╮╰╯─").startswith(other[-1])


async def test_large_text_lays_out_fewer_bigger_tiles(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        normal = app.screen.query_one("#tile-1", Tile).size
        assert len(app.screen.query(Tile)) == 9
        await pilot.press("slash")
        await wait_for(pilot, lambda: len(app.screen.query(Tile)) == 6)
        await pilot.pause()
        large = app.screen.query_one("#tile-1", Tile).size
        assert large.width > normal.width and large.height >= normal.height
        assert "0" in bar_keys(app)  # the other categories are a page away
        await pilot.press("0")
        await wait_for(pilot, lambda: len(app.screen.query(Tile)) == 3)
        await pilot.press("3")  # the ninth category
        await wait_screen(pilot, ItemScreen)
        assert app.draft.category == app.catalog.categories[8].code


async def test_a_key_pressed_as_a_screen_opens_by_itself_is_not_lost(make_app):
    """Only a change a key made drops the keys pressed before it: a screen
    that opens by itself (a worker, a timer) takes the next key at once."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "2", "1")
        await wait_screen(pilot, DetailsScreen)
        await pilot.pause()
        enter = key_event("enter")  # pressed just as the screen changes
        app.push_screen(ReviewScreen())  # not by a key
        await wait_screen(pilot, ReviewScreen)
        app.post_message(enter)
        await wait_screen(pilot, IssuedTicketScreen)
        assert Ticket.select().count() == 1


BLOCKS = set("█▀▄")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_large_text_numbers_tiles_in_block_letters_with_whole_details(
    make_app, size, language
):
    app = make_app(language=language, large_text=True)
    async with app.run_test(size=size) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.pause()
        detail = app.t("welcome.track_detail")
        lines = tile_lines(app, "tile-2")
        assert any(BLOCKS & set(line) for line in lines), lines  # a big "2"
        words = "".join(line.strip(" │╭╮╰╯─┃┏┓┗┛━█▀▄") for line in lines).replace(
            " ", ""
        )
        assert detail.replace(" ", "") in words, lines  # the detail, whole
        assert "…" not in "".join(lines)
        # The privacy footnote reads like the rest of the text, on screen.
        footnote = app.screen.query_one("#footnote", Static)
        hint = app.screen.query_one("#hint", Static)
        assert footnote.region.bottom <= size[1] - 1
        footnote_style = footnote.render_line(0)._segments[0].style
        hint_style = hint.render_line(0)._segments[0].style
        assert footnote_style is not None and hint_style is not None
        assert footnote_style.color == hint_style.color and footnote_style.bold
        await pilot.press("slash")  # normal text: the plain digit again
        await wait_for(pilot, lambda: not app.large_text)
        await pilot.pause()
        assert not any(BLOCKS & set(line) for line in tile_lines(app, "tile-2"))


async def test_large_text_category_tiles_show_their_number_big(make_app):
    app = make_app(large_text=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        await pilot.pause()
        for tile in app.screen.query(Tile):
            lines = tile_lines(app, str(tile.id))
            assert sum(bool(BLOCKS & set(line)) for line in lines) >= 3, lines
        await pilot.press("2")  # the big 2 is the key that picks it
        await wait_screen(pilot, ItemScreen)
        assert app.draft.category == app.catalog.categories[1].code


def tap(x: int, y: int) -> list[events.MouseEvent]:
    """A tap as the terminal reports it: a button pressed and let go."""
    where = {
        "widget": None,
        "x": x,
        "y": y,
        "delta_x": 0,
        "delta_y": 0,
        "button": 1,
        "shift": False,
        "meta": False,
        "ctrl": False,
        "screen_x": x,
        "screen_y": y,
    }
    return [events.MouseDown(**where), events.MouseUp(**where)]


async def test_a_tap_meant_for_the_screen_before_does_not_act_on_the_next(
    make_app,
):
    """A double tap on the welcome screen's first tile, the second one
    held back by a busy box until the category screen is up: it was meant
    for the welcome screen and must not choose the category under it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        first = next(tile for tile in app.screen.query(Tile) if tile.key == "1")
        x, y = first.region.x + 2, first.region.y + 1
        second = tap(x, y)  # tapped now (Message.time), handled later
        for event in tap(x, y):
            app.post_message(event)
        await wait_screen(pilot, CategoryScreen)
        for event in second:
            app.post_message(event)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CategoryScreen)
        under = app.screen.get_widget_at(x, y)[0]
        assert isinstance(under, Tile), "the tap's spot holds a category tile"
        # Tapped now, that tile chooses as before.
        for event in tap(x, y):
            app.post_message(event)
        await wait_screen(pilot, ItemScreen)


async def test_the_tile_under_the_last_tap_does_not_look_chosen(make_app):
    """On a touchscreen the pointer stays where the finger was: the tile
    under it on the next screen must look like every other tile, not
    like the chosen one."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1")
        await wait_screen(pilot, CategoryScreen)
        tiles = list(app.screen.query(Tile))
        await pilot.hover(tiles[0])
        await pilot.pause()
        assert tiles[0].is_mouse_over
        hovered, other = tiles[0].styles, tiles[1].styles
        assert hovered.background == other.background
        assert hovered.border == other.border
        # Nor the key hint under it in the bar.
        hints = list(app.screen.query(KeyHint))
        await pilot.hover(hints[0])
        await pilot.pause()
        assert hints[0].is_mouse_over
        assert hints[0].styles.background == hints[1].styles.background
