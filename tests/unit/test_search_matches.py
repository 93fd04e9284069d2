"""Search finds exactly what a plain reading of every ticket finds: on a
generated station, each sample query's matches, over all its pages, equal a
scan of the tickets' text, notes and catalog names in Python."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from db import database
from kiosk import search
from kiosk.catalog import load_catalog
from kiosk.demo import load_demo
from kiosk.search import RUNNING, BoardQuery, board_page, fold, is_number_lookup
from tests.helpers import FIXED_NOW, issue


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from db import open_database
    from kiosk.config import DEMO_STATION, KioskSettings, Settings

    settings = Settings(
        station=DEMO_STATION,
        kiosk=KioskSettings(),
        database_path=tmp_path_factory.mktemp("station") / "kiosk.db",
    )
    open_database(settings.database_path)
    load_demo(settings, 1500, seed=11, now=FIXED_NOW, batch_tickets=400)
    # Descriptions that hold a catalog name's bigrams apart, or whole, in a
    # ticket of another item, and an item's name out of order in its own.
    for category, item, description in (
        ("housing", "roof-leak", "梯故障电梯"),
        ("housing", "roof-leak", "楼道电梯故障"),
        ("housing", "lift", "故障电梯"),
        ("sanitation", "rubbish", "drain blocked"),
        ("sanitation", "rubbish", "Blocked Drain!"),
    ):
        issue(settings, category=category, item=item, description=description)
    yield
    database.close()


def expected(query: BoardQuery) -> set[str]:
    """The query's matches by reading every ticket."""
    catalog = load_catalog()
    tickets = database.execute_sql(
        "SELECT uuid, ticket_no, queue_no, building, description, category, item,"
        " status, unit, due_at FROM ticket"
    ).fetchall()
    notes: dict[str, list[str]] = {}
    for ticket_uuid, payload in database.execute_sql(
        "SELECT ticket_uuid, payload FROM ticket_event WHERE kind <> 'received'"
    ):
        try:
            text = json.loads(payload).get("text")
        except (ValueError, AttributeError):
            continue
        if isinstance(text, str):
            notes.setdefault(ticket_uuid, []).append(fold(text) + " ")
    number = is_number_lookup(query.text)
    statuses = search.TAB_STATUSES[query.tab]
    now = FIXED_NOW.replace(microsecond=0).isoformat()
    terms = [fold(term) for term in query.text.split()]
    found = set()
    for row in tickets:
        ticket_uuid, ticket_no, queue_no, building, description = row[:5]
        category, item, status, unit, due_at = row[5:]
        if not number:
            if status not in statuses:
                continue
            if query.category and category != query.category:
                continue
            if query.unit and unit != query.unit:
                continue
            if query.overdue and not (status in RUNNING and due_at < now):
                continue
        doc = fold(f"{ticket_no} {queue_no} {building} {description} ")
        names: list[str] = []
        for known in catalog.categories:
            if known.code == category:
                names += [known.name, known.name_en]
                names += [
                    name
                    for entry in known.items
                    if entry.code == item
                    for name in (entry.name, entry.name_en)
                ]
        texts = [doc, *notes.get(ticket_uuid, []), *map(fold, names)]
        if all(any(term in text for text in texts) for term in terms):
            found.add(ticket_no)
    return found


def every_page(query: BoardQuery) -> tuple[list[str], search.BoardPage]:
    shown: list[str] = []
    page_no = 0
    while True:
        page = board_page(
            BoardQuery(**{**query.__dict__, "page": page_no, "page_size": 200}),
            FIXED_NOW,
        )
        shown += [row.ticket_no for row in page.rows]
        if not page.has_more:
            return shown, page
        page_no += 1


QUERIES = [
    BoardQuery(text=word)
    for word in (
        "电梯",
        "漏水",
        "网格",
        "号楼",
        "电梯故障",  # an item's name
        "房屋设施报修",  # a category's name
        "blocked drain",  # an item's English name, two terms
        "Blocked",
        "drain",
        "lift",
        "故障",
        "梯",
        "五巷1号楼",
        "一个多星期",
        "电梯 五巷",
        "漏水 号楼",
        "phy3",
        "no such words here",
    )
] + [
    BoardQuery(text="电梯故障", tab="dispatch"),
    BoardQuery(text="漏水", tab="closed", sort="due", descending=False),
    BoardQuery(text="网格", tab="in_hand", overdue=True),
    BoardQuery(text="号楼", category="housing", sort="category"),
    BoardQuery(text="电梯", unit="property", sort="unit", descending=False),
    BoardQuery(text="网格", sort="due", descending=False),
    BoardQuery(text="电梯", sort="due"),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda query: repr(query.text))
def test_every_query_finds_exactly_the_tickets_that_hold_its_words(station, query):
    shown, last = every_page(query)
    wanted = expected(query)
    assert len(shown) == len(set(shown))
    assert set(shown) == wanted
    assert last.matches == len(wanted)
    if query.text not in ("no such words here",):
        assert wanted, query.text  # each sample finds something


