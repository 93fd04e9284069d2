"""The central database: SQLite by default, PostgreSQL by URL; one schema.

Connections come from peewee (one per thread); the few statements on the hot
path are plain SQL written once with ``?`` placeholders and translated for
PostgreSQL. Migrations run on start, under a lock, so several instances
starting at once apply each step once.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import platformdirs
from peewee import Database, PeeweeException, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

from db.migrations import refuse_newer

BUSY_TIMEOUT_MS = 10_000
DEFAULT_POOL = 10  # PostgreSQL connections per instance (serve --db-pool)
POOL_WAIT_SECONDS = 10
DEFAULT_DB_PATH = Path(platformdirs.user_data_dir("station-kiosk-central")) / (
    "central.db"
)
MIGRATION_LOCK_KEY = 0x6B696F736B  # pg_advisory_xact_lock key for migrations
WAL_AUTOCHECKPOINT_PAGES = 10_000
CACHE_KIB = 64 * 1024  # SQLite page cache per connection


class DatabaseError(Exception):
    """The database cannot be opened or used; the message is for people."""


class _MigrationStep:
    def __init__(self, sqlite: Sequence[str], postgres: Sequence[str]) -> None:
        self.sqlite = sqlite
        self.postgres = postgres

    @classmethod
    def from_template(cls, statements: Sequence[str]) -> _MigrationStep:
        """One statement list for both dialects; ``{id}``, ``{real}``,
        ``{bigint}``, ``{tx}`` and ``{clustered}`` stand for what differs."""
        return cls(
            sqlite=tuple(statement.format(**_SQLITE) for statement in statements),
            postgres=tuple(statement.format(**_POSTGRES) for statement in statements),
        )


_SQLITE = {
    "id": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "real": "REAL",
    "bigint": "INTEGER",
    "tx": "INTEGER NOT NULL DEFAULT 0",
    "clustered": " WITHOUT ROWID",  # a table kept in its primary key's order
}
_POSTGRES = {
    "id": "BIGSERIAL PRIMARY KEY",
    "real": "DOUBLE PRECISION",
    "bigint": "BIGINT",
    # The inserting transaction's id, for the pull cursor (see
    # docs/sync-protocol.md, "Why the cursor cannot skip an event").
    "tx": "BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)",
    "clustered": "",
}

UNIT_FACT_RECEIVED = "CREATE INDEX unit_fact_received ON unit_fact (received_us)"
PLACE_DAY_BACKFILL = """INSERT INTO place_day (day, station, category, building,
        tickets)
    SELECT (received_us + 28800000000) / 86400000000, station, category,
           building, count(*)
    FROM ticket_fact WHERE duplicate = 0 AND received_us <> 0
    GROUP BY 1, 2, 3, 4"""


def _facts_step() -> _MigrationStep:
    statements = (
        """CREATE TABLE ticket_fact (
            ticket_uuid TEXT NOT NULL,
            seq {bigint} NOT NULL DEFAULT 0,
            ticket_no TEXT NOT NULL DEFAULT '',
            station TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            item TEXT NOT NULL DEFAULT '',
            building TEXT NOT NULL DEFAULT '',
            unit TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL DEFAULT '',
            received_us {bigint} NOT NULL DEFAULT 0,
            due_us {bigint},
            status TEXT NOT NULL DEFAULT '',
            duplicate INTEGER NOT NULL DEFAULT 0,
            first_action_us {bigint},
            first_dispatch_us {bigint},
            first_check_in_us {bigint},
            resolved_us {bigint},
            called_back INTEGER NOT NULL DEFAULT 0,
            unreachable INTEGER NOT NULL DEFAULT 0,
            rating TEXT NOT NULL DEFAULT '',
            solved INTEGER NOT NULL DEFAULT 0,
            reopened INTEGER NOT NULL DEFAULT 0,
            last_event_us {bigint},
            folded INTEGER NOT NULL DEFAULT 0{fact_order}
        ){clustered}""",
        "CREATE UNIQUE INDEX ticket_fact_ticket ON ticket_fact (ticket_uuid)",
        """CREATE INDEX ticket_fact_received ON ticket_fact
           (received_us, duplicate, category, building)""",
        "CREATE INDEX ticket_fact_last_event ON ticket_fact (last_event_us)",
        """CREATE INDEX ticket_fact_stale ON ticket_fact (ticket_uuid)
           WHERE folded = 0""",
        """CREATE TABLE unit_fact (
            id INTEGER NOT NULL,
            ticket_uuid TEXT NOT NULL,
            station TEXT NOT NULL,
            category TEXT NOT NULL,
            received_us {bigint} NOT NULL,
            duplicate INTEGER NOT NULL,
            kind TEXT NOT NULL,
            unit TEXT NOT NULL,
            at_us {bigint},
            check_in_us {bigint},
            rating TEXT NOT NULL DEFAULT '',
            PRIMARY KEY ({unit_order}ticket_uuid, id)
        ){clustered}""",
        "CREATE INDEX unit_fact_ticket ON unit_fact (ticket_uuid)",
        UNIT_FACT_RECEIVED,
        """INSERT INTO ticket_fact (ticket_uuid, folded)
           SELECT uuid, 0 FROM ticket""",
    )
    sqlite = {
        **_SQLITE,
        "fact_order": ",\n            PRIMARY KEY (received_us, ticket_uuid)",
        "unit_order": "received_us, ",
        "clustered": " WITHOUT ROWID",
    }
    postgres = {
        **_POSTGRES,
        "fact_order": "",
        "unit_order": "",
        "clustered": "",
    }
    return _MigrationStep(
        # SQLite keeps unit_fact in receipt order already.
        sqlite=tuple(
            statement.format(**sqlite)
            for statement in statements
            if statement != UNIT_FACT_RECEIVED
        ),
        postgres=tuple(statement.format(**postgres) for statement in statements),
    )


MIGRATIONS: Sequence[_MigrationStep] = (
    # 1: stations, tickets, the append-only event log, Open311 numbering.
    _MigrationStep.from_template(
        (
            """CREATE TABLE station (
                id {id},
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0
            )""",
            """CREATE TABLE ticket (
                id {id},
                uuid TEXT NOT NULL UNIQUE,
                ticket_no TEXT NOT NULL UNIQUE,
                station TEXT NOT NULL,
                queue_no TEXT NOT NULL DEFAULT '',
                category TEXT NOT NULL,
                item TEXT NOT NULL,
                building TEXT NOT NULL DEFAULT '',
                description TEXT NOT NULL DEFAULT '',
                contact_name TEXT,
                contact_mobile TEXT,
                created_at TEXT NOT NULL,
                created_utc TEXT NOT NULL,
                unit TEXT NOT NULL,
                due_at TEXT NOT NULL,
                token TEXT NOT NULL,
                language TEXT NOT NULL DEFAULT 'zh-CN',
                status TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                source TEXT NOT NULL,
                lat {real},
                lon {real}
            )""",
            "CREATE INDEX ticket_station ON ticket (station)",
            "CREATE INDEX ticket_created_utc ON ticket (created_utc)",
            """CREATE TABLE event (
                id {id},
                tx {tx},
                uuid TEXT NOT NULL UNIQUE,
                ticket_uuid TEXT NOT NULL REFERENCES ticket (uuid),
                ticket_no TEXT NOT NULL,
                station TEXT NOT NULL,
                kind TEXT NOT NULL,
                actor TEXT NOT NULL,
                at TEXT NOT NULL,
                payload TEXT NOT NULL,
                origin TEXT NOT NULL,
                received_at TEXT NOT NULL
            )""",
            "CREATE INDEX event_pull ON event (station, origin, tx, id)",
            "CREATE INDEX event_ticket ON event (ticket_uuid, id)",
            """CREATE TABLE counter (
                station TEXT NOT NULL,
                day TEXT NOT NULL,
                value {bigint} NOT NULL,
                PRIMARY KEY (station, day)
            )""",
        )
    ),
    # 2: a ticket's events are found by its number, not its uuid. Numbers
    # grow in order, so a push's new events land together at the end of the
    # index instead of on a random page each (uuids): on SQLite, where every
    # commit rewrites each page it touched, that was a third of a push's
    # writes. An event's ticket_no is always its ticket's (central/store/push.py
    # checks).
    _MigrationStep.from_template(
        (
            "CREATE INDEX event_ticket_no ON event (ticket_no, id)",
            "DROP INDEX event_ticket",
        )
    ),
    # 3: the audit log of what operators did to keys (central/store/audit.py).
    _MigrationStep.from_template(
        (
            """CREATE TABLE audit (
                id {id},
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL DEFAULT ''
            )""",
        )
    ),
    # 4: Open311 clients' own keys, each filing for one station
    # (central/store/open311_keys.py).
    _MigrationStep.from_template(
        (
            """CREATE TABLE open311_key (
                id {id},
                station TEXT NOT NULL,
                name TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                disabled INTEGER NOT NULL DEFAULT 0
            )""",
        )
    ),
    # Retention (central/store/privacy.py): when a ticket's contact details
    # were erased, by `kiosk-central privacy purge` or a station's `purged`
    # event; the purge looks only at ended tickets not yet purged.
    _MigrationStep.from_template(
        (
            "ALTER TABLE ticket ADD COLUMN purged_at TEXT",
            "CREATE INDEX ticket_unpurged ON ticket (status) WHERE purged_at IS NULL",
        )
    ),
    # A public id per ticket for Open311, random and not sequential
    # (ticket numbers count up, so anything shown by number can be read for
    # every ticket by counting; docs/open311-public.md). Tickets already
    # stored get one here; new ones get one as they are written
    # (central/store/rows.py, PUBLIC_ID_BYTES).
    _MigrationStep(
        sqlite=(
            "ALTER TABLE ticket ADD COLUMN public_id TEXT",
            "UPDATE ticket SET public_id = lower(hex(randomblob(10)))",
            "CREATE UNIQUE INDEX ticket_public_id ON ticket (public_id)",
        ),
        postgres=(
            "ALTER TABLE ticket ADD COLUMN public_id TEXT",
            # gen_random_uuid() draws from the server's strong random source;
            # 20 hex digits of its digest are 80 random bits, as in Python.
            "UPDATE ticket SET public_id = substr(md5(gen_random_uuid()::text), 1, 20)",
            "ALTER TABLE ticket ALTER COLUMN public_id SET NOT NULL",
            "CREATE UNIQUE INDEX ticket_public_id ON ticket (public_id)",
        ),
    ),
    # Each ticket's facts for the reports (kiosk/report_facts.py), folded
    # from its events where they are stored (central/store/rows.py) and
    # summed in SQL. Every existing ticket is marked to be folded
    # (folded = 0); the first report folds what is marked. On SQLite both
    # tables are kept in order of receipt (WITHOUT ROWID): a month's rows
    # are read in one run of pages.
    _facts_step(),
    # A resident's description as Open311 shows it to anyone: set only when
    # the resident said yes at the kiosk (the received event's
    # ``publish_description``), and cleaned of phone and id numbers and the
    # contact's name as it is stored (central/store/rows.py); empty
    # otherwise (docs/open311-public.md).
    _MigrationStep.from_template(
        ("ALTER TABLE ticket ADD COLUMN public_description TEXT NOT NULL DEFAULT ''",)
    ),
    # The tickets per day and place (kiosk/report_facts.py, place_day),
    # duplicates left out, kept with the facts: the hot spots' earlier
    # months are counted from days, not tickets. A day runs from midnight
    # at UTC+8 (28,800,000,000 us past UTC midnight; 86,400,000,000 us
    # long). Filled here from the facts as they stand; a ticket only marked
    # (received_us 0) is counted when it is folded.
    _MigrationStep.from_template(
        (
            """CREATE TABLE place_day (
                day INTEGER NOT NULL,
                station TEXT NOT NULL,
                category TEXT NOT NULL,
                building TEXT NOT NULL,
                tickets INTEGER NOT NULL,
                PRIMARY KEY (day, category, building, station)
            ){clustered}""",
            PLACE_DAY_BACKFILL,
        )
    ),
    # The indexes a report's reads take: a hot spot's most recent tickets by
    # station, category and building (duplicates left out), the tickets
    # without a first action, and the tickets by status. (The central keeps
    # no report_day: it sums the month's facts, docs/reports.md.)
    _MigrationStep.from_template(
        (
            """CREATE INDEX IF NOT EXISTS ticket_fact_spot ON ticket_fact
               (station, category, building, received_us, ticket_uuid)
               WHERE duplicate = 0""",
            """CREATE INDEX IF NOT EXISTS ticket_fact_unacted ON ticket_fact
               (received_us)
               WHERE first_action_us IS NULL""",
            """CREATE INDEX IF NOT EXISTS ticket_fact_status ON ticket_fact
               (status, received_us)""",
        )
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class DatabaseTarget:
    """Where the data lives, parsed from ``--db``."""

    kind: str  # "sqlite" or "postgresql"
    path: Path | None = None
    dsn: dict[str, Any] | None = None

    def describe(self) -> str:
        """For messages: the target without any password."""
        if self.kind == "sqlite":
            assert self.path is not None
            return f"sqlite://{self.path.absolute()}"
        dsn = self.dsn or {}
        return (
            f"postgresql://{dsn.get('user') or ''}@{dsn.get('host') or ''}:"
            f"{dsn.get('port') or 5432}/{dsn.get('database')}"
        )


def parse_target(url: str | None) -> DatabaseTarget:
    """``postgresql://user@host:port/db``, ``sqlite:///path`` or a file path."""
    if not url:
        return DatabaseTarget("sqlite", path=DEFAULT_DB_PATH)
    if url.startswith(("postgresql://", "postgres://")):
        parsed = urlparse(url)
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise DatabaseError(f"--db {url!r}: name the database after the host")
        dsn: dict[str, Any] = {"database": name}
        if parsed.hostname:
            dsn["host"] = parsed.hostname
        if parsed.port:
            dsn["port"] = parsed.port
        if parsed.username:
            dsn["user"] = unquote(parsed.username)
        if parsed.password:
            dsn["password"] = unquote(parsed.password)
        return DatabaseTarget("postgresql", dsn=dsn)
    if url.startswith("sqlite:///"):
        return DatabaseTarget("sqlite", path=Path(url.removeprefix("sqlite://")))
    if "://" in url:
        raise DatabaseError(
            f"--db {url!r}: use postgresql://user@host:port/name, "
            "sqlite:///path or a file path"
        )
    return DatabaseTarget("sqlite", path=Path(url))


