"""The SQLite writer's order: small writes go ahead of a large one, once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from central.db import CentralDatabase, GroupWriter, _Job, parse_target
from tests.helpers import wait_until

LARGE = GroupWriter.LARGE_JOB_ROWS


@pytest.fixture
def db(tmp_path: Path) -> Iterator[CentralDatabase]:
    made = CentralDatabase(parse_target(str(tmp_path / "central.db")))
    made.open()
    yield made
    made.close()


def test_small_writes_waiting_behind_a_large_one_go_first(
    db: CentralDatabase,
) -> None:
    writer = db.group_writer
    assert writer is not None
    order: list[str] = []
    release = threading.Event()

    def job(name: str) -> Any:
        def work() -> str:
            if name == "first":
                release.wait(30)  # holds the writer while the others queue
            order.append(name)
            return name

        return work

    results: dict[str, str] = {}

    def submit(name: str, rows: int) -> threading.Thread:
        thread = threading.Thread(
            target=lambda: results.update({name: writer.run(job(name), rows)})
        )
        queued = len(writer.pending)
        thread.start()
        if name != "first":
            wait_until(lambda: len(writer.pending) > queued, 10, f"{name} queued")
        return thread

    threads = [submit("first", 1)]
    wait_until(lambda: not writer.pending, 10, "the first job taken")
    threads += [
        submit("backlog", 2000),
        submit("station-a", 5),
        submit("station-b", 5),
    ]
    release.set()
    for thread in threads:
        thread.join(30)
    assert order == ["first", "station-a", "station-b", "backlog"]
    assert results == {name: name for name in order}


def test_small_writes_go_ahead_only_once_in_a_row(db: CentralDatabase) -> None:
    writer = GroupWriter(db.database)

    def queued(name: str, rows: int) -> _Job:
        made = _Job(lambda: None, rows)
        made.name = name  # type: ignore[attr-defined]
        return made

    def names(group: list[_Job]) -> list[str]:
        return [job.name for job in group]  # type: ignore[attr-defined]

    writer.pending = [queued("L1", LARGE), queued("s1", 1), queued("s2", LARGE - 1)]
    assert names(writer._next_group()) == ["s1", "s2"]
    writer.pending.append(queued("s3", 1))
    # The large job waited once: now it goes, in order, with what came after.
    assert names(writer._next_group()) == ["L1", "s3"]
    writer.pending = [queued("s4", 1), queued("s5", 1)]
    assert names(writer._next_group()) == ["s4", "s5"]
