"""Opening the station database: WAL, full sync, foreign keys, busy timeout."""

from __future__ import annotations

import os
import sqlite3
import time
from contextlib import AbstractContextManager
from pathlib import Path

from peewee import PeeweeException, SqliteDatabase

from db.files import (
    BUSY_TIMEOUT_MS,
    DATABASE_PROBLEMS,
    DatabaseUnavailable,
    describe_database_error,
    is_busy,
    make_owner_only,
    make_private_folder,
)
from db.migrations import SCHEMA_VERSION, migrate, schema_version
from db.models import database

# Kept here too, where callers have always found them.
__all__ = [
    "BUSY_TIMEOUT_MS",
    "DATABASE_PROBLEMS",
    "DatabaseUnavailable",
    "describe_database_error",
    "is_busy",
    "make_owner_only",
    "make_private_folder",
    "open_database",
    "upgrade",
    "write_transaction",
]


def _pragmas(busy_timeout_ms: int) -> list[tuple[str, object]]:
    return [
        ("journal_mode", "wal"),
        ("synchronous", "full"),
        ("foreign_keys", 1),
        ("busy_timeout", busy_timeout_ms),
    ]


def open_database(
    path: Path | str,
    *,
    create_dirs: bool = True,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
) -> SqliteDatabase:
    """Open (and migrate) the SQLite file at ``path`` and bind the models to it.

    Raises DatabaseUnavailable with a plain message for any failure.
    """
    path = Path(path)
    try:
        if create_dirs:
            make_private_folder(path.parent)
        elif not path.parent.is_dir():
            raise DatabaseUnavailable(
                f"the folder {path.parent} does not exist",
                f"文件夹 {path.parent} 不存在，请联系管理员",
            )
    except OSError as error:
        raise DatabaseUnavailable(
            f"cannot create the folder {path.parent}: {error.strerror}",
            f"无法创建文件夹 {path.parent}（{error.strerror}），请联系管理员",
        ) from error
    try:
        make_owner_only(path)
    except OSError as error:
        raise DatabaseUnavailable(
            f"cannot create the station database {path}: {error.strerror}",
            f"无法创建数据库 {path}（{error.strerror}），请联系管理员",
        ) from error
    sqlite_database = SqliteDatabase(
        str(path),
        pragmas=_pragmas(busy_timeout_ms),
        timeout=busy_timeout_ms / 1000,
        check_same_thread=False,
    )
    try:
        sqlite_database.connect(reuse_if_open=True)
        database.initialize(sqlite_database)
        upgrade(sqlite_database, path)
    except (PeeweeException, sqlite3.Error, RuntimeError) as error:
        sqlite_database.close()
        raise DatabaseUnavailable(
            describe_database_error(error, path),
            describe_database_error(error, path, language="zh-CN"),
        ) from error
    return sqlite_database


def upgrade(sqlite_database: SqliteDatabase, path: Path) -> Path | None:
    """Migrate, taking a copy first when a database with data is upgraded.

    The copy (``<name>.before-v<N>-<time>``, owner-only, made with VACUUM INTO)
    is taken under the write lock, so it is the database as the older program
    left it. The migration itself is one transaction: if it fails, nothing
    of it stays and the older program can run on. Returns the copy's path.
    """
    copy = None
    with sqlite_database.atomic("IMMEDIATE"):
        found = schema_version(sqlite_database)
        if 1 <= found < SCHEMA_VERSION:
            copy = _copy_before_upgrade(path, found)
        migrate(sqlite_database)
    return copy


def _copy_before_upgrade(path: Path, version: int) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    copy = path.with_name(f"{path.name}.before-v{version}-{stamp}")
    # Owner-only from the first moment: it holds residents' data.
    os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    reader = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        reader.execute("VACUUM INTO ?", (str(copy),))
    except sqlite3.Error:
        copy.unlink(missing_ok=True)
        raise
    finally:
        reader.close()
    return copy


def write_transaction() -> AbstractContextManager[object]:
    """A write transaction that takes the write lock up front (BEGIN IMMEDIATE).

    Taking the lock at BEGIN means a busy database waits on the busy timeout
    instead of failing half-way with SQLITE_BUSY on a lock upgrade.
    """
    return database.atomic("IMMEDIATE")
