"""Putting a backup back: checked first, the replaced file kept beside it.

``restore_backup`` refuses a backup that fails its checks (integrity, schema,
station), refuses while another process has the station database open (seen
in /proc: the kiosk, the staff terminal, sync), and refuses to lose events
that never reached the central: events still in the outbox of the database
being replaced and absent from the backup would be lost, so it stops and says
to run ``kiosk sync --once`` first (``force`` restores anyway).

After a restore the outbox is the backup's: events sent since the backup was
taken are unsent again and go once more; the central stores each event once,
so they are counted once. The daily counters keep the highest numbers either
file had, so a ticket number issued after the backup is never issued twice.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.backup import (
    ENCRYPTED_SUFFIXES,
    STAMP_FORMAT,
    STATION_KEY,
    TAKEN_AT_KEY,
    BackupCheck,
    BackupError,
    check_backup,
)
from kiosk.config import Settings

SIDE_FILES = ("-wal", "-shm")


class RestoreError(BackupError):
    """The backup was not put back; the message says why and what to do."""


@dataclass(frozen=True)
class RestoreResult:
    check: BackupCheck
    replaced: Path | None  # where the database it replaced now is
    counters_kept: int  # daily counters raised to the replaced file's numbers
    replaced_unreadable: str | None  # why the replaced file could not be read

    def as_dict(self) -> dict[str, object]:
        return {
            "restored": str(self.check.path),
            "replaced": str(self.replaced) if self.replaced else None,
            "tickets": self.check.tickets,
            "events": self.check.events,
            "events_to_send": self.check.pending_events,
            "counters_kept": self.counters_kept,
            "replaced_unreadable": self.replaced_unreadable,
        }


def processes_using(path: Path) -> list[int]:
    """Other processes with the database (or its WAL) open, as /proc shows
    them to this user."""
    targets = {str(path.resolve())} | {
        str(path.resolve()) + suffix for suffix in SIDE_FILES
    }
    found = set()
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for descriptor in (entry / "fd").iterdir():
                try:
                    if os.readlink(descriptor) in targets:
                        found.add(int(entry.name))
                        break
                except OSError:
                    continue
        except OSError:  # gone, or not ours to see
            continue
    return sorted(found)


def _unsent_missing_from(
    current: sqlite3.Connection, backup: Path
) -> tuple[int, list[tuple[str, str, str, int]]]:
    """Events of the current database not yet sent and not in the backup, and
    the current daily counters."""
    current.execute("ATTACH DATABASE ? AS restored", (f"file:{backup}?mode=ro",))
    try:
        unsent = int(
            current.execute(
                """SELECT count(*) FROM main.outbox AS o
                   WHERE o.sent_at IS NULL AND o.event_uuid NOT IN
                     (SELECT uuid FROM restored.ticket_event)"""
            ).fetchone()[0]
        )
    finally:
        current.execute("DETACH DATABASE restored")
    counters = current.execute(
        "SELECT station, day, scope, value FROM daily_counter"
    ).fetchall()
    return unsent, counters


def _read_current(
    database_path: Path, backup: Path
) -> tuple[int, list[tuple[str, str, str, int]], str | None]:
    """What the database being replaced holds that matters; a damaged one
    gives (0, [], why)."""
    try:
        connection = sqlite3.connect(
            f"file:{database_path}", uri=True, timeout=30, isolation_level=None
        )
    except sqlite3.Error as error:
        return 0, [], str(error)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        unsent, counters = _unsent_missing_from(connection, backup)
        return unsent, counters, None
    except sqlite3.Error as error:
        return 0, [], str(error)
    finally:
        connection.close()


def restore_backup(
    settings: Settings,
    backup: Path,
    *,
    force: bool = False,
    now: datetime | None = None,
) -> RestoreResult:
    """Check ``backup`` and put it in place of the station database.

    The caller has closed its own connection to the database. Raises
    BackupError (the backup fails a check) or RestoreError.
    """
    backup = backup.resolve()
    database_path = settings.database_path.resolve()
    if backup.suffix in ENCRYPTED_SUFFIXES:
        tool = (
            "age --decrypt --identity KEYFILE"
            if backup.suffix == ".age"
            else "gpg --decrypt"
        )
        raise RestoreError(
            f"{backup.name} is encrypted: decrypt it where the private key is "
            f"({tool} --output {backup.stem} {backup.name}), bring the .db "
            "file here and restore that"
        )
    check = check_backup(backup, settings.station.code)
    if backup == database_path:
        raise RestoreError("that file is the station database itself")
    holders = processes_using(database_path)
    if holders:
        raise RestoreError(
            "the station database is open in other programs (process "
            f"{', '.join(str(pid) for pid in holders)}): stop the kiosk, the "
            "staff terminals and sync first (systemctl stop kiosk-resident "
            "kiosk-sync), then restore"
        )
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    replaced: Path | None = None
    counters: list[tuple[str, str, str, int]] = []
    unreadable = None
    if database_path.exists():
        unsent, counters, unreadable = _read_current(database_path, backup)
        if unsent and not force:
            raise RestoreError(
                f"{unsent} events in the station database have not reached the "
                "central and are not in this backup: a restore would lose them. "
                "Run kiosk sync --once first, or restore with --force"
            )
        replaced = database_path.with_name(
            f"{database_path.name}.replaced-{moment.strftime(STAMP_FORMAT)}"
        )
        if replaced.exists():
            raise RestoreError(f"{replaced} exists already; try again in a second")
        os.rename(database_path, replaced)
        for suffix in SIDE_FILES:
            side = database_path.with_name(database_path.name + suffix)
            if side.exists():
                os.rename(side, replaced.with_name(replaced.name + suffix))
    try:
        _put_in_place(backup, database_path)
        kept = _settle(database_path, counters)
    except (OSError, sqlite3.Error) as error:
        raise RestoreError(
            f"the restore failed ({error}); the replaced database is at {replaced}"
        ) from error
    return RestoreResult(check, replaced, kept, unreadable)


def _put_in_place(backup: Path, database_path: Path) -> None:
    partial = database_path.with_name(f".{database_path.name}.restoring")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with open(backup, "rb") as reader, open(partial, "wb") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
        writer.flush()
        os.fsync(writer.fileno())
    os.rename(partial, database_path)
    descriptor = os.open(database_path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _settle(
    database_path: Path,
    counters: list[tuple[str, str, str, int]],
) -> int:
    """Back in WAL mode, the backup's stamp gone, the numbers kept."""
    connection = sqlite3.connect(database_path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "DELETE FROM key_value WHERE key IN (?, ?)", (STATION_KEY, TAKEN_AT_KEY)
        )
        raised = 0
        for station, day, scope, value in counters:
            cursor = connection.execute(
                """INSERT INTO daily_counter (station, day, scope, value)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (station, day, scope) DO UPDATE
                   SET value = excluded.value WHERE value < excluded.value""",
                (station, day, scope, value),
            )
            raised += cursor.rowcount
        connection.execute("COMMIT")
        return raised
    finally:
        connection.close()
