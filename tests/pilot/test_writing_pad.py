"""The writing pad on its own: keypad, touch, phrases, digits, the limit."""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.widgets import Input

from kiosk.i18n import translate
from kiosk.writing.dictionary import to_digits
from screens.widgets.writing_pad import WritingPad
from tests.helpers import tap, wait_for

PHRASES = ("楼上漏下来", "已经好几天", "影响用电")


class PadApp(App[None]):
    def __init__(self, language: str = "zh-CN", limit: int = 40) -> None:
        super().__init__()
        self.language = language
        self.limit = limit
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        yield WritingPad(
            "",
            limit=self.limit,
            language=self.language,
            translate=lambda key: translate(self.language, key),
            phrases=PHRASES,
            input_id="field",
        )

    def on_mount(self) -> None:
        self.query_one("#field", Input).focus()

    @on(Input.Submitted)
    def submitted_text(self, message: Input.Submitted) -> None:
        self.submitted.append(message.value)


async def ready(pilot) -> WritingPad:  # type: ignore[no-untyped-def]
    pad = pilot.app.query_one(WritingPad)
    await wait_for(pilot, lambda: pad.composer.dictionary is not None)
    return pad


def value(app: App[None]) -> str:
    return app.query_one("#field", Input).value


async def test_keypad_spells_and_chooses():
    app = PadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await ready(pilot)
        await pilot.press(*"5687484")
        assert "lou shui" in str(pad.query_one("#writing-spelling").render())
        assert str(pad.query_one("#writing-candidates").render()).startswith("1 漏水")
        await pilot.press("enter")
        assert value(app) == "漏水"
        await pilot.press("enter")  # nothing spelled: the field is done
        assert app.submitted == ["漏水"]


async def test_choosing_by_number_and_paging():
    app = PadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await ready(pilot)
        await pilot.press(*to_digits("xiu"))
        await pilot.press("0")
        assert pad.has_class("-choosing")
        while "秀" not in [c.text for c in pad.composer.shown()]:
            await pilot.press("0")  # the next nine
        number = [c.text for c in pad.composer.shown()].index("秀") + 1
        await pilot.press(str(number))
        assert value(app) == "秀"
        assert not pad.has_class("-choosing")


async def test_phrases_by_number_and_by_tap():
    app = PadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("0", "1")
        await tap(pilot, "candidate-2")
        assert value(app) == "楼上漏下来，已经好几天"


async def test_touch_letters_candidates_digits_and_punctuation():
    app = PadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await tap(pilot, "key-3")
        for letter in "ls":
            await tap(pilot, f"key-{letter}")
        await tap(pilot, "candidate-1")
        await tap(pilot, "key-mark-0")
        assert value(app) == "3漏水，"
        await tap(pilot, "key-delete")
        await tap(pilot, "key-enter")
        await wait_for(pilot, lambda: app.submitted == ["3漏水"])


async def test_dot_and_backspace_delete():
    app = PadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        pad = await ready(pilot)
        await pilot.press(*"57", "enter", "5", "6")
        await pilot.press("full_stop")
        assert pad.composer.keys == "5"
        await pilot.press("backspace")  # a keyboard's backspace: a key first
        assert pad.composer.keys == ""
        await pilot.press("full_stop")
        assert value(app) == "漏"


async def test_digits_as_digits_and_a_real_keyboard_types_as_it_is():
    app = PadApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("plus", *"302", "plus")
        assert "数字" not in str(app.query_one("#writing-spelling").render())
        await pilot.press(*"ab", "space")
        assert value(app) == "302ab "


async def test_english_words():
    app = PadApp(language="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*to_digits("roof"), "enter", *to_digits("leak"), "enter")
        assert value(app) == "roof leak"
        await pilot.press("0", "3")
        assert value(app) == "roof leak, 影响用电"


async def test_the_limit_holds():
    app = PadApp(limit=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("0", "1")
        assert value(app) == "楼上漏"
        await pilot.press(*"57", "enter")
        assert value(app) == "楼上漏"
