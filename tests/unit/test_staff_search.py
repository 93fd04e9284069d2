"""The board's queries and the bigram search, on a real database file."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from db import database
from kiosk import desk
from kiosk.catalog import load_catalog
from kiosk.search import BoardQuery, board_page, change_marker, tab_counts
from kiosk.states import STATUS_NAMES
from tests.helpers import FIXED_NOW, issue, run_kiosk_command

TEXTS = [
    "3号楼电梯坏了",
    "楼上漏水到我家",
    "晚上噪音太大",
    "电梯里有噪音",
    "楼道灯不亮",
    "地下室漏水，电梯井进水",
    "梯电",  # the bigrams of 电梯 reversed: must not match 电梯
]


@pytest.fixture
def texts(settings, station_db):
    # A category and item whose names hold none of the words searched for
    # (their names are searched too).
    return [
        issue(
            settings,
            category="sanitation",
            item="dog-mess",
            description=text,
            building="五巷",
        ).ticket_no
        for text in TEXTS
    ]


def found(text: str, **options: object) -> set[str]:
    page = board_page(BoardQuery(text=text, page_size=100, **options), FIXED_NOW)  # type: ignore[arg-type]
    return {row.ticket_no for row in page.rows}


@pytest.mark.parametrize("word", ["电梯", "漏水", "噪音", "楼道", "号楼"])
def test_two_character_words_find_every_ticket_holding_them(texts, word):
    expected = {
        number for number, text in zip(texts, TEXTS, strict=True) if word in text
    }
    assert expected and found(word) == expected


@pytest.mark.parametrize("word", ["电梯坏", "电梯井进水", "灯", "3号楼", "梯"])
def test_longer_and_one_character_words(texts, word):
    expected = {
        number for number, text in zip(texts, TEXTS, strict=True) if word in text
    }
    assert found(word) == expected


def test_bigrams_apart_do_not_match(texts):
    # "漏水电梯" shares all bigrams but one with ticket 6 and is not in it.
    assert found("漏水电梯") == set()
    assert found("电梯井") == {texts[5]}


def test_search_covers_numbers_buildings_and_notes(settings, head, texts):
    assert found(texts[2]) == {texts[2]}
    assert found("phy3") == set(texts)  # ASCII case folded
    assert found("五巷") == set(texts)
    desk.add_note(settings, head, texts[4], "住户反映有烟味", now=FIXED_NOW)
    assert found("烟味") == {texts[4]}
    assert found("电梯 噪音") == {texts[3]}  # every term must match


def test_search_honours_the_state_filter(settings, head, texts):
    desk.dispatch(settings, head, texts[0], "property")
    assert found("电梯", tab="in_hand") == {texts[0]}
    assert found("电梯", tab="dispatch") == {texts[3], texts[5]}


def test_tabs_filters_sorting_and_pages(settings, head):
    # Issue order is board order (newest first): the oldest comes first.
    late = issue(
        settings,
        category="sanitation",
        item="rubbish",
        at=FIXED_NOW - timedelta(days=5),
    ).ticket_no
    numbers = [
        issue(settings, at=FIXED_NOW - timedelta(hours=i)).ticket_no
        for i in range(6, -1, -1)
    ][::-1]
    desk.dispatch(settings, head, numbers[0], "police")
    desk.dispatch(settings, head, numbers[1], "property")
    desk.acknowledge(settings, head, numbers[1])
    desk.withdraw(settings, head, numbers[2], "out_of_scope")

    def page(**options: object) -> list[str]:
        result = board_page(BoardQuery(**options), FIXED_NOW)  # type: ignore[arg-type]
        return [row.ticket_no for row in result.rows]

    assert page(tab="in_hand") == [numbers[0], numbers[1]]
    assert page(tab="closed") == [numbers[2]]
    assert page(tab="dispatch") == numbers[3:] + [late]
    assert page(unit="police") == [numbers[0]]
    assert page(category="sanitation") == [late]
    assert page(overdue=True) == [late]
    assert page(tab="closed", overdue=True) == []
    assert page(sort="due", descending=False)[0] == late
    assert page(sort="created", descending=False)[0] == late
    first = board_page(BoardQuery(page_size=3), FIXED_NOW)
    second = board_page(BoardQuery(page_size=3, page=1), FIXED_NOW)
    third = board_page(BoardQuery(page_size=3, page=2), FIXED_NOW)
    assert first.has_more and second.has_more and not third.has_more
    shown = [r.ticket_no for p in (first, second, third) for r in p.rows]
    assert shown == numbers + [late]
    assert tab_counts() == {
        "dispatch": 5,
        "in_hand": 2,
        "escalated": 0,
        "callback": 0,
        "closed": 1,
        "all": 8,
    }


def test_the_change_marker_moves_on_every_write(settings, head):
    start = change_marker()
    number = issue(settings).ticket_no
    issued = change_marker()
    desk.add_note(settings, head, number, "来电询问")
    assert start < issued < change_marker()


# -- the command line ----------------------------------------------------------


def test_users_commands(kiosk_config, station_db, capsys, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("112233\n"))
    assert (
        run_kiosk_command(
            capsys, "users", "add", "zhou", "--role", "head", "--pin-stdin"
        )[0]
        == 0
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    code, _, err = run_kiosk_command(capsys, "users", "add", "qian", "--pin-stdin")
    assert code == 1 and "6 到 12 位数字" in err
    assert run_kiosk_command(capsys, "users", "disable", "zhou")[0] == 0
    code, out, _ = run_kiosk_command(capsys, "users", "list", "--json")
    assert [(u["name"], u["disabled"]) for u in json.loads(out)] == [("zhou", True)]
    monkeypatch.setattr("sys.stdin", io.StringIO("445566\n"))
    assert (
        run_kiosk_command(capsys, "users", "reset-pin", "zhou", "--pin-stdin")[0] == 0
    )
    code, _, err = run_kiosk_command(capsys, "users", "disable", "nobody")
    assert code == 1 and "没有用户" in err


def test_tickets_commands(kiosk_config, settings, head, capsys):
    number = issue(settings, description="电梯坏了", mobile="13812345678").ticket_no
    desk.dispatch(settings, head, number, "property")
    code, out, _ = run_kiosk_command(capsys, "tickets", "list", "--json")
    listed = json.loads(out)["tickets"]
    assert code == 0 and [t["ticket_no"] for t in listed] == [number]
    code, out, _ = run_kiosk_command(capsys, "tickets", "search", "电梯", "--json")
    assert [t["ticket_no"] for t in json.loads(out)["tickets"]] == [number]
    code, out, _ = run_kiosk_command(capsys, "tickets", "show", number, "--json")
    shown = json.loads(out)
    assert shown["contact_mobile"] == "138****5678"
    assert [e["kind"] for e in shown["timeline"]] == ["received", "dispatched"]
    code, out, _ = run_kiosk_command(capsys, "tickets", "show", number)
    assert "13812345678" not in out and "138****5678" in out
    code, _, err = run_kiosk_command(capsys, "tickets", "show", "PHY3-000000-000")
    assert code == 1 and "no ticket" in err


# -- category and item names, every match reachable (issue 18, items 9, 10) ----


@pytest.mark.parametrize(
    "word", ["电梯", "电梯故障", "房屋设施", "房屋设施报修 电梯", "lift", "Lift out"]
)
def test_the_category_and_item_a_resident_picked_are_found(settings, station_db, word):
    lift = issue(settings, category="housing", item="lift").ticket_no
    issue(settings, category="housing", item="roof-leak")
    issue(settings, category="sanitation", item="rubbish")
    if word.startswith("房屋设施") and " " not in word:
        assert lift in found(word) and len(found(word)) == 2
    else:
        assert found(word) == {lift}


def test_a_category_name_with_a_description_word(settings, station_db):
    lift = issue(
        settings, category="housing", item="lift", description="东门"
    ).ticket_no
    issue(settings, category="housing", item="roof-leak", description="东门")
    issue(settings, category="housing", item="lift", description="西门")
    assert found("电梯 东门") == {lift}


def copies(settings, count: int, **fields: object) -> None:
    """``count`` more tickets like a freshly issued one, in one statement."""
    from db import database

    template = issue(settings, **fields).ticket_no  # type: ignore[arg-type]
    database.execute_sql(
        """WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category,
            item, building, description, created_at, status, unit, due_at, token)
        SELECT t.uuid || '-' || n.i, t.ticket_no || '-' || n.i, t.queue_no,
            t.station, t.day, t.category, t.item, t.building, t.description,
            t.created_at, t.status, t.unit, t.due_at, t.token
        FROM ticket AS t, n WHERE t.ticket_no = ?""",
        (count, template),
    )


def test_every_match_is_reachable_and_sorted_over_all(settings, station_db):
    earliest = issue(
        settings, description="电梯坏了", at=FIXED_NOW - timedelta(days=30)
    ).ticket_no
    copies(settings, 2100, description="电梯坏了")
    seen: list[str] = []
    page_no = 0
    while True:
        page = board_page(
            BoardQuery(text="电梯", page=page_no, page_size=500), FIXED_NOW
        )
        seen += [row.ticket_no for row in page.rows]
        if not page.has_more:
            break
        page_no += 1
    assert len(seen) == len(set(seen)) == 2102
    assert page.matches == 2102 or page.matches_capped
    assert board_page(BoardQuery(text="电梯", page=4, page_size=500), FIXED_NOW).rows
    by_due = board_page(
        BoardQuery(text="电梯", sort="due", descending=False, page_size=5), FIXED_NOW
    )
    assert by_due.rows[0].ticket_no == earliest


def test_a_capped_count_says_so(settings, station_db):
    from kiosk import search

    copies(settings, search.MATCH_COUNT_CAP + 10, description="电梯坏了")
    page = board_page(BoardQuery(text="电梯"), FIXED_NOW)
    assert page.matches_capped and page.matches == search.MATCH_COUNT_CAP
    assert page.has_more
    # The last page past the cap knows the exact count.
    total = search.MATCH_COUNT_CAP + 11
    last = board_page(BoardQuery(text="电梯", page=(total - 1) // 50), FIXED_NOW)
    assert len(last.rows) == total % 50 and not last.has_more
    assert last.matches == total and not last.matches_capped


# -- a number finds its ticket from any tab (issue 18, item 11) ----------------


def test_a_ticket_or_queue_number_finds_its_ticket_from_any_tab(
    settings, head, station_db
):
    closed = issue(settings)
    desk.withdraw(settings, head, closed.ticket_no, "out_of_scope", now=FIXED_NOW)
    issue(settings)
    for text in (closed.ticket_no, closed.ticket_no.lower(), closed.queue_no):
        assert found(text, tab="dispatch") == {closed.ticket_no}, text
        assert found(text, tab="in_hand", category="order") == {closed.ticket_no}
    # A plain word still searches within the tab.
    assert found("五巷", tab="closed") == {closed.ticket_no}


@pytest.fixture
def every_category(settings, head):
    """A ticket in every category, in several states and units."""
    catalog = load_catalog()
    units = list(catalog.units)
    numbers = []
    for index, category in enumerate(catalog.categories):
        for offset in range(2):
            number = issue(
                settings,
                category=category.code,
                item=category.items[offset].code,
                at=FIXED_NOW - timedelta(hours=index * 2 + offset + 1),
            ).ticket_no
            numbers.append(number)
            if offset:
                desk.dispatch(
                    settings, head, number, units[index % len(units)], now=FIXED_NOW
                )
                if index % 2:
                    desk.acknowledge(settings, head, number, now=FIXED_NOW)
            if index % 3 == 2:
                desk.withdraw(settings, head, number, "out_of_scope", now=FIXED_NOW)
    return numbers


def shown_names(rows, column: str) -> list[str]:
    """What the board's column shows for each row (the Chinese names)."""
    catalog = load_catalog()
    if column == "category":
        return [catalog.category(row.category).name for row in rows]
    if column == "unit":
        return [catalog.units[row.unit].name for row in rows]
    return [STATUS_NAMES[row.status][0] for row in rows]


