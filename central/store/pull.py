"""A station's pull: cursors and the central events on its tickets."""

from __future__ import annotations

import json
from typing import Any

from central.db import CentralDatabase
from central.schemas import FieldError
from central.store.base import Rejected, run_read
from central.store.rows import CENTRAL_ORIGIN

CURSOR_PREFIX = "c1"


def parse_cursor(text: str | None) -> tuple[int, int]:
    if not text:
        return (-1, 0)
    parts = text.split(".")
    if (
        len(text) > 64
        or len(parts) != 3
        or parts[0] != CURSOR_PREFIX
        or not all(part.isdigit() and len(part) <= 19 for part in parts[1:])
    ):
        raise Rejected(
            422,
            "since: not a cursor this central handed out",
            [FieldError(field="since", message="not a cursor this central handed out")],
        )
    return int(parts[1]), int(parts[2])


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