class _Job:
    def __init__(self, work: Callable[[], Any], rows: int) -> None:
        self.work = work
        self.rows = rows
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class GroupWriter:
    """SQLite writes through one thread, many requests per commit (group commit).

    Each request runs in its own savepoint, so one request's refusal rolls
    back only its own writes; the commit (and its fsync, synchronous=FULL) is
    shared by every request waiting at that moment. A caller returns only
    after the commit that holds its writes: nothing is acknowledged before it
    is durable.
    """

    MAX_GROUP = 64
    # Rows written between two checkpoints: about as often as SQLite's own
    # default (1000 WAL pages) for the pushes a central sees.
    CHECKPOINT_ROWS = 1000
    # A job of this many rows or more is large: a backlog's batch, tens of
    # milliseconds of writing. Small jobs waiting behind one go first, in a
    # group of their own, so that one station catching up does not add its
    # batches' time to every other station's push; but only once in a row,
    # so that a stream of small jobs cannot hold a large one back for good.
    LARGE_JOB_ROWS = 500

    def __init__(self, database: Database) -> None:
        self.database = database
        self.checkpointed_at = 0
        self.pending: list[_Job] = []
        self.jumped = False  # the last group went ahead of a large job
        self.condition = threading.Condition()
        self.thread: threading.Thread | None = None
        self.checkpoint_due = threading.Event()
        self.checkpointer: threading.Thread | None = None

    def run(self, work: Callable[[], Any], rows: int = 1) -> Any:
        """Run ``work`` in the next group; ``rows`` is about how many rows it
        writes (see LARGE_JOB_ROWS)."""
        job = _Job(work, rows)
        with self.condition:
            self.pending.append(job)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._loop, name="central-writer", daemon=True
                )
                self.thread.start()
            self.condition.notify()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _loop(self) -> None:
        while True:
            with self.condition:
                while not self.pending:
                    self.condition.wait()
                group = self._next_group()
            try:
                with self.database.atomic("IMMEDIATE"):
                    for job in group:
                        try:
                            with self.database.atomic():  # a savepoint
                                job.result = job.work()
                        except Exception as error:  # noqa: BLE001 - handed back
                            job.error = error
            except Exception as error:  # noqa: BLE001 - the commit failed
                for job in group:
                    job.error = error
                    job.result = None
                try:
                    self.database.close()
                except PeeweeException:
                    pass
            for job in group:
                job.done.set()
            self._checkpoint_if_due()

    def _next_group(self) -> list[_Job]:
        """Take the next group off ``pending`` (under the condition's lock)."""
        small = [job for job in self.pending if job.rows < self.LARGE_JOB_ROWS]
        if not self.jumped and small and len(small) < len(self.pending):
            group = small[: self.MAX_GROUP]
            taken = set(map(id, group))
            self.pending = [job for job in self.pending if id(job) not in taken]
            self.jumped = True
            return group
        group = self.pending[: self.MAX_GROUP]
        del self.pending[: self.MAX_GROUP]
        self.jumped = False
        return group

    def _checkpoint_if_due(self) -> None:
        """Have the write-ahead log copied back into the database file once
        enough rows were written since the last time.

        SQLite's automatic checkpoint runs inside the commit that crosses its
        threshold, so every push of that group would wait for it; and one run
        by the writer between two groups holds up the next group as long
        (10-40 ms a push while a backlog drains, growing with the event uuid
        index, every page of which a large push touches). So a checkpoint
        thread does it, on its own connection, while the writer goes on: in
        WAL mode a checkpoint runs beside a writer. ``wal_autocheckpoint``
        stays, raised, as a safety net.
        """
        try:
            changes = self.database.connection().total_changes
        except (PeeweeException, sqlite3.Error):
            return
        if changes < self.checkpointed_at:  # a new connection
            self.checkpointed_at = 0
        if changes - self.checkpointed_at < self.CHECKPOINT_ROWS:
            return
        self.checkpointed_at = changes
        if self.checkpointer is None or not self.checkpointer.is_alive():
            self.checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="central-checkpoint", daemon=True
            )
            self.checkpointer.start()
        self.checkpoint_due.set()

    def _checkpoint_loop(self) -> None:
        while True:
            self.checkpoint_due.wait()
            self.checkpoint_due.clear()
            try:
                # PASSIVE: never waits for a reader or the writer; frames
                # committed meanwhile are left for the next time.
                self.database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except (PeeweeException, sqlite3.Error):
                # The next request tries again; SQLite's own checkpoint still
                # runs. A broken connection is opened anew next time.
                try:
                    self.database.close()
                except PeeweeException:
                    pass


