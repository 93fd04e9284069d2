"""Reading tickets for the front desk: the board's pages, search and detail.

Built for a million tickets: a page is at most ``PAGE_SIZE`` rows read
through an index in the order shown; a state tab of several statuses is a
UNION ALL of one index range per status. Search uses the bigram index of
migration 3 (``ticket_search`` and ``note_search``, a note's ticket found in
``note_ticket``): a two-character word is one token lookup, longer words the
AND of their bigrams checked against the text, one character a prefix
lookup; category and item names are matched in the catalog and read through
their indexes. In every tab without filters and by creation time (the
board's default), a search merges its parts in id order and reads only as
far as its page and capped count need (_newest_ids). Otherwise it gathers
its matching ids once (temp.search_hit), for its page and its count;
sorted by due time, many matches are read by walking the (status, due_at)
index (see WALK_COST_RATIO).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from db import Ticket, TicketEvent, database
from kiosk.catalog import Catalog, load_catalog
from kiosk.states import (
    ACKNOWLEDGED,
    CLOSED,
    DISPATCHED,
    ESCALATED,
    RECEIVED,
    RESOLVED,
    STATUS_NAMES,
    STATUSES,
    WITHDRAWN,
)

PAGE_SIZE = 50
SEARCH_CAP = 1000
# A search counts its matches up to here; past it the count says "at least".
MATCH_COUNT_CAP = 10_000

# The board's state tabs: (id, label, statuses).
TABS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dispatch", "待派单", (RECEIVED,)),
    ("in_hand", "处理中", (DISPATCHED, ACKNOWLEDGED)),
    ("escalated", "已上报", (ESCALATED,)),
    ("callback", "待回访", (RESOLVED,)),
    ("closed", "已结束", (CLOSED, WITHDRAWN)),
    ("all", "全部", STATUSES),
)
TAB_STATUSES = {tab_id: statuses for tab_id, _, statuses in TABS}
# Statuses whose SLA clock runs: only these can be overdue.
RUNNING = (RECEIVED, DISPATCHED, ACKNOWLEDGED, ESCALATED)

# Sortable columns: id -> SQL expression.
SORT_COLUMNS = {
    "queue": "queue_no",
    "created": "id",
    "category": "category",
    "building": "building",
    "status": "status",
    "unit": "unit",
    "due": "due_at",
}
# Columns the board shows by name: they sort by the Chinese name shown, not
# by the code stored (see name_ranks).
NAMED_COLUMNS = ("category", "unit", "status")
ROW_COLUMNS = (
    "id, ticket_no, queue_no, created_at, category, building, status, unit, due_at,"
    " clock_suspect"
)
TICKET_DOC = (
    "lower(t.ticket_no || ' ' || t.queue_no || ' ' || t.building || ' ' "
    "|| t.description || ' ')"
)


@dataclass(frozen=True)
class BoardRow:
    id: int
    ticket_no: str
    queue_no: str
    created_at: str
    category: str
    building: str
    status: str
    unit: str
    due_at: str
    # Issued under a clock that was behind or skewed (kiosk.clock).
    clock_suspect: int = 0


@dataclass(frozen=True)
class BoardQuery:
    tab: str = "all"
    category: str = ""
    unit: str = ""
    overdue: bool = False
    text: str = ""
    sort: str = "created"
    descending: bool = True
    page: int = 0
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class BoardPage:
    query: BoardQuery
    rows: tuple[BoardRow, ...]
    has_more: bool
    # Matches of a search, None for a plain board; with matches_capped the
    # count stopped at MATCH_COUNT_CAP and there are more.
    matches: int | None = None
    matches_capped: bool = False


def _statuses(query: BoardQuery) -> tuple[str, ...]:
    statuses = TAB_STATUSES.get(query.tab, STATUSES)
    if query.overdue:
        statuses = tuple(s for s in statuses if s in RUNNING)
    return statuses


def _filters(query: BoardQuery, now: datetime, alias: str = "") -> tuple[str, list]:
    prefix = f"{alias}." if alias else ""
    clauses: list[str] = []
    params: list[object] = []
    if query.category:
        clauses.append(f"{prefix}category = ?")
        params.append(query.category)
    if query.unit:
        clauses.append(f"{prefix}unit = ?")
        params.append(query.unit)
    if query.overdue:
        # Sorted by time, walk the status index newest first and check the
        # deadline on the way (most old open tickets are overdue); sorted by
        # deadline, the (status, due_at) index answers directly.
        unary = "" if query.sort == "due" else "+"
        clauses.append(f"{unary}{prefix}due_at < ?")
        params.append(now.replace(microsecond=0).isoformat())
    return " AND ".join(clauses), params


def name_ranks(column: str, catalog: Catalog | None = None) -> dict[str, int]:
    """For a column shown by name: each code's place among the Chinese names
    as the board shows them (codes not known sort after them)."""
    if column == "status":
        names = {status: STATUS_NAMES[status][0] for status in STATUSES}
    elif column == "category":
        catalog = catalog or load_catalog()
        names = {category.code: category.name for category in catalog.categories}
    elif column == "unit":
        catalog = catalog or load_catalog()
        names = {code: unit.name for code, unit in catalog.units.items()}
    else:
        return {}
    ordered = sorted(names, key=lambda code: (names[code], code))
    return {code: rank for rank, code in enumerate(ordered)}


def _order(query: BoardQuery) -> tuple[str, list[object]]:
    """The ORDER BY of a query and its parameters."""
    column = SORT_COLUMNS.get(query.sort, "id")
    direction = "DESC" if query.descending else "ASC"
    if column == "id":
        return f"id {direction}", []
    ranks = name_ranks(query.sort)
    if ranks:
        cases = " ".join("WHEN ? THEN ?" for _ in ranks)
        params: list[object] = [value for item in ranks.items() for value in item]
        rank = f"CASE {column} {cases} ELSE {len(ranks)} END"
        return f"{rank} {direction}, id {direction}", params
    return f"{column} {direction}, id {direction}", []


def _present_codes(column: str) -> list[str]:
    """The distinct values of an indexed column, one index seek each (a
    skip scan: a million rows hold a dozen codes)."""
    sql = (
        "WITH RECURSIVE code(value) AS ("
        f"SELECT min({column}) FROM ticket UNION ALL "
        f"SELECT (SELECT min({column}) FROM ticket WHERE {column} > value) "
        "FROM code WHERE value IS NOT NULL) "
        "SELECT value FROM code WHERE value IS NOT NULL"
    )
    return [row[0] for row in database.execute_sql(sql)]


def _named_page(
    query: BoardQuery, statuses: tuple[str, ...], extra: str, params: list[object]
) -> list[tuple]:
    """A board page sorted by a column shown by name: one index range per
    status and code, each cut to what the page needs and tagged with the
    name's place, so that the order is the names' and the indexes still
    answer."""
    column = SORT_COLUMNS[query.sort]
    ranks = name_ranks(query.sort)
    direction = "DESC" if query.descending else "ASC"
    wanted = (query.page + 1) * query.page_size + 1
    filtered = f" AND {extra}" if extra else ""
    parts: list[str] = []
    all_params: list[object] = []

    def part(condition: str, rank: int, condition_params: list[object]) -> None:
        parts.append(
            f"SELECT * FROM (SELECT {ROW_COLUMNS}, {rank} AS name_rank FROM ticket "
            f"WHERE {condition}{filtered} ORDER BY id {direction} LIMIT ?)"
        )
        all_params.extend([*condition_params, *params, wanted])

    if column != "status":
        # Codes the catalog does not know (an older catalog's) sort after the
        # names, each an index range too.
        unknown = sorted(set(_present_codes(column)) - set(ranks))
        ranks = {**ranks, **{code: len(ranks) + i for i, code in enumerate(unknown)}}
    for status in statuses:
        if column == "status":
            part("status = ?", ranks.get(status, len(ranks)), [status])
            continue
        for code, rank in ranks.items():
            part(f"status = ? AND {column} = ?", rank, [status, code])
    sql = (
        " UNION ALL ".join(parts)
        + f" ORDER BY name_rank {direction}, id {direction} LIMIT ? OFFSET ?"
    )
    rows = database.execute_sql(
        sql, [*all_params, query.page_size + 1, query.page * query.page_size]
    ).fetchall()
    return [row[:-1] for row in rows]


def board_page(query: BoardQuery, now: datetime) -> BoardPage:
    """One page of the board, as the query asks."""
    if query.text.strip():
        return _search_page(query, now)
    statuses = _statuses(query)
    extra, params = _filters(query, now)
    order, _ = _order(query)  # a column shown by name is _named_page's
    wanted = (query.page + 1) * query.page_size + 1
    if not statuses:
        rows: list[tuple] = []
    elif query.sort in NAMED_COLUMNS:
        rows = _named_page(query, statuses, extra, params)
    elif set(statuses) == set(STATUSES) and query.sort == "created":
        where = f"WHERE {extra}" if extra else ""
        sql = (
            f"SELECT {ROW_COLUMNS} FROM ticket {where} ORDER BY {order} "
            "LIMIT ? OFFSET ?"
        )
        rows = database.execute_sql(
            sql, [*params, query.page_size + 1, query.page * query.page_size]
        ).fetchall()
    else:
        # One index range per status, each cut to what the page needs.
        parts = []
        all_params: list[object] = []
        for status in statuses:
            condition = "status = ?" + (f" AND {extra}" if extra else "")
            parts.append(
                f"SELECT * FROM (SELECT {ROW_COLUMNS} FROM ticket "
                f"WHERE {condition} ORDER BY {order} LIMIT ?)"
            )
            all_params += [status, *params, wanted]
        sql = " UNION ALL ".join(parts) + f" ORDER BY {order} LIMIT ? OFFSET ?"
        rows = database.execute_sql(
            sql, [*all_params, query.page_size + 1, query.page * query.page_size]
        ).fetchall()
    board_rows = tuple(BoardRow(*row) for row in rows[: query.page_size])
    return BoardPage(query, board_rows, len(rows) > query.page_size)


# -- search -------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower-case ASCII only, as SQLite's lower() does."""
    return "".join(c.lower() if c.isascii() else c for c in text)


