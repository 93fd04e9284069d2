"""Writing at the kiosk (#12): the description and the name, with the
keypad alone and with touch alone; deleting; the language switch keeps what
was written; the idle reset wipes it."""

from __future__ import annotations

import gc
from pathlib import Path

from rich.segment import Segment
from textual.pilot import Pilot
from textual.widgets import Input, Static

import screens.resident
from db import Ticket
from kiosk.tracking import check_code
from kiosk.writing.dictionary import to_digits
from screens.resident.consent import ConsentScreen
from screens.resident.contact import ContactScreen
from screens.resident.description import DescriptionScreen
from screens.resident.details import DetailsScreen
from screens.resident.issued_ticket import FINISH_GUARD_SECONDS, IssuedTicketScreen
from screens.resident.review import ReviewScreen
from screens.resident.welcome import WelcomeScreen
from screens.widgets.chrome import KeyHint
from screens.widgets.qrcode import QRCode
from screens.widgets.writing_pad import WritingPad
from tests.helpers import screen_text, tap, wait_for, wait_screen

# Each word as a resident spells it, in pinyin.
LONG_TEXT = "3单元楼顶漏水已经三天"
LONG_WORDS = (("单元", "danyuan"), ("楼顶", "louding"), ("漏水", "loushui"),
              ("已经", "yijing"), ("三天", "santian"))  # fmt: skip
NAME = (("王", "wang"), ("秀", "xiu"), ("英", "ying"))


async def pad_ready(pilot: Pilot[object], field: str) -> WritingPad:
    field_input = pilot.app.screen.query_one(f"#{field}", Input)
    pad = field_input.parent
    assert isinstance(pad, WritingPad)
    await wait_for(pilot, lambda: pad.composer.dictionary is not None)
    return pad


def shown(pad: WritingPad) -> list[str]:
    return [candidate.text for candidate in pad.composer.shown()]


async def choose_by_keypad(pilot: Pilot[object], pad: WritingPad, word: str) -> None:
    """0 to choose, 0 again for the next nine, then the word's number."""
    await pilot.press("0")
    for _ in range(5):
        if word in shown(pad):
            break
        await pilot.press("0")
    await pilot.press(str(shown(pad).index(word) + 1))


async def choose_by_touch(pilot: Pilot[object], pad: WritingPad, word: str) -> None:
    """Tap "more" until the word is in the candidate bar, then tap it."""
    for _ in range(5):
        if word in shown(pad):
            break
        await tap(pilot, "key-page")
    await tap(pilot, f"candidate-{shown(pad).index(word) + 1}")


def hint(app, action: str) -> KeyHint:  # type: ignore[no-untyped-def]
    """The keypad bar's hint for ``action`` (as a finger finds it)."""
    for key_hint in app.screen.query(KeyHint):
        if key_hint.action.endswith(action):
            return key_hint
    raise AssertionError(f"no hint for {action} on screen")


async def spell_by_keypad(pilot: Pilot[object], pad: WritingPad, words) -> None:  # type: ignore[no-untyped-def]
    for word, pinyin in words:
        await pilot.press(*to_digits(pinyin))
        await choose_by_keypad(pilot, pad, word)


async def spell_by_touch(pilot: Pilot[object], pad: WritingPad, words) -> None:  # type: ignore[no-untyped-def]
    for word, pinyin in words:
        for letter in pinyin:
            await tap(pilot, f"key-{letter}")
        await choose_by_touch(pilot, pad, word)


def value(pilot: Pilot[object], field: str) -> str:
    return pilot.app.screen.query_one(f"#{field}", Input).value


async def to_description_by_keypad(pilot: Pilot[object]) -> WritingPad:
    await wait_screen(pilot, WelcomeScreen)
    await pilot.press("1", "2", "1", "2")  # request, housing, roof leak, text
    await wait_screen(pilot, DescriptionScreen)
    return await pad_ready(pilot, "description")


async def to_description_by_touch(pilot: Pilot[object]) -> WritingPad:
    await wait_screen(pilot, WelcomeScreen)
    for tile, screen in (
        ("#tile-1", None),
        ("#tile-2", None),
        ("#tile-1", DetailsScreen),
        ("#tile-2", DescriptionScreen),
    ):
        await pilot.click(tile)
        if screen is not None:
            await wait_screen(pilot, screen)
        else:
            await pilot.pause()
    return await pad_ready(pilot, "description")


