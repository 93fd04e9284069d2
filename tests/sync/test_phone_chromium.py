"""The tracking page as a resident sees it: headless Chromium at 390x844, in
Chinese and in English, against a real central process and a real station
that syncs with it.

A new ticket before the station syncs, the status and the overdue line, the
call-back answered on the phone and shown on the station's board after a
sync, and the follow-up note. Every state is checked with axe-core (no
serious or critical violation) and saved as a screenshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import DataTable

from db import Ticket
from kiosk import accounts, desk
from kiosk.catalog import load_catalog
from kiosk.report_sums import station_month
from kiosk.tickets import TicketDraft, issue_ticket
from screens.staff.app import StaffApp
from screens.staff.board import BoardScreen
from tests.helpers import HEAD_PIN, ManualClock, wait_for, wait_screen
from tests.pilot.test_staff_app import log_in, open_ticket
from tests.sync.browser import PHONE_WIDTH, Browser, Page
from tests.sync.conftest import Station
from tests.sync.conftest import wait_for as wait_until

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LANGUAGES = {"zh-CN": "zh-CN,zh;q=0.9", "en": "en-US,en;q=0.9"}
NAME = "王秀英"
MOBILE = "13812345678"

# Every word of a text node in one line box: a word broken in the middle
# gives two boxes. Returns the words that were broken.
BROKEN_WORDS = """
(() => {
  const broken = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const re = /[A-Za-z][A-Za-z'-]*/g;
    let found;
    while ((found = re.exec(node.data)) !== null) {
      const range = document.createRange();
      range.setStart(node, found.index);
      range.setEnd(node, found.index + found[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(found[0]);
    }
  }
  return broken;
})()
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    started = Browser(tmp_path_factory.mktemp("chromium"))
    yield started
    started.close()


@pytest.fixture
def phone(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = browser.new_page(LANGUAGES[request.param])
    yield page
    page.close()


def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify("
        "r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))}))))",
        wait_promise=True,
    )
    return [v for v in json.loads(found) if v["impact"] in ("serious", "critical")]


def look(page: Page, folder: Path, name: str) -> None:
    """A state as the resident sees it: a picture, no serious accessibility
    problem, nothing wider than the phone, no English word broken."""
    shot = page.screenshot(folder / f"{name}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert page.evaluate(BROKEN_WORDS) == []


def sync(station: Station) -> None:
    done = station.kiosk("sync", "--once")
    assert done.returncode == 0, done.stderr


def sync_until(station: Station, sql: str, params: tuple, what: str) -> None:
    """Sync until the station holds what the central has (on PostgreSQL an
    event is handed out once no older transaction is open)."""

    def arrived() -> bool:
        sync(station)
        return bool(station.local(sql, params))

    wait_until(arrived, what=what)


def url(station: Station, number: str, token: str) -> str:
    return f"{station.central.url}/t/{number}?k={token}"


def issue(station: Station, language: str, now: datetime | None = None) -> Ticket:
    draft = TicketDraft(
        category="sanitation",
        item="rubbish",
        building="五巷3号楼",
        description=f"我是{NAME}",
        contact_name=NAME,
        contact_mobile=MOBILE,
        consent=True,
        language=language,
    )
    issued = issue_ticket(station.settings, draft, now=now)
    return Ticket.get(Ticket.uuid == issued.uuid)


@pytest.fixture
def desk_head(station: Station) -> accounts.StaffSession:
    accounts.add_user(station.settings, "wang", "head", HEAD_PIN)
    return accounts.login(station.settings, "wang", HEAD_PIN)


both_languages = pytest.mark.parametrize("phone", list(LANGUAGES), indirect=True)


@both_languages
def test_a_new_ticket_before_the_station_syncs_then_its_status(
    station: Station, phone: Page, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    language = request.node.callspec.params["phone"]
    ticket = issue(station, language)
    phone.open(url(station, ticket.ticket_no, ticket.token))
    waiting = phone.text("#not-found")
    if language == "en":
        assert "We could not find this ticket." in waiting
        assert "A new ticket appears here only after the station has sent it" in waiting
    else:
        assert "没有找到这张工单" in waiting
        assert "刚登记的工单，要等服务站把它送到街道平台后才能在这里查到" in waiting
    look(phone, tmp_path, f"not-found-{language}")
    sync(station)
    phone.open(url(station, ticket.ticket_no, ticket.token))
    assert phone.text("#status") == ("Received" if language == "en" else "已受理")
    assert ticket.ticket_no in phone.text()
    page_text = phone.text()
    assert NAME not in page_text and MOBILE not in page_text
    assert phone.evaluate("document.documentElement.lang") == language
    look(phone, tmp_path, f"status-{language}")


@both_languages
def test_an_overdue_ticket_says_so_on_the_phone(
    station: Station,
    phone: Page,
    desk_head: accounts.StaffSession,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    language = request.node.callspec.params["phone"]
    filed = datetime(2026, 7, 3, 13, 12, tzinfo=station.settings.zone)
    ticket = issue(station, language, now=filed)
    desk.dispatch(station.settings, desk_head, ticket.ticket_no, "enforcement",
                  now=filed + timedelta(hours=2))  # fmt: skip
    sync(station)
    phone.open(url(station, ticket.ticket_no, ticket.token))
    overdue = phone.text("#overdue")
    if language == "en":
        assert overdue.startswith("Overdue by ") and " days (it was due by " in overdue
        assert "The station chases overdue tickets" in phone.text("#next")
        assert "Administrative Enforcement" in phone.text()
    else:
        assert overdue.startswith("已超过预计办结时间 ") and "天（原定 7月" in overdue
        assert "服务站每天督办超期工单" in phone.text("#next")
    look(phone, tmp_path, f"overdue-{language}")


async def board_after_sync(station: Station, number: str) -> tuple[str, list[str]]:
    """The station's board and the ticket's timeline, in the staff terminal."""
    app = StaffApp(
        station.settings,
        clock=ManualClock(),
        now=lambda: datetime.now(station.settings.zone),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot)
        await wait_screen(pilot, BoardScreen)
        await pilot.press("6")  # 全部
        table = app.screen.query_one("#board", DataTable)
        await wait_for(pilot, lambda: number in [k.value for k in table.rows])
        status = str(table.get_cell(number, "status"))  # wherever the width puts it
        screen = await open_ticket(pilot, number)
        timeline = screen.query_one("#timeline", DataTable)
        await wait_for(pilot, lambda: timeline.row_count > 0)
        rows = [
            " ".join(str(cell) for cell in timeline.get_row_at(index)[1:])
            for index in range(timeline.row_count)
        ]
    return status, rows


@both_languages
async def test_the_call_back_answered_on_the_phone_reaches_the_board(
    station: Station,
    phone: Page,
    desk_head: accounts.StaffSession,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    language = request.node.callspec.params["phone"]
    ticket = issue(station, language)
    number = ticket.ticket_no
    desk.dispatch(station.settings, desk_head, number, "enforcement")
    desk.resolve(station.settings, desk_head, number, "已清运")
    sync(station)
    phone.open(url(station, number, ticket.token))
    assert phone.evaluate("!!document.querySelector('#answer form')")
    look(phone, tmp_path, f"answer-form-{language}")
    phone.tap("input[name=solved][value=yes]")
    phone.tap("input[name=rating][value=basically_satisfied]")
    phone.send_form("#answer button", "#done")
    if language == "en":
        assert (
            phone.text("#done") == "Thank you! Your answers have reached the station."
        )
        assert "Your answers: Yes, solved, Basically satisfied." in phone.text(
            "#answer"
        )
    else:
        assert phone.text("#done") == "谢谢！您的回答已送达服务站。"
        assert "您的回答：解决了，基本满意。" in phone.text("#answer")
    look(phone, tmp_path, f"answered-{language}")
    sync_until(
        station,
        "SELECT 1 FROM ticket_event WHERE kind = 'callback' AND actor = 'resident'",
        (),
        "the resident's answer at the station",
    )
    assert Ticket.get(Ticket.ticket_no == number).status == "closed"
    status, timeline = await board_after_sync(station, number)
    assert status == "已回访·手机"
    assert "回访 居民（手机） 解决，基本满意" in timeline
    now = datetime.now(station.settings.zone)
    counts = station_month(station.settings, load_catalog(), f"{now:%Y-%m}", now)[
        "counts"
    ]
    assert counts["called_back"] == 1 and counts["basically_satisfied"] == 1
    assert counts["solved"] == 1


@both_languages
async def test_a_note_from_the_phone_reaches_the_board_and_is_not_shown_back(
    station: Station, phone: Page, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    language = request.node.callspec.params["phone"]
    accounts.add_user(station.settings, "wang", "head", HEAD_PIN)
    ticket = issue(station, language)
    number = ticket.ticket_no
    sync(station)
    phone.open(url(station, number, ticket.token))
    look(phone, tmp_path, f"note-form-{language}")
    phone.tap("#note-text")
    note = f"垃圾桶又满了，{NAME} {MOBILE}"
    phone.type(note)
    phone.send_form("#note button", "#done")
    expected = (
        "Your note has reached the station."
        if language == "en"
        else "补充说明已送达服务站，工作人员会看到。"
    )
    assert phone.text("#done") == expected
    assert "垃圾桶又满了" not in phone.html() and MOBILE not in phone.html()
    look(phone, tmp_path, f"note-sent-{language}")
    sync_until(
        station,
        "SELECT 1 FROM ticket_event WHERE kind = 'note' AND actor = 'resident'",
        (),
        "the resident's note at the station",
    )
    status, timeline = await board_after_sync(station, number)
    assert status == "居民补充说明"
    assert f"补充说明 居民（手机） {note}" in timeline
