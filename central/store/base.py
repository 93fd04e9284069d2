"""Errors, transaction runners with retries, and time helpers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from peewee import IntegrityError, OperationalError, PeeweeException
from playhouse.pool import MaxConnectionsExceeded

from central.db import CentralDatabase
from central.schemas import FieldError
from kiosk.states import TransitionError

DEADLOCK_RETRIES = 5
ZONE = ZoneInfo("Asia/Shanghai")

T = TypeVar("T")


class Rejected(Exception):
    """A request the central refuses; ``status`` is the HTTP status."""

    def __init__(
        self, status: int, detail: str, errors: list[FieldError] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt whole when it comes back from an intake process.
        return (type(self), (self.status, self.detail, self.errors))


class StoreUnavailable(Exception):
    """The database did not answer; the message is for people."""


def now_local() -> datetime:
    return datetime.now(ZONE).replace(microsecond=0)


def utc_text(moment_text: str) -> str:
    """An ISO time as UTC text, so times from any offset sort and compare."""
    moment = datetime.fromisoformat(moment_text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _pgcode(error: BaseException) -> str | None:
    seen: BaseException | None = error
    for _ in range(4):
        if seen is None:
            return None
        code = getattr(seen, "pgcode", None)
        if code:
            return str(code)
        for arg in getattr(seen, "args", ()):
            code = getattr(arg, "pgcode", None)
            if code:
                return str(code)
        seen = seen.__cause__ or seen.__context__
    return None


def run_write(db: CentralDatabase, work: Callable[[], T], rows: int = 1) -> T:
    """Run ``work`` in one write transaction; retry deadlocks, never half-write.

    ``rows``: about how many rows it writes (the SQLite writer lets small
    writes go ahead of a large one).
    """
    if db.group_writer is not None:
        with guarded(db):
            return db.group_writer.run(work, rows)  # type: ignore[no-any-return]
    for attempt in range(DEADLOCK_RETRIES):
        try:
            with guarded(db), db.write():
                return work()
        except StoreUnavailable as error:
            if attempt + 1 < DEADLOCK_RETRIES and _pgcode(error) in ("40P01", "40001"):
                time.sleep(0.005 * (attempt + 1))
                continue
            raise
    raise StoreUnavailable("the database stayed busy; try again")


@contextmanager
def guarded(db: CentralDatabase) -> Iterator[None]:
    """Turn database failures into StoreUnavailable (a 503), never a 500; and
    give a PostgreSQL connection back to the pool when the work is done."""
    db.last_used = time.monotonic()
    try:
        yield
    except (Rejected, TransitionError, LookupError):
        raise
    except IntegrityError as error:
        raise Rejected(409, "the request conflicts with data already stored") from error
    except MaxConnectionsExceeded as error:
        raise StoreUnavailable(
            "every database connection of this instance is busy; try again"
        ) from error
    except (OperationalError, PeeweeException, OSError) as error:
        code = _pgcode(error)
        if code not in ("40P01", "40001"):
            db.recover()
        raise StoreUnavailable("the central database is not answering") from error
    finally:
        db.release()


def run_read(db: CentralDatabase, work: Callable[[], T]) -> T:
    with guarded(db), db.read():
        return work()


def invalid(field: str, message: str, detail: str = "") -> Rejected:
    """A 422 naming one field; ``detail`` defaults to ``field: message``."""
    return Rejected(
        422,
        detail or f"{field}: {message}",
        [FieldError(field=field, message=message)],
    )
