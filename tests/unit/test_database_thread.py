"""The thread the resident's tickets are written in (screens/workers.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from peewee import OperationalError

from db import KeyValue, database
from screens.workers import DatabaseThread


def _connection_and_thread() -> tuple[sqlite3.Connection, int]:
    return database.connection(), threading.get_ident()


def test_every_job_runs_on_one_connection_kept_open(station_db: Path) -> None:
    """No job pays for opening a connection (connect, pragmas, the schema)."""
    writer = DatabaseThread("test-writer")

    async def two_jobs() -> list[tuple[sqlite3.Connection, int]]:
        writer.start()
        first = await writer.run(_connection_and_thread)
        second = await writer.run(_connection_and_thread)
        return [first, second]

    try:
        (first, first_thread), (second, second_thread) = asyncio.run(two_jobs())
    finally:
        writer.close()
    assert first is second
    assert first_thread == second_thread != threading.get_ident()
    with pytest.raises(sqlite3.ProgrammingError):  # closed with the thread
        first.execute("SELECT 1")


def test_a_job_given_before_close_is_written(station_db: Path) -> None:
    """Stopping the kiosk waits for the write under way: nothing is lost."""
    writer = DatabaseThread("test-writer")
    started = threading.Event()
    go_on = threading.Event()

    def write() -> None:
        started.set()
        go_on.wait(5)
        KeyValue.create(key="written", value="yes")

    async def give_and_close() -> None:
        job = asyncio.ensure_future(writer.run(write))
        await asyncio.to_thread(started.wait, 5)
        closing = asyncio.ensure_future(asyncio.to_thread(writer.close))
        go_on.set()
        await closing
        await job

    asyncio.run(give_and_close())
    assert KeyValue.get(KeyValue.key == "written").value == "yes"


def test_what_a_job_raises_reaches_the_caller(station_db: Path) -> None:
    writer = DatabaseThread("test-writer")

    def broken() -> None:
        database.execute_sql("SELECT * FROM no_such_table")

    async def run() -> None:
        await writer.run(broken)

    try:
        with pytest.raises(OperationalError, match="no_such_table"):
            asyncio.run(run())
        # and the thread goes on with the next job
        assert asyncio.run(writer.run(lambda: 42)) == 42
    finally:
        writer.close()


def test_starting_or_closing_a_closed_thread_does_nothing(station_db: Path) -> None:
    """The app may stop before its call to start the thread has run."""
    writer = DatabaseThread("test-writer")
    writer.close()
    writer.start()
    writer.close()
