"""The station database's file, its folder and its failures, without peewee.

The resident kiosk paints its welcome screen before it imports peewee
(about 20 ms of start-up): it only looks here, with the sqlite3 module,
whether the database is there and current (``is_current``), and opens it
right after the first paint (db/deferred.py).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000


class DatabaseUnavailable(Exception):
    """The database cannot be opened or written; the message is for people,
    in English, and in Chinese for those who read the kiosk's screen."""

    def __init__(self, message: str, chinese: str = "") -> None:
        super().__init__(message)
        self.chinese = chinese or message

    def in_language(self, language: str) -> str:
        return self.chinese if language.startswith("zh") else str(self)


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


def is_current(path: Path, schema_version: int) -> bool:
    """The database at ``path`` exists, is writable, in WAL mode, and has
    ``schema_version``: opening it will change nothing and will not fail for
    anything a quick look can see. Anything else (a new, older, newer or
    damaged file, one that cannot be written) is False, and opening it
    straight away says what is wrong."""
    try:
        if not (os.access(path, os.R_OK | os.W_OK) and os.access(path.parent, os.W_OK)):
            return False
        make_owner_only(path)
        reader = sqlite3.connect(
            f"{path.as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
        try:
            (mode,) = reader.execute("PRAGMA journal_mode").fetchone()
            (version,) = reader.execute("PRAGMA user_version").fetchone()
        finally:
            reader.close()
    except (OSError, sqlite3.Error, ValueError):
        return False
    return str(mode).lower() == "wal" and version == schema_version
