"""On SQLite the write-ahead log is checkpointed beside the writer, not by it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from central.db import CentralDatabase, parse_target
from central.store.base import run_write


def test_checkpoints_run_in_their_own_thread_and_empty_the_log(
    tmp_path: Path,
) -> None:
    db = CentralDatabase(parse_target(str(tmp_path / "central.db")))
    db.open()
    writer = db.group_writer
    assert writer is not None
    writer.CHECKPOINT_ROWS = 1  # type: ignore[misc]
    checkpointed = threading.Event()
    callers: list[str] = []
    execute_sql = db.database.execute_sql

    def watched(sql: str, *args: Any, **kwargs: Any) -> Any:
        result = execute_sql(sql, *args, **kwargs)
        if "wal_checkpoint" in sql:
            callers.append(threading.current_thread().name)
            checkpointed.set()
        return result

    db.database.execute_sql = watched  # type: ignore[method-assign]

    def count(day: str) -> Any:
        return db.execute(
            "INSERT INTO counter (station, day, value) VALUES ('PHY3', ?, 1)", (day,)
        )

    try:
        run_write(db, lambda: count("2026-01-01"))  # the group writer
        assert checkpointed.wait(60)
        assert callers and set(callers) == {"central-checkpoint"}
        run_write(db, lambda: count("2026-01-02"))
        # Every commit is there, for a new connection too.
        other = CentralDatabase(parse_target(str(tmp_path / "central.db")))
        other.open()
        try:
            assert other.rows("SELECT day FROM counter ORDER BY day") == [
                ("2026-01-01",),
                ("2026-01-02",),
            ]
        finally:
            other.close()
    finally:
        db.database.execute_sql = execute_sql  # type: ignore[method-assign]
        db.close()