class CentralDatabase:
    """One peewee database plus the dialect details the store needs."""

    def __init__(self, target: DatabaseTarget, pool_size: int = DEFAULT_POOL) -> None:
        self.target = target
        self.is_postgres = target.kind == "postgresql"
        # SQLite takes one writer at a time; waiting on an in-process lock is
        # fairer and faster than SQLite's sleeping busy handler. Other
        # processes on the same file still wait on the busy timeout.
        self.write_lock = threading.Lock()
        self.group_writer: GroupWriter | None = None
        self.last_used = time.monotonic()  # by a request, not by a health ping
        self.database: Database
        if self.is_postgres:
            dsn = dict(target.dsn or {})
            # At most pool_size connections: a request thread takes one for a
            # transaction and gives it back (store/base.py, guarded); one
            # more waits up to POOL_WAIT_SECONDS, then the request gets 503.
            self.database = PooledPostgresqlDatabase(
                dsn.pop("database"),
                max_connections=pool_size,
                timeout=POOL_WAIT_SECONDS,
                autoconnect=True,
                connect_timeout=5,
                **dsn,
            )
        else:
            assert target.path is not None
            self.database = SqliteDatabase(
                str(target.path),
                pragmas=[
                    ("journal_mode", "wal"),
                    ("synchronous", "full"),
                    ("foreign_keys", 1),
                    ("busy_timeout", BUSY_TIMEOUT_MS),
                    # The writer checkpoints after answering (GroupWriter);
                    # this is SQLite's own, in-commit checkpoint, kept only
                    # as a safety net.
                    ("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES),
                    # Keep the hot index pages in memory.
                    ("cache_size", -CACHE_KIB),
                ],
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
            )
            self.group_writer = GroupWriter(self.database)

    def open(self) -> None:
        """Connect and migrate; DatabaseError with a plain message on failure."""
        try:
            if not self.is_postgres:
                assert self.target.path is not None
                _owner_only(self.target.path)
            self.database.connect(reuse_if_open=True)
            migrate(self)
            self.release()
        except (PeeweeException, sqlite3.Error, OSError, RuntimeError) as error:
            self.database.close()
            raise DatabaseError(
                f"cannot open the central database {self.target.describe()}: "
                f"{_first_line(error)}"
            ) from error

    def sql(self, statement: str) -> str:
        return statement.replace("?", "%s") if self.is_postgres else statement

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.database.execute_sql(self.sql(statement), params)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.execute(statement, params).fetchall())

    def dict_rows(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[dict[str, Any]]:
        cursor = self.execute(statement, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE on SQLite)."""
        if self.is_postgres:
            with self.database.atomic():
                yield
        else:
            with self.write_lock, self.database.atomic("IMMEDIATE"):
                yield

    @contextmanager
    def read(self) -> Iterator[None]:
        """A consistent read: one transaction."""
        with self.database.atomic():
            yield

    def release(self) -> None:
        """Give this thread's PostgreSQL connection back to the pool (outside
        a transaction only; SQLite keeps its connections)."""
        database = self.database
        if (
            self.is_postgres
            and not database.is_closed()
            and not database.in_transaction()
        ):
            database.close()

    def close_idle(self, idle_seconds: float) -> None:
        """Close the pool's unused connections once no request has used the
        database for ``idle_seconds``: a burst's connections go back to the
        server."""
        if self.is_postgres and time.monotonic() - self.last_used > idle_seconds:
            assert isinstance(self.database, PooledPostgresqlDatabase)
            self.database.close_idle()

    def recover(self) -> None:
        """Drop this thread's connection after a connection-level failure."""
        try:
            self.database.close()
        except PeeweeException:
            pass

    def close(self) -> None:
        self.database.close()


