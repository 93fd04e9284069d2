"""Writing many tickets at once (``kiosk demo load``, ``kiosk import``).

Row by row, the search index's triggers (migration 3: ``ticket_search_insert``,
``note_search_insert``; and ``note_ticket_insert``, each note's ticket) cost
more than the rows themselves. ``deferred_index``
lifts them for one write transaction and indexes the transaction's new rows
in one statement per index as it ends, then puts the triggers back, all
inside that transaction: no other connection ever sees the triggers missing,
and a load that fails or is killed rolls back with them in place.

``lifted_triggers`` drops triggers for one write transaction whose work the
bulk writer does itself, once per batch: the report facts' stale mark on
each event (the writer folds the batch's facts), the status counts on each
ticket (the writer adds the batch's counts), or the search index's (the
writer indexes the batch's tickets in one statement, and inserts each
note's ``search_grams``, made with the rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import lru_cache

SEARCH_TRIGGERS = ("ticket_search_insert", "note_search_insert", "note_ticket_insert")
FACTS_TRIGGER = "ticket_fact_stale_on_event"
STATUS_COUNT_TRIGGER = "ticket_status_count_insert"
# The triggers' own statements, over every row after a given id.
_INDEX_TICKETS = """INSERT INTO ticket_search (rowid, grams)
    SELECT t.id, (
      SELECT group_concat(DISTINCT hex(substr(d.doc, s.n, 2)))
      FROM (SELECT lower(t.ticket_no || ' ' || t.queue_no || ' '
            || t.building || ' ' || t.description || ' ') AS doc) AS d,
           search_seq AS s
      WHERE s.n < length(d.doc)
    ) FROM ticket AS t WHERE t.id > ?"""
_INDEX_NOTES = """INSERT INTO note_search (rowid, grams)
    SELECT e.id, (
      SELECT group_concat(DISTINCT hex(substr(d.doc, s.n, 2)))
      FROM (SELECT lower(json_extract(e.payload, '$.text') || ' ') AS doc) AS d,
           search_seq AS s
      WHERE s.n < length(d.doc)
    ) FROM ticket_event AS e
    WHERE e.id > ? AND e.kind <> 'received' AND json_valid(e.payload)
      AND json_type(e.payload, '$.text') = 'text'"""

_INDEX_NOTE_TICKETS = """INSERT OR IGNORE INTO note_ticket (event_id, ticket_id)
    SELECT e.id, t.id FROM ticket_event AS e JOIN ticket AS t ON t.uuid = e.ticket_uuid
    WHERE e.id > ? AND e.kind <> 'received' AND json_valid(e.payload)
      AND json_type(e.payload, '$.text') = 'text'"""


SEARCH_SEQ_LENGTH = 1200  # the rows of search_seq: the bigrams a text can have
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def search_grams(text: str) -> str:
    """What the search triggers index for ``text`` (the ticket's number,
    queue number, building and description joined by spaces, or a note's
    text, each with a space after it): its distinct character bigrams,
    lower-cased as SQLite's lower() does (ASCII only), as upper-case hex of
    their UTF-8, joined by commas, in order of first appearance."""
    folded = text.translate(_ASCII_LOWER)
    last = min(len(folded) - 1, SEARCH_SEQ_LENGTH)
    bigrams = dict.fromkeys(map(str.__add__, folded[:last], folded[1 : last + 1]))
    return ",".join(map(_hex, bigrams))


@lru_cache(maxsize=1 << 16)
def _hex(bigram: str) -> str:
    return bigram.encode().hex().upper()


def index_tickets_after(connection: sqlite3.Connection, last_id: int) -> None:
    """Index every ticket after id ``last_id`` as its trigger would have."""
    connection.execute(_INDEX_TICKETS, (last_id,))


def map_notes_after(connection: sqlite3.Connection, last_event_id: int) -> None:
    """Map every note after event id ``last_event_id`` to its ticket
    (``note_ticket``), as its trigger would have."""
    connection.execute(_INDEX_NOTE_TICKETS, (last_event_id,))


@contextmanager
def deferred_index(connection: sqlite3.Connection) -> Iterator[None]:
    """Inside a write transaction: the tickets and events inserted in the
    block are indexed at its end, in bulk, as the triggers would have."""
    triggers = dict(
        connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            f"AND name IN ({', '.join('?' * len(SEARCH_TRIGGERS))})",
            SEARCH_TRIGGERS,
        ).fetchall()
    )
    last_ticket, last_event = connection.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM ticket), "
        "(SELECT coalesce(max(id), 0) FROM ticket_event)"
    ).fetchone()
    for name in triggers:
        connection.execute(f"DROP TRIGGER {name}")
    yield
    if "ticket_search_insert" in triggers:
        index_tickets_after(connection, last_ticket)
    if "note_search_insert" in triggers:
        connection.execute(_INDEX_NOTES, (last_event,))
    if "note_ticket_insert" in triggers:
        map_notes_after(connection, last_event)
    for statement in triggers.values():
        connection.execute(statement)


@contextmanager
def lifted_triggers(
    connection: sqlite3.Connection, names: Collection[str]
) -> Iterator[set[str]]:
    """Inside a write transaction: the named triggers are dropped for the
    block and put back as it ends; a block that fails rolls back with them
    in place. Yields the names of those that were there."""
    triggers = dict(
        connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            f"AND name IN ({', '.join('?' * len(names))})",
            tuple(names),
        ).fetchall()
    )
    for name in triggers:
        connection.execute(f"DROP TRIGGER {name}")
    yield set(triggers)
    for statement in triggers.values():
        connection.execute(statement)