@pytest.mark.parametrize("column", ["category", "unit", "status"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    "options",
    [{"tab": "all"}, {"tab": "in_hand"}, {"tab": "all", "text": "号楼"}],
    ids=["all", "tab", "search"],
)
def test_sorting_follows_the_names_the_column_shows(
    every_category, column, descending, options
):
    rows = []
    for page_number in range(10):
        page = board_page(
            BoardQuery(
                sort=column,
                descending=descending,
                page=page_number,
                page_size=5,
                **options,  # type: ignore[arg-type]
            ),
            FIXED_NOW,
        )
        rows += page.rows
        if not page.has_more:
            break
    names = shown_names(rows, column)
    assert len(set(names)) > 1, names  # the order can tell
    assert names == sorted(names, reverse=descending)
    # Every ticket once, whatever the sort.
    expected = board_page(BoardQuery(page_size=100, **options), FIXED_NOW).rows  # type: ignore[arg-type]
    assert sorted(row.ticket_no for row in rows) == sorted(
        row.ticket_no for row in expected
    )


def test_the_change_watcher_sees_every_commit_by_anyone(settings, head):
    from db.changes import ChangeWatcher

    watcher = ChangeWatcher(settings.database_path)
    try:
        assert not watcher.changed()
        number = issue(settings).ticket_no  # another connection commits
        assert watcher.changed()
        assert not watcher.changed()  # once per commit
        desk.add_note(settings, head, number, "已电话联系")
        assert watcher.changed()
        board_page(BoardQuery(), FIXED_NOW)  # reading changes nothing
        assert not watcher.changed()
    finally:
        watcher.close()


def test_a_code_the_catalog_does_not_know_sorts_after_the_names(settings, head):
    known = issue(settings).ticket_no
    unknown = issue(settings).ticket_no
    # A ticket from an older catalog, whose category is gone.
    database.execute_sql(
        "UPDATE ticket SET category = 'retired' WHERE ticket_no = ?", (unknown,)
    )
    for descending, expected in ((False, [known, unknown]), (True, [unknown, known])):
        page = board_page(BoardQuery(sort="category", descending=descending), FIXED_NOW)
        assert [row.ticket_no for row in page.rows] == expected
