"""Database work in thread workers, the one way both apps do it.

A worker method decorated with ``database_worker`` runs in a Textual thread
worker on that thread's own database connection. Whatever it raises is
turned into a sentence for a person, logged when it was not a refusal the
domain meant, and posted as the ``failed`` message: failures are handled
here, not in each worker. Workers never touch widgets; they post messages.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from textual import work
from textual.message import Message
from textual.message_pump import MessagePump

from db.deferred import open_pending
from db.files import describe_database_error, is_busy
from kiosk.errors import Refused

log = logging.getLogger("screens.workers")


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
) -> Callable[[Callable[..., None]], Callable[..., Any]]:
    """Run the decorated method in a thread worker, inside a connection.

    On an exception, ``failed(reason)`` is posted (nothing, when ``failed``
    is None: a best-effort read that the next one replaces); when the
    database was only busy and ``busy`` is given, ``busy(reason)`` instead,
    so that the screen can keep what was typed and offer to try again.
    Reasons are worded in ``language`` (the staff terminal: "zh-CN").
    """

    def decorate(method: Callable[..., None]) -> Callable[..., Any]:
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
                if _is_operational(error):
                    log.warning("%s failed: %s", description, error)  # busy, full
                elif not isinstance(error, Refused):
                    log.exception("%s failed", description)
                reason = reason_for(error, language)
                if busy is not None and is_transient(error):
                    self.post_message(busy(reason))
                elif failed is not None:
                    self.post_message(failed(reason))

        return work(
            thread=True,
            exclusive=exclusive,
            exit_on_error=False,
            group=group,
            description=description,
        )(run)

    return decorate
