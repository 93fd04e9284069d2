"""Database work in thread workers, the one way both apps do it.

A worker method decorated with ``database_worker`` runs in a Textual thread
worker on that thread's own database connection. Whatever it raises is
turned into a sentence for a person, logged when it was not a refusal the
domain meant, and posted as the ``failed`` message: failures are handled
here, not in each worker. Workers never touch widgets; they post messages.

Given ``thread`` (a DatabaseThread), the method runs there instead: one
long-lived thread that keeps its connection open, for the write a person
waits on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from textual import work
from textual.message import Message
from textual.message_pump import MessagePump

from db.deferred import open_pending
from db.files import describe_database_error, is_busy
from kiosk.errors import Refused

log = logging.getLogger("screens.workers")

T = TypeVar("T")


class DatabaseThread:
    """One thread that keeps its own database connection open.

    A thread worker opens a connection for each job (connect, the pragmas,
    the schema read) and closes it after; for the write a resident waits on
    after Submit, that was a good part of the wait. Jobs run one at a time,
    in the order given.
    """

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._closed = False

    def start(self) -> None:
        """Open the connection now, ahead of the first job."""
        if not self._closed:
            self._executor.submit(self._connect)

    async def run(self, call: Callable[[], T]) -> T:
        """``call()`` in the thread, on its connection; what it returns or raises."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._connected, call)

    def close(self) -> None:
        """Let the jobs given finish, close the connection, end the thread."""
        if self._closed:
            return
        self._closed = True
        self._executor.submit(self._disconnect)
        self._executor.shutdown(wait=True)

    @staticmethod
    def _connect() -> None:
        try:
            open_pending()  # the kiosk's database opens after its first paint
            # peewee loads with the database (db/deferred.py)
            from db import database

            database.connect(reuse_if_open=True)
        except Exception as error:  # the first job connects again and says why
            log.warning("database connection not opened ahead: %s", error)

    @staticmethod
    def _connected(call: Callable[[], T]) -> T:
        open_pending()
        from db import database  # peewee loads with the database

        database.connect(reuse_if_open=True)
        return call()

    @staticmethod
    def _disconnect() -> None:
        from db import database  # peewee loads with the database

        try:
            database.close()
        except Exception as error:  # closing at exit: nothing left to save
            log.warning("database connection not closed: %s", error)


def reason_for(error: BaseException, language: str = "en") -> str:
    """A sentence for a person about ``error``."""
    if isinstance(error, Refused):
        return str(error)
    return describe_database_error(error, language=language)


def is_transient(error: BaseException) -> bool:
    """The request was fine and the station busy: it may work in a moment."""
    if isinstance(error, Refused):
        return error.transient
    return _is_operational(error) and is_busy(error)


def _is_operational(error: BaseException) -> bool:
    """A database that is busy, full or read-only (not a defect)."""
    # peewee has loaded with the database by the time one of its errors exists
    from peewee import OperationalError

    return isinstance(error, OperationalError | sqlite3.OperationalError)


def database_worker(
    *,
    group: str,
    description: str,
    failed: Callable[[str], Message] | None = None,
    busy: Callable[[str], Message] | None = None,
    exclusive: bool = True,
    language: str = "en",
    thread: Callable[[Any], DatabaseThread] | None = None,
) -> Callable[[Callable[..., None]], Callable[..., Any]]:
    """Run the decorated method in a thread worker, inside a connection.

    On an exception, ``failed(reason)`` is posted (nothing, when ``failed``
    is None: a best-effort read that the next one replaces); when the
    database was only busy and ``busy`` is given, ``busy(reason)`` instead,
    so that the screen can keep what was typed and offer to try again.
    Reasons are worded in ``language`` (the staff terminal: "zh-CN").
    With ``thread``, a function of the worker's owner that gives a
    DatabaseThread, the method runs in that thread on its open connection.
    """

    def report(pump: MessagePump, error: Exception) -> None:
        if _is_operational(error):
            log.warning("%s failed: %s", description, error)  # busy, full
        elif not isinstance(error, Refused):
            log.exception("%s failed", description, exc_info=error)
        reason = reason_for(error, language)
        if busy is not None and is_transient(error):
            pump.post_message(busy(reason))
        elif failed is not None:
            pump.post_message(failed(reason))

    def decorate(method: Callable[..., None]) -> Callable[..., Any]:
        if thread is not None:

            @functools.wraps(method)
            async def run_there(self: MessagePump, *args: Any, **kwargs: Any) -> None:
                try:
                    await thread(self).run(
                        functools.partial(method, self, *args, **kwargs)
                    )
                except Exception as error:  # nobody ever sees a traceback
                    report(self, error)

            return work(
                exclusive=exclusive,
                exit_on_error=False,
                group=group,
                description=description,
            )(run_there)

        @functools.wraps(method)
        def run(self: MessagePump, *args: Any, **kwargs: Any) -> None:
            try:
                # The resident kiosk opens its database after the first
                # paint: a worker started before then waits for it here.
                open_pending()
                # peewee loads with the database (db/deferred.py)
                from db import database

                with database.connection_context():
                    method(self, *args, **kwargs)
            except Exception as error:  # nobody ever sees a traceback
                report(self, error)

        return work(
            thread=True,
            exclusive=exclusive,
            exit_on_error=False,
            group=group,
            description=description,
        )(run)

    return decorate