async def test_keypad_alone_writes_a_word_and_the_ticket_keeps_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("loushui"))  # 568 7484
        assert shown(pad)[0] == "漏水"
        await choose_by_keypad(pilot, pad, "漏水")
        assert value(pilot, "description") == "漏水"
        await pilot.press("enter")  # nothing spelled: done
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == "漏水"
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
    assert Ticket.get().description == "漏水"


async def test_keypad_alone_writes_digits_and_a_sentence(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press("plus", "3", "plus")  # 3 as a digit, then spelling
        await spell_by_keypad(pilot, pad, LONG_WORDS)
        assert value(pilot, "description") == LONG_TEXT
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == LONG_TEXT


async def test_keypad_alone_writes_a_name(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13800138000", "plus")  # + goes on to the name
        pad = await pad_ready(pilot, "name")
        await wait_for(pilot, lambda: app.screen.focused is pad.input)
        await spell_by_keypad(pilot, pad, NAME)
        assert value(pilot, "name") == "王秀英"
        await pilot.press("enter")
        await wait_screen(pilot, ConsentScreen)
        await pilot.press("1")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.contact_name == "王秀英"


async def test_in_the_name_field_a_common_name_is_the_first_candidate(make_app):
    # Surnames by the 2020 百家姓, then the given names older residents bear:
    # 王秀英 is its spelling and Enter, three times.
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.press(*"13800138000", "plus")
        pad = await pad_ready(pilot, "name")
        await wait_for(pilot, lambda: app.screen.focused is pad.input)
        for char, spelling in NAME:
            await pilot.press(*to_digits(spelling))
            assert shown(pad)[0] == char
            await pilot.press("enter")
        assert value(pilot, "name") == "王秀英"


async def test_touch_alone_writes_a_word_and_a_sentence(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_touch(pilot)
        for letter in "ls":  # by initials
            await tap(pilot, f"key-{letter}")
        await choose_by_touch(pilot, pad, "漏水")
        assert value(pilot, "description") == "漏水"
        for _ in range(2):
            await tap(pilot, "key-delete")
        await tap(pilot, "key-3")  # digits are one tap away
        await spell_by_touch(pilot, pad, LONG_WORDS)
        assert value(pilot, "description") == LONG_TEXT
        await tap(pilot, "key-enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == LONG_TEXT


async def test_touch_alone_writes_a_name(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        for tile in ("#tile-1", "#tile-2", "#tile-1"):
            await pilot.click(tile)
            await pilot.pause()
        await wait_screen(pilot, DetailsScreen)
        await pilot.click("#tile-3")
        await wait_screen(pilot, ContactScreen)
        await pilot.click("#name")  # the keyboard shows for the field tapped
        pad = await pad_ready(pilot, "name")
        await wait_for(pilot, lambda: not pad.has_class("-idle"))
        await spell_by_touch(pilot, pad, NAME)
        assert value(pilot, "name") == "王秀英"
        await pilot.click(hint(app, "forward"))  # "Enter: done": needs a mobile
        await wait_for(pilot, lambda: "手机号" in screen_text(app))
        # The name stays in its field; the draft holds a contact only once it
        # is valid and consented to (issue 16, item 7).
        assert value(pilot, "name") == "王秀英"
        assert app.draft.contact_name == ""


async def test_the_name_keyboard_fits_the_smallest_screen(make_app):
    # At 80x24, under the mobile and the name, every key of the name's
    # keyboard can be tapped: the next page of candidates and done too.
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await pilot.press("1", "2", "1", "3")
        await wait_screen(pilot, ContactScreen)
        await pilot.click("#name")
        pad = await pad_ready(pilot, "name")
        await wait_for(pilot, lambda: not pad.has_class("-idle"))
        for letter in "wang":
            await tap(pilot, f"key-{letter}")
        await tap(pilot, "key-page")
        assert pad.composer.page == 1
        await tap(pilot, "candidate-1")
        await tap(pilot, "key-delete")
        assert value(pilot, "name") == ""
        await tap(pilot, "key-enter")  # done: nothing written, nothing kept
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.contact_name == ""


async def test_deleting_keys_then_characters(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("loushui"), "enter")
        await pilot.press(*to_digits("yi"))
        await pilot.press("0")  # choosing: "." deletes a key and goes back
        await pilot.press("full_stop")
        assert pad.composer.keys == "9"
        await pilot.press("full_stop", "full_stop")
        assert (pad.composer.keys, value(pilot, "description")) == ("", "漏")
        await tap(pilot, "key-delete")
        assert value(pilot, "description") == ""
        await pilot.press("full_stop")  # nothing left: nothing happens
        assert isinstance(app.screen, DescriptionScreen)


async def test_phrases_are_offered_and_combined(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_description_by_keypad(pilot)
        assert "楼上漏下来" in screen_text(app)
        await pilot.press("0", "1", "0", "3")
        assert value(pilot, "description") == "楼上漏下来，已经好几天"


async def test_switching_language_keeps_what_was_written(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("loushui"), "enter")
        await pilot.press(*to_digits("lou"))  # half spelled: dropped
        await pilot.click(hint(app, "toggle_language"))  # * English
        await wait_for(pilot, lambda: "Leaking from above" in screen_text(app))
        pad = await pad_ready(pilot, "description")
        assert value(pilot, "description") == "漏水"
        assert pad.composer.english and pad.composer.keys == ""
        await pilot.press(*to_digits("roof"), "enter")
        assert value(pilot, "description") == "漏水 roof"
        await pilot.click(hint(app, "toggle_language"))  # * 中文
        await wait_for(pilot, lambda: "楼上漏下来" in screen_text(app))
        assert value(pilot, "description") == "漏水 roof"


async def test_idle_reset_wipes_what_was_written(make_app, clock):
    app = make_app(idle_timeout=60, idle_countdown=15)
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("loushui"), "enter", *to_digits("san"))
        assert value(pilot, "description") == "漏水" and pad.composer.keys
        clock.advance(61)
        await wait_for(pilot, lambda: "15" in screen_text(app))
        clock.advance(16)
        await wait_screen(pilot, WelcomeScreen)
        assert app.draft.description == ""
        pad = await to_description_by_keypad(pilot)
        assert value(pilot, "description") == ""
        assert (pad.composer.text, pad.composer.keys) == ("", "")
        assert "漏水" not in screen_text(app)


async def test_keypad_association_offers_the_next_word_and_writes_it(make_app):
    # 联想: after 楼顶, 漏水 is on offer with no spelling; 0 then its number.
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("louding"), "enter")
        assert value(pilot, "description") == "楼顶"
        await wait_for(pilot, lambda: "漏水" in shown(pad))
        text = screen_text(app)
        assert "联想" in text and "楼顶 →" in text
        assert "按 2–9 拼新词" in text  # the way out, on screen
        await choose_by_keypad(pilot, pad, "漏水")
        assert value(pilot, "description") == "楼顶漏水"
        await pilot.press(*to_digits("yijing"), "enter")  # a new word
        assert value(pilot, "description") == "楼顶漏水已经"
        await pilot.press("enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == "楼顶漏水已经"


async def test_touch_association_offers_the_next_word_and_writes_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_touch(pilot)
        await spell_by_touch(pilot, pad, (("楼顶", "louding"),))
        await wait_for(pilot, lambda: "漏水" in shown(pad))
        await tap(pilot, f"candidate-{shown(pad).index('漏水') + 1}")
        assert value(pilot, "description") == "楼顶漏水"
        await tap(pilot, "key-enter")
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == "楼顶漏水"


async def test_keypad_spells_two_words_at_once(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("loudaoli"))
        assert shown(pad)[0] == "楼道里"
        await pilot.press("enter")
        assert value(pilot, "description") == "楼道里"


async def test_text_typed_on_a_keyboard_ends_the_association(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("louding"), "enter")
        await wait_for(pilot, lambda: "漏水" in shown(pad))
        await pilot.press("x")  # a real keyboard's letter, typed as it is
        await pilot.press("0", "1")  # now the common details, not 漏水
        assert value(pilot, "description") == "楼顶x，楼上漏下来"


async def test_keypad_alone_writes_a_sentence_in_one_run(make_app):
    # 整句: the keys of several words, then Enter for the reading on offer
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("lajimeirenqingli"))
        assert shown(pad)[0] == "垃圾没人清理"
        assert "垃圾没人清理" in screen_text(app)
        await pilot.press("enter")
        assert value(pilot, "description") == "垃圾没人清理"
        await pilot.press("enter")  # nothing spelled: done
        await wait_screen(pilot, DetailsScreen)
        assert app.draft.description == "垃圾没人清理"


async def test_touch_alone_writes_a_sentence_in_one_run(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_touch(pilot)
        for letter in "xiwangjinkuaijiejue":
            await tap(pilot, f"key-{letter}")
        await tap(pilot, "candidate-1")
        assert value(pilot, "description") == "希望尽快解决"
        assert pad.composer.keys == ""


async def test_the_requests_own_words_come_first_on_the_keypad(make_app):
    # a roof leak (housing): s s is 渗水, one Enter
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await to_description_by_keypad(pilot)
        await pilot.press("7", "7")
        assert shown(pad)[0] == "渗水"
        await pilot.press("enter")
        assert value(pilot, "description") == "渗水"


async def test_the_writing_screens_styles_are_read_as_a_request_starts(make_app):
    """Read as the description screen first opened, they held up its opening
    (every style parsed, every widget styled again); read while the resident
    picks a category, the opening finds them there."""
    flow_css = str((Path(screens.resident.__file__).parent / "flow.tcss").resolve())
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        assert not app.stylesheet.has_source(flow_css)  # not at start-up
        await pilot.press("1")
        await wait_for(pilot, lambda: app.stylesheet.has_source(flow_css))
        await pilot.press("2", "1", "2")
        await wait_screen(pilot, DescriptionScreen)
        await pad_ready(pilot, "description")
        # its own styles hold (flow.tcss: a margin of one line above and below)
        assert app.screen.query_one("#description").styles.margin.top == 1


async def test_the_kept_ticket_screen_forgets_the_resident_who_left(make_app, clock):
    """The ticket screen is kept for the next ticket (it is faster so). As
    the resident leaves, it keeps nothing of theirs: not what they wrote,
    not the ticket's number, check code or link (the token in its QR)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await to_description_by_keypad(pilot)
        await pilot.press(*to_digits("loushui"), "enter", "enter")
        await wait_screen(pilot, DetailsScreen)
        await pilot.press("enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
        kept = app.screen
        assert isinstance(kept, IssuedTicketScreen)
        ticket = Ticket.get()
        secrets = [ticket.ticket_no, ticket.token, "漏水", check_code(ticket.token)]

        def held() -> str:
            texts = [str(static.render()) for static in kept.query(Static)]
            qr = kept.query_one(QRCode)
            return repr((vars(kept.ticket), texts, qr.data, qr._rows, kept.qr))

        assert all(secret in held() for secret in secrets[:2])
        clock.advance(FINISH_GUARD_SECONDS + 1)
        await pilot.press("enter")
        await wait_screen(pilot, WelcomeScreen)
        assert kept.is_mounted  # kept for the next ticket
        assert [secret for secret in secrets if secret in held()] == []
        # nor in the lines it last drew (Textual keeps them until it draws)
        app.collect_garbage()
        drawn = " ".join(
            segment.text for segment in gc.get_objects() if isinstance(segment, Segment)
        )
        # (漏水 is drawn by the catalog's own items too: the ticket's own)
        numbers = [ticket.ticket_no, ticket.token, check_code(ticket.token)]
        assert [secret for secret in numbers if secret in drawn] == []
        # The next ticket is shown whole on the same screen.
        await pilot.press("1", "2", "1", "enter")
        await wait_screen(pilot, ReviewScreen)
        await pilot.press("enter")
        await wait_screen(pilot, IssuedTicketScreen)
        assert app.screen is kept
        second = Ticket.select().order_by(Ticket.id.desc()).get()
        assert second.ticket_no in held() and second.token in held()
        assert second.ticket_no in screen_text(app)