def _gram(text: str) -> str:
    return text.encode("utf-8").hex().upper()


def match_expression(term: str) -> str:
    """The FTS5 query for one search term over the bigram index."""
    term = fold(term)
    if len(term) == 1:
        return f"{_gram(term)}*"
    grams = sorted({_gram(term[i : i + 2]) for i in range(len(term) - 1)})
    return " AND ".join(grams)


def catalog_codes(
    term: str, catalog: Catalog | None = None
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Categories, and items per category, whose Chinese or English name
    holds ``term`` (folded as the search folds): what a resident picked on
    the keypad is searchable like the text they typed."""
    catalog = catalog or load_catalog()
    categories: list[str] = []
    items: list[tuple[str, list[str]]] = []
    for category in catalog.categories:
        if term in fold(category.name) or term in fold(category.name_en):
            categories.append(category.code)
            continue
        codes = [
            item.code
            for item in category.items
            if term in fold(item.name) or term in fold(item.name_en)
        ]
        if codes:
            items.append((category.code, codes))
    return categories, items


def _term_ids(term: str, union: str = "UNION ALL") -> tuple[str, list[object]]:
    """A compound SELECT of the ids of tickets holding ``term``: in their
    number, queue number, building or description, in one of their notes,
    or in the names of their category or item. Its parts are joined by
    ``union``: UNION ALL where the ids are deduplicated later, UNION to
    merge parts that each come in id order (_newest_ids)."""
    expression = match_expression(term)
    # Tickets whose category or item name holds the term: one index range
    # each (ticket_category, ticket_category_item), in id order.
    catalog_parts: list[str] = []
    catalog_params: list[object] = []
    categories, items = catalog_codes(term)
    for category in categories:
        catalog_parts.append("SELECT id FROM ticket WHERE category = ?")
        catalog_params.append(category)
    for category, codes in items:
        for code in codes:
            catalog_parts.append(
                "SELECT id FROM ticket WHERE category = ? AND item = ?"
            )
            catalog_params += [category, code]
    # Bigram lookups can match text that only holds the bigrams apart: check
    # the term itself for anything longer than two characters, except in
    # tickets the catalog names already prove (a keypad ticket's description
    # often repeats its item's name: 电梯故障).
    long_term = len(term) > 2
    if not long_term:
        ticket_part = "SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?"
        ticket_params: list[object] = [expression]
    else:
        candidates = " EXCEPT ".join(
            ["SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?"]
            + catalog_parts
        )
        ticket_part = (
            f"SELECT t.id FROM ticket AS t WHERE t.id IN ({candidates}) "
            f"AND instr({TICKET_DOC}, ?) > 0"
        )
        ticket_params = [expression, *catalog_params, term]
    # A note's ticket is one lookup in note_ticket; its text (for the check)
    # is read only for a longer term.
    note_doc = "lower(json_extract(e.payload, '$.text') || ' ')"
    note_part = (
        "SELECT m.ticket_id FROM note_search AS n "
        "JOIN note_ticket AS m ON m.event_id = n.rowid "
        "JOIN ticket_event AS e ON e.id = n.rowid "
        f"WHERE note_search MATCH ? AND instr({note_doc}, ?) > 0"
        if long_term
        else "SELECT m.ticket_id FROM note_search AS n "
        "JOIN note_ticket AS m ON m.event_id = n.rowid WHERE note_search MATCH ?"
    )
    parts = [
        ticket_part,
        note_part,
        *catalog_parts,
    ]
    params = [*ticket_params, expression, *([term] if long_term else [])]
    params += catalog_params
    return f" {union} ".join(parts), params


# A ticket number (PHY3-261125-007) or a queue number (B007), whole.
NUMBER_PATTERN = re.compile(r"^(?:[A-Za-z0-9]+-\d{6}-\d{3,}|[A-Za-z]\d{3,})$")


def is_number_lookup(text: str) -> bool:
    """The search is one ticket or queue number: it looks in every tab,
    without the filters (a number names its ticket, whatever its state)."""
    return bool(NUMBER_PATTERN.match(text.strip()))


def _search_parts(
    query: BoardQuery, now: datetime
) -> tuple[str, list[object], str, list[object]]:
    """A search as (the compound SELECT of the ids holding every term, its
    parameters, the conditions on ``ticket`` for the tab and the filters,
    theirs); none of the ids for a search without terms or statuses. The
    tab and filters do not apply to a number (see is_number_lookup)."""
    if is_number_lookup(query.text):
        query = BoardQuery(text=query.text, sort=query.sort)
    terms = [fold(term) for term in query.text.split() if term]
    statuses = _statuses(query)
    if not terms or not statuses:
        return "SELECT NULL WHERE 0", [], "", []
    compound: list[str] = []
    params: list[object] = []
    for term in terms:
        sql, term_params = _term_ids(term)
        compound.append(sql)
        params += term_params
    # Every term must match: the INTERSECT of each term's ids.
    ids = " INTERSECT ".join(f"SELECT * FROM ({sql})" for sql in compound)
    extra, filter_params = _filters(query, now)
    conditions: list[str] = []
    status_params: list[object] = []
    if set(statuses) != set(STATUSES):  # the "all" tab filters nothing
        conditions.append(f"+status IN ({','.join('?' for _ in statuses)})")
        status_params = list(statuses)
    if extra:
        conditions.append(extra)
    return ids, params, " AND ".join(conditions), [*status_params, *filter_params]


def _search_where(query: BoardQuery, now: datetime) -> tuple[str, list[object]]:
    """The WHERE clause (on ``ticket``) of a search: every term matches, the
    tab and the filters hold (not for a number: see is_number_lookup)."""
    ids, params, conditions, condition_params = _search_parts(query, now)
    where = f"id IN ({ids})" + (f" AND {conditions}" if conditions else "")
    return where, [*params, *condition_params]


def search_ids(query: BoardQuery, now: datetime, cap: int = SEARCH_CAP) -> list[int]:
    """Ids of tickets matching every term of ``query.text``, newest first,
    at most ``cap``, with the board filters applied."""
    where, params = _search_where(query, now)
    sql = f"SELECT id FROM ticket WHERE {where} ORDER BY id DESC LIMIT ?"
    return [row[0] for row in database.execute_sql(sql, [*params, cap])]


# Sorted by due time, a search with many matches walks each status's
# (status, due_at) index and keeps the matches it meets, instead of reading
# every match to sort it: chosen while the walk (index entries, each checked
# against the gathered ids) costs less than reading the matches
# (WALK_COST_RATIO index entries cost about one ticket read). Each status's
# walk first goes WALK_SPREAD times as far as the page needs at the matches'
# average density; a status short of its page then walks its whole range,
# or the sort answers when that costs more.
WALK_COST_RATIO = 3
WALK_SPREAD = 4


def _gather(ids: str, params: list[object]) -> int:
    """The matching ids into temp.search_hit (this connection's own, kept
    for its next search): gathered once for the page and its count.
    Returns how many."""
    connection = database.connection()
    connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS search_hit (id INTEGER PRIMARY KEY)"
    )
    connection.execute("DELETE FROM temp.search_hit")
    connection.execute(f"INSERT OR IGNORE INTO temp.search_hit (id) {ids}", params)
    return int(connection.execute("SELECT count(*) FROM temp.search_hit").fetchone()[0])


def _walk(
    walks: dict[str, int],
    order: str,
    wanted: int,
    conditions: str,
    condition_params: list[object],
) -> list[tuple]:
    """Up to ``wanted`` matches per status, in order, from the first
    ``walks[status]`` entries of its (status, due_at) range; each row ends
    with its status."""
    extra = f" AND {conditions}" if conditions else ""
    parts: list[str] = []
    params: list[object] = []
    for status, walk in walks.items():
        parts.append(
            f"SELECT * FROM (SELECT {ROW_COLUMNS}, ? AS arm FROM ticket "
            "WHERE id IN (SELECT walked.id FROM (SELECT id FROM ticket "
            f"WHERE status = ? ORDER BY {order} LIMIT ?) AS walked "
            f"WHERE walked.id IN temp.search_hit){extra} "
            f"ORDER BY {order} LIMIT ?)"
        )
        params += [status, status, walk, *condition_params, wanted]
    return database.execute_sql(" UNION ALL ".join(parts), params).fetchall()


def _walked_by_due(
    query: BoardQuery,
    statuses: tuple[str, ...],
    gathered: int,
    conditions: str,
    condition_params: list[object],
) -> list[tuple] | None:
    """The page of a search sorted by due time, walking the (status, due_at)
    index; None when the sort is the cheaper way."""
    per_status = {
        status: int(count)
        for status, count in database.execute_sql(
            "SELECT status, count FROM ticket_status_count"
        )
    }
    sizes = {status: per_status.get(status, 0) for status in statuses}
    budget = WALK_COST_RATIO * gathered
    wanted = (query.page + 1) * query.page_size + 1
    reach = WALK_SPREAD * wanted * sum(per_status.values()) // gathered + 100
    walks = {status: min(reach, size) for status, size in sizes.items()}
    if sum(walks.values()) > budget:
        return None
    direction = "DESC" if query.descending else "ASC"
    order = f"due_at {direction}, id {direction}"
    rows = _walk(walks, order, wanted, conditions, condition_params)
    found = {status: 0 for status in walks}
    for row in rows:
        found[row[-1]] = found.get(row[-1], 0) + 1
    # A status short of the page before the end of its range may hold
    # matches that come before others on the page: it walks the rest.
    short = {
        status: sizes[status]
        for status, walk in walks.items()
        if found[status] < wanted and walk < sizes[status]
    }
    if short:
        if sum(walks.values()) + sum(short.values()) > budget:
            return None
        rows = [row for row in rows if row[-1] not in short]
        rows += _walk(short, order, wanted, conditions, condition_params)
    rows.sort(key=lambda row: (row[8], row[0]), reverse=query.descending)
    start = query.page * query.page_size
    return [row[:-1] for row in rows[start : start + query.page_size + 1]]


def _newest_ids(query: BoardQuery, limit: int) -> list[int]:
    """The first ``limit`` ids matching every term, newest first (or oldest
    with ``descending`` off), merged from the parts of each term as they
    come in id order: a page by creation time reads only as far as it and
    the capped count need, not every match."""
    terms = [fold(term) for term in query.text.split() if term]
    compounds: list[str] = []
    params: list[object] = []
    for term in terms:
        sql, term_params = _term_ids(term, union="UNION")
        compounds.append(sql)
        params += term_params
    direction = "DESC" if query.descending else "ASC"
    if len(compounds) == 1:
        sql = compounds[0]
    else:
        sql = " INTERSECT ".join(f"SELECT * FROM ({part})" for part in compounds)
    rows = database.execute_sql(
        f"{sql} ORDER BY 1 {direction} LIMIT ?", [*params, limit]
    ).fetchall()
    return [row[0] for row in rows]


def _search_page(query: BoardQuery, now: datetime) -> BoardPage:
    """A page of a search: sorted over every match, any page reachable; the
    count stops at MATCH_COUNT_CAP and says so.

    The matching ids are gathered once, into a temporary table, for both the
    page and its count: gathering them (index lookups, the notes' tickets)
    is most of what a search costs."""
    ids, params, conditions, condition_params = _search_parts(query, now)
    if query.sort == "created" and not conditions and query.text.split():
        return _newest_page(query)
    gathered = _gather(ids, params)
    where = "id IN temp.search_hit" + (f" AND {conditions}" if conditions else "")
    rows: list[tuple] | None = None
    if query.sort == "due" and gathered and not is_number_lookup(query.text):
        rows = _walked_by_due(
            query, _statuses(query), gathered, conditions, condition_params
        )
    if rows is None:
        order, order_params = _order(query)
        rows = database.execute_sql(
            f"SELECT {ROW_COLUMNS} FROM ticket WHERE {where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            [
                *condition_params,
                *order_params,
                query.page_size + 1,
                query.page * query.page_size,
            ],
        ).fetchall()
    board_rows = tuple(BoardRow(*row) for row in rows[: query.page_size])
    has_more = len(rows) > query.page_size
    if not has_more and (board_rows or query.page == 0):
        # The last page: the count is exact without counting.
        matches = query.page * query.page_size + len(board_rows)
        return BoardPage(query, board_rows, has_more, matches, False)
    if conditions:
        count = int(
            database.execute_sql(
                f"SELECT count(*) FROM (SELECT 1 FROM ticket WHERE {where} LIMIT ?)",
                [*condition_params, MATCH_COUNT_CAP + 1],
            ).fetchone()[0]
        )
    else:  # every id gathered is a match
        count = gathered
    capped = count > MATCH_COUNT_CAP
    return BoardPage(query, board_rows, has_more, min(count, MATCH_COUNT_CAP), capped)


def _newest_page(query: BoardQuery) -> BoardPage:
    """A search in every tab without filters, by creation time: its page and
    capped count from the newest (or oldest) matching ids alone."""
    start = query.page * query.page_size
    found = _newest_ids(query, max(MATCH_COUNT_CAP + 1, start + query.page_size + 1))
    page_ids = found[start : start + query.page_size + 1]
    direction = "DESC" if query.descending else "ASC"
    rows = database.execute_sql(
        f"SELECT {ROW_COLUMNS} FROM ticket WHERE id IN "
        f"({','.join('?' for _ in page_ids)}) ORDER BY id {direction}",
        page_ids,
    ).fetchall()
    board_rows = tuple(BoardRow(*row) for row in rows[: query.page_size])
    has_more = len(rows) > query.page_size
    if not has_more and (board_rows or query.page == 0):
        # The last page: the count is exact without counting.
        matches = start + len(board_rows)
        return BoardPage(query, board_rows, has_more, matches, False)
    capped = len(found) > MATCH_COUNT_CAP
    return BoardPage(
        query, board_rows, has_more, min(len(found), MATCH_COUNT_CAP), capped
    )


# -- counts, change marker, detail ----------------------------------------------


def tab_counts() -> dict[str, int]:
    """Tickets per tab, from the trigger-kept per-status counts."""
    per_status = dict(
        database.execute_sql("SELECT status, count FROM ticket_status_count")
    )
    return {
        tab_id: sum(int(per_status.get(status, 0)) for status in statuses)
        for tab_id, _, statuses in TABS
    }


def change_marker() -> tuple[int, int]:
    """(last ticket id, last event id): changes whenever a ticket is issued
    or any event is recorded, by any process."""
    row = database.execute_sql(
        "SELECT (SELECT max(id) FROM ticket), (SELECT max(id) FROM ticket_event)"
    ).fetchone()
    return int(row[0] or 0), int(row[1] or 0)


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    actor: str
    at: str
    payload: dict[str, object]
    origin: str


@dataclass(frozen=True)
class TicketDetail:
    id: int
    uuid: str
    ticket_no: str
    queue_no: str
    category: str
    item: str
    building: str
    description: str
    contact_name: str
    contact_mobile: str
    created_at: str
    status: str
    unit: str
    due_at: str
    print_state: str
    language: str
    timeline: tuple[TimelineEntry, ...] = field(default_factory=tuple)
    # The uuid of the ticket's newest event: an action on this view is
    # refused if the ticket changed since (kiosk.desk, expected_event).
    last_event: str = ""
    # Tickets withdrawn as duplicates of this one (the back-link).
    duplicates: tuple[str, ...] = ()


def ticket_timeline(ticket_uuid: str) -> tuple[TimelineEntry, ...]:
    """A ticket's events in order, payloads decoded (a bad one reads as {})."""
    timeline = []
    for event in (
        TicketEvent.select()
        .where(TicketEvent.ticket == ticket_uuid)
        .order_by(TicketEvent.at, TicketEvent.id)
    ):
        try:
            payload = json.loads(event.payload)
        except ValueError:
            payload = {}
        timeline.append(
            TimelineEntry(
                event.kind,
                event.actor,
                event.at,
                payload if isinstance(payload, dict) else {},
                event.origin,
            )
        )
    return tuple(timeline)


def ticket_detail(ticket_no: str) -> TicketDetail | None:
    ticket = Ticket.get_or_none(Ticket.ticket_no == ticket_no)
    if ticket is None:
        return None
    return TicketDetail(
        id=ticket.id,
        uuid=ticket.uuid,
        ticket_no=ticket.ticket_no,
        queue_no=ticket.queue_no,
        category=ticket.category,
        item=ticket.item,
        building=ticket.building,
        description=ticket.description,
        contact_name=ticket.contact_name or "",
        contact_mobile=ticket.contact_mobile or "",
        created_at=ticket.created_at,
        status=ticket.status,
        unit=ticket.unit,
        due_at=ticket.due_at,
        print_state=ticket.print_state,
        language=ticket.language,
        timeline=ticket_timeline(ticket.uuid),
        last_event=_last_event(ticket.uuid),
        duplicates=duplicates_of(ticket.ticket_no),
    )


@dataclass(frozen=True)
class LikelyOriginal:
    """A recent ticket about the same matter in the same place."""

    ticket_no: str
    queue_no: str
    created_at: str
    status: str
    item: str
    description: str


def likely_originals(ticket_no: str, limit: int = 8) -> tuple[LikelyOriginal, ...]:
    """Tickets that ``ticket_no`` may repeat: the same building and category,
    not withdrawn, newest first (offered when withdrawing a duplicate)."""
    ticket = Ticket.get_or_none(Ticket.ticket_no == ticket_no)
    if ticket is None:
        return ()
    # One (status, building) index range per status that can be an original.
    statuses = [status for status in STATUSES if status != WITHDRAWN]
    parts = " UNION ALL ".join(
        "SELECT * FROM (SELECT id, ticket_no, queue_no, created_at, status, item, "
        "description FROM ticket WHERE status = ? AND building = ? "
        "AND category = ? AND id != ? ORDER BY id DESC LIMIT ?)"
        for _ in statuses
    )
    params: list[object] = []
    for status in statuses:
        params += [status, ticket.building, ticket.category, ticket.id, limit]
    rows = database.execute_sql(
        f"{parts} ORDER BY id DESC LIMIT ?", [*params, limit]
    ).fetchall()
    return tuple(LikelyOriginal(*row[1:]) for row in rows)


def duplicates_of(ticket_no: str) -> tuple[str, ...]:
    """Numbers of the tickets withdrawn as duplicates of ``ticket_no``."""
    rows = database.execute_sql(
        "SELECT t.ticket_no FROM ticket_event AS e "
        "JOIN ticket AS t ON t.uuid = e.ticket_uuid "
        "WHERE e.kind = 'withdrawn' AND json_valid(e.payload) "
        "AND json_extract(e.payload, '$.original') = ? ORDER BY e.id",
        (ticket_no,),
    )
    return tuple(row[0] for row in rows)


def _last_event(ticket_uuid: str) -> str:
    newest = (
        TicketEvent.select(TicketEvent.uuid)
        .where(TicketEvent.ticket == ticket_uuid)
        .order_by(TicketEvent.id.desc())
        .first()
    )
    return str(newest.uuid) if newest is not None else ""


def ticket_token(ticket_no: str) -> str:
    """The ticket's tracking token ('' for no such ticket): what output must
    hide, never show."""
    ticket = Ticket.get_or_none(Ticket.ticket_no == ticket_no)
    return str(ticket.token) if ticket is not None else ""


def time_left(due_at: str, status: str, now: datetime) -> tuple[str, bool]:
    """(text, overdue) for the SLA column: '3h12m', '-1d2h' when overdue."""
    if status not in RUNNING:
        return "—", False
    seconds = int((datetime.fromisoformat(due_at) - now).total_seconds())
    overdue = seconds < 0
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        text = f"{days}d{hours}h"
    elif hours:
        text = f"{hours}h{mins:02d}m"
    else:
        text = f"{mins}m"
    return ("-" + text if overdue else text), overdue