def test_a_count_on_any_page_is_the_count_of_every_match(station):
    wanted = expected(BoardQuery(text="号楼"))
    assert len(wanted) > 300
    for page_no in (0, 1, len(wanted) // 100):
        page = board_page(
            BoardQuery(text="号楼", page=page_no, page_size=100), FIXED_NOW
        )
        assert page.matches == len(wanted) and not page.matches_capped
    # Past the last page: no rows, the same count.
    beyond = board_page(
        BoardQuery(text="号楼", page=len(wanted) // 100 + 3, page_size=100), FIXED_NOW
    )
    assert beyond.rows == () and beyond.matches == len(wanted)
    filtered = board_page(BoardQuery(text="号楼", tab="closed", page=1), FIXED_NOW)
    assert filtered.matches == len(expected(BoardQuery(text="号楼", tab="closed")))


def test_sorted_by_due_the_order_holds_over_every_page(station):
    query = BoardQuery(text="网格", sort="due", descending=False)
    shown, _ = every_page(query)
    due = dict(
        database.execute_sql(
            f"SELECT ticket_no, due_at FROM ticket WHERE ticket_no IN "
            f"({','.join('?' * len(shown))})",
            shown,
        ).fetchall()
    )
    assert [due[number] for number in shown] == sorted(due[n] for n in shown)


@pytest.mark.parametrize("sort", ["due", "created"])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    "text, tab",
    [
        ("号楼", "all"),
        ("号楼", "in_hand"),
        ("网格", "all"),
        ("故障", "all"),
        ("电梯 五巷", "all"),
    ],
)
def test_pages_in_order_are_those_of_a_sort_of_every_match(
    station, text, tab, descending, sort
):
    query = BoardQuery(text=text, tab=tab, sort=sort, descending=descending)
    wanted = expected(query)
    keys = {
        ticket_no: (due_at, ticket_id) if sort == "due" else (ticket_id,)
        for ticket_id, ticket_no, due_at in database.execute_sql(
            "SELECT id, ticket_no, due_at FROM ticket"
        )
        if ticket_no in wanted
    }
    ordered = sorted(wanted, key=keys.__getitem__, reverse=descending)
    for page_no in (0, 1, 2, 7):
        page = board_page(
            BoardQuery(**{**query.__dict__, "page": page_no, "page_size": 5}),
            FIXED_NOW,
        )
        shown = [row.ticket_no for row in page.rows]
        assert shown == ordered[page_no * 5 : page_no * 5 + 5], page_no


def test_a_common_word_sorted_by_due_walks_the_due_index(station):
    """The case above that the walk answers (a match in most tickets), so
    that the comparison covers it."""
    query = BoardQuery(text="号楼", sort="due", page_size=5)
    ids, params, conditions, condition_params = search._search_parts(query, FIXED_NOW)
    gathered = search._gather(ids, params)
    walked = search._walked_by_due(
        query, search.STATUSES, gathered, conditions, condition_params
    )
    assert walked is not None and len(walked) == 6


def test_matches_deep_in_a_sparse_status_still_come_first(settings, station_db):
    """Sorted by due time, the earliest matches lie in a status where they
    are rare, past where its walk first stops: they still lead the page."""
    from kiosk import search as board

    # A category and item whose names do not hold the word searched.
    template = issue(
        settings, category="sanitation", item="dog-mess", description="电梯坏了"
    ).ticket_no

    def rows(count: int, status: str, description: str, due: str) -> None:
        database.execute_sql(
            """WITH RECURSIVE n (i) AS (
                 SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
            INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category,
                item, building, description, created_at, status, unit, due_at,
                token)
            SELECT t.uuid || ?2 || n.i, t.ticket_no || ?2 || n.i, t.queue_no,
                t.station, t.day, t.category, t.item, t.building, ?3, t.created_at,
                ?4, t.unit, ?5 || printf('%04d', n.i), t.token
            FROM ticket AS t, n WHERE t.ticket_no = ?6""",
            (count, f"-{status}-{description}-", description, status, due, template),
        )

    rows(400, "withdrawn", "楼道灯不亮", "2026-01-01T")  # no match, due first
    rows(2, "withdrawn", "电梯坏了", "2026-02-01T")  # the earliest matches
    rows(600, "received", "电梯坏了", "2026-12-01T")
    query = BoardQuery(text="电梯", sort="due", descending=False, page_size=5)
    page = board_page(query, FIXED_NOW)
    assert [(row.status, row.due_at[:7]) for row in page.rows] == [
        ("withdrawn", "2026-02"),
        ("withdrawn", "2026-02"),
        *[("received", row.due_at[:7]) for row in page.rows[2:]],
    ]
    # The walk answered (its first reach stops short of those two).
    ids, params, conditions, condition_params = board._search_parts(query, FIXED_NOW)
    gathered = board._gather(ids, params)
    walked = board._walked_by_due(
        query, board.STATUSES, gathered, conditions, condition_params
    )
    assert walked is not None and [row[1] for row in walked[:5]] == [
        row.ticket_no for row in page.rows
    ]
