"""The bulk path (kiosk/bulk.py): tickets written many at a time are found by
search exactly as if each had been issued alone, and the search index's
triggers are back in place after every batch, or after a batch that failed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from db import database, write_transaction
from kiosk.bulk import (
    FACTS_TRIGGER,
    SEARCH_TRIGGERS,
    STATUS_COUNT_TRIGGER,
    deferred_index,
    lifted_triggers,
    search_grams,
)
from kiosk.demo import NOTE_TEXTS, load_demo
from kiosk.search import BoardQuery, search_ids
from tests.helpers import FIXED_NOW, HOSTILE_STRINGS, issue

LATER = FIXED_NOW + timedelta(days=1)


def _triggers() -> set[str]:
    rows = database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    ).fetchall()
    return {row[0] for row in rows}


def _holding(word: str) -> set[int]:
    """Tickets whose number, building, description or a note holds ``word``,
    by plain text comparison (no index)."""
    rows = database.execute_sql(
        "SELECT t.id FROM ticket AS t WHERE instr(lower(t.ticket_no || ' ' || "
        "t.queue_no || ' ' || t.building || ' ' || t.description), lower(?)) > 0 "
        "OR EXISTS (SELECT 1 FROM ticket_event AS e WHERE e.ticket_uuid = t.uuid "
        "AND e.kind <> 'received' AND json_valid(e.payload) "
        "AND instr(json_extract(e.payload, '$.text'), ?) > 0)",
        (word, word),
    ).fetchall()
    return {row[0] for row in rows}


def test_demo_tickets_are_found_as_if_issued_one_by_one(settings, station_db):
    before = issue(settings, description="电梯门关不上")
    load_demo(settings, 400, seed=3, now=FIXED_NOW, batch_tickets=150)
    assert _triggers() >= set(SEARCH_TRIGGERS)
    # Demo uuids are canonical version-7 UUIDs, made in the order of the rows.
    for table in ("ticket", "ticket_event"):
        made = [
            row[0]
            for row in database.execute_sql(
                f"SELECT uuid FROM {table} WHERE id > 1 ORDER BY id"
            )
        ]
        assert all(str(uuid.UUID(text)) == text for text in made)
        assert {uuid.UUID(text).version for text in made} == {7}
        assert made == sorted(made)
    words = ["电梯", "楼道", "单元", "老人", "PHY3", NOTE_TEXTS[1][:4], "烟味"]
    for word in words:
        found = set(search_ids(BoardQuery(text=word), LATER, cap=10_000))
        assert found == _holding(word), word
    assert found == set()  # 烟味: in no demo text
    # The triggers index the next ticket issued at the kiosk.
    after = issue(settings, description="楼上有烟味", at=LATER)
    ids = {
        row[0]
        for row in database.execute_sql(
            "SELECT id FROM ticket WHERE uuid IN (?, ?)", (before.uuid, after.uuid)
        )
    }
    assert set(search_ids(BoardQuery(text="烟味"), LATER)) <= ids
    assert len(search_ids(BoardQuery(text="烟味"), LATER)) == 1


def test_a_failed_batch_leaves_the_index_and_its_triggers_as_they_were(
    settings, station_db
):
    issue(settings, description="电梯门关不上")
    connection = database.connection()
    with pytest.raises(RuntimeError), write_transaction(), deferred_index(connection):
        assert not _triggers() & set(SEARCH_TRIGGERS)
        issue_sql = "UPDATE ticket SET description = '漏水' WHERE id = 1"
        connection.execute(issue_sql)
        raise RuntimeError("the batch failed")
    assert _triggers() >= set(SEARCH_TRIGGERS)
    assert len(search_ids(BoardQuery(text="电梯"), LATER)) == 1


def test_a_failed_batch_leaves_the_lifted_triggers_in_place(settings, station_db):
    issue(settings, description="电梯门关不上")
    lifted = {FACTS_TRIGGER, STATUS_COUNT_TRIGGER}
    connection = database.connection()
    with (
        pytest.raises(RuntimeError),
        write_transaction(),
        lifted_triggers(connection, lifted) as dropped,
    ):
        assert dropped == lifted
        assert not _triggers() & lifted
        raise RuntimeError("the batch failed")
    assert _triggers() >= lifted
    with write_transaction(), lifted_triggers(connection, lifted):
        pass
    assert _triggers() >= lifted


def test_search_grams_are_what_the_triggers_index(station_db):
    texts = [
        *HOSTILE_STRINGS,
        "PHY3-261125-001 H012 五巷3号楼 Lift ÄÖ Ünits 电梯坏了 ",
        "x",
        "",
        "长" * 1300 + "尾",  # past the bigrams search_seq numbers
        "ab" * 700 + "CD ",
    ]
    for text in texts:
        if not _storable(text):  # a lone surrogate never reaches the database
            continue
        expected = database.execute_sql(
            "SELECT group_concat(DISTINCT hex(substr(d.doc, s.n, 2))) "
            "FROM (SELECT lower(?) AS doc) AS d, search_seq AS s "
            "WHERE s.n < length(d.doc)",
            (text,),
        ).fetchone()[0]
        assert search_grams(text) == (expected or ""), text


def _storable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
