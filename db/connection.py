"""Opening the station database: WAL, full sync, foreign keys, busy timeout."""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from contextlib import AbstractContextManager
from pathlib import Path

from peewee import PeeweeException, SqliteDatabase

from db.migrations import SCHEMA_VERSION, migrate, schema_version
from db.models import database

BUSY_TIMEOUT_MS = 10_000


class DatabaseUnavailable(Exception):
    """The database cannot be opened or written; the message is for people,
    in English, and in Chinese for those who read the kiosk's screen."""

    def __init__(self, message: str, chinese: str = "") -> None:
        super().__init__(message)
        self.chinese = chinese or message

    def in_language(self, language: str) -> str:
        return self.chinese if language.startswith("zh") else str(self)


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


def make_private_folder(folder: Path) -> None:
    """Create the folder of the station's data owner-only (0700); its
    parents as usual. An existing folder is left as it is."""
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)


def make_owner_only(path: Path) -> None:
    """Create the database file owner-only (0600), and take group and other
    rights from an existing one and its -wal and -shm files (ours only).

    SQLite gives the -wal and -shm files it creates the database file's
    rights, so they follow.
    """
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for suffix in ("", "-wal", "-shm"):
        file = Path(f"{path}{suffix}")
        try:
            status = file.stat()
        except FileNotFoundError:
            continue
        if status.st_uid == os.getuid() and stat.S_IMODE(status.st_mode) & 0o077:
            file.chmod(stat.S_IMODE(status.st_mode) & 0o700)


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


# (English, Chinese) for each kind of failure a person may meet.
DATABASE_PROBLEMS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("locked", "busy"),
        "the station database is busy in another program",
        "数据库正忙（另一个程序正在写入），请稍后再试",
    ),
    (
        ("disk is full", "database or disk is full"),
        "the disk holding the station database is full",
        "存放数据库的磁盘已满，请联系管理员",
    ),
    (
        ("readonly", "read-only"),
        "the station database is read-only",
        "数据库只读，无法保存，请联系管理员",
    ),
    (
        ("unable to open",),
        "the station database cannot be opened",
        "无法打开数据库，请联系管理员",
    ),
    (
        ("not a database", "malformed"),
        "the station database file is damaged",
        "数据库文件已损坏，请联系管理员",
    ),
    (
        ("newer than this program",),
        "",  # RuntimeError: its own words (db/migrations.py refuse_newer)
        "数据库来自更新版本的程序，请升级本程序或联系管理员",
    ),
)


def is_busy(error: BaseException) -> bool:
    """The database was busy: trying again later may well work."""
    text = str(error).lower()
    return "locked" in text or "busy" in text


def describe_database_error(
    error: BaseException, path: Path | str | None = None, *, language: str = "en"
) -> str:
    """A sentence for a person about a database failure, in English or
    (``language="zh-CN"``, the staff terminal) in Chinese."""
    text = str(error).lower()
    chinese = language.startswith("zh")
    where = f"（{path}）" if chinese and path else f" ({path})" if path else ""
    for needles, english, zh in DATABASE_PROBLEMS:
        if any(needle in text for needle in needles):
            return f"{zh if chinese else english or str(error)}{where}"
    if isinstance(error, RuntimeError) and not chinese:
        return str(error)
    if chinese:
        return f"数据库出错：{error}{where}"
    return f"the station database failed: {error}{where}"
