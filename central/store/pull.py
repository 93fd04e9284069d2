"""A station's pull: cursors and the central events on its tickets."""

from __future__ import annotations

import json
import re
from typing import Any

from central.db import CentralDatabase
from central.store.base import Rejected, invalid, run_read
from central.store.rows import CENTRAL_ORIGIN

CURSOR_PREFIX = "c1"


CURSOR = re.compile(rf"^{CURSOR_PREFIX}\.([0-9]{{1,19}})\.([0-9]{{1,19}})$")
# For the API's description: a cursor, or empty for the start.
CURSOR_PATTERN = rf"^({CURSOR_PREFIX}\.[0-9]{{1,19}}\.[0-9]{{1,19}})?$"
LARGEST_ID = 2**63 - 1  # a signed 64-bit integer, in both databases
START = (0, 0)  # the cursor of an answer with no events, before any was handed out


def _not_handed_out() -> Rejected:
    return invalid("since", "not a cursor this central handed out")


def parse_cursor(text: str | None) -> tuple[int, int]:
    """``(tx, id)`` of a cursor, ``(-1, 0)`` for none; 422 if it is not one."""
    if not text:
        return (-1, 0)
    found = CURSOR.match(text)
    if found is None:
        raise _not_handed_out()
    tx, last_id = int(found[1]), int(found[2])
    if tx > LARGEST_ID or last_id > LARGEST_ID:
        raise _not_handed_out()
    return tx, last_id


def pull_events(
    db: CentralDatabase, station: str, since: str | None, limit: int
) -> dict[str, Any]:
    """Central events on this station's tickets after the cursor."""
    tx, last_id = parse_cursor(since)
    horizon = (
        " AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        if db.is_postgres
        else ""
    )

    def work() -> list[tuple[Any, ...]]:
        # A cursor is the (tx, id) of an event it handed this station (events
        # are never deleted): one look in the pull index tells a made-up one.
        if tx >= 0 and (tx, last_id) != START:
            handed_out = db.rows(
                "SELECT 1 FROM event WHERE station = ? AND origin = ? AND tx = ? "
                "AND id = ?",
                (station, CENTRAL_ORIGIN, tx, last_id),
            )
            if not handed_out:
                raise _not_handed_out()
        return db.rows(
            "SELECT tx, id, uuid, ticket_uuid, ticket_no, station, kind, actor, at, "
            "payload, origin FROM event "
            "WHERE station = ? AND origin = ? AND (tx > ? OR (tx = ? AND id > ?))"
            f"{horizon} ORDER BY tx, id LIMIT ?",
            (station, CENTRAL_ORIGIN, tx, tx, last_id, limit + 1),
        )

    rows = run_read(db, work)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = since or f"{CURSOR_PREFIX}.{max(tx, 0)}.{last_id}"
    if rows:
        cursor = f"{CURSOR_PREFIX}.{rows[-1][0]}.{rows[-1][1]}"
    return {
        "events": [
            {
                "uuid": row[2],
                "ticket_uuid": row[3],
                "ticket_no": row[4],
                "station": row[5],
                "kind": row[6],
                "actor": row[7],
                "at": row[8],
                "payload": json.loads(row[9]),
                "origin": row[10],
            }
            for row in rows
        ],
        "cursor": cursor,
        "more": more,
    }