def _owner_only(path: Path) -> None:
    """Make the SQLite file (it holds residents' contact details) readable by
    its owner only, creating it and its folder so; SQLite gives the -wal and
    -shm files the database file's mode. A file another user owns is left
    as it is."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            found = name.stat()
        except FileNotFoundError:
            continue
        if found.st_uid == os.getuid() and found.st_mode & 0o077:
            name.chmod(stat.S_IMODE(found.st_mode) & 0o700)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _schema_version(db: CentralDatabase) -> int:
    db.execute(
        "CREATE TABLE IF NOT EXISTS central_meta "
        "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    )
    row = db.rows("SELECT value FROM central_meta WHERE key = 'schema_version'")
    return int(row[0][0]) if row else 0


def migrate(db: CentralDatabase) -> int:
    """Bring the schema up to date; returns the version it started from."""
    with db.write():
        if db.is_postgres:
            db.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK_KEY,))
        start = _schema_version(db)
        refuse_newer(start, SCHEMA_VERSION)
        for version in range(start + 1, SCHEMA_VERSION + 1):
            step = MIGRATIONS[version - 1]
            for statement in step.postgres if db.is_postgres else step.sqlite:
                db.execute(statement)
        if start < SCHEMA_VERSION:
            db.execute(
                "DELETE FROM central_meta WHERE key = 'schema_version'",
            )
            db.execute(
                "INSERT INTO central_meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
    return start
