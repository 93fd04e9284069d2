"""Backups of the station database: a consistent copy, checked, rotated.

``make_backup`` copies the live database with ``VACUUM INTO`` while the kiosk,
the staff terminal and sync keep writing: the copy is the database as it stood
when the copy's read transaction began (WAL readers never block writers).
The copy is written owner-only under a hidden ``.partial`` name, switched out
of WAL mode, stamped with the station's code, checked (``integrity_check``,
``foreign_key_check``, the schema version, the counts) and only then renamed
to ``<STATION>-<YYYYMMDDTHHMMSSZ>.db``: a file with that name is a checked
backup. The rotation keeps the newest copy of each of the last
``keep_daily`` days, ``keep_weekly`` ISO weeks and ``keep_monthly`` months.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.migrations import SCHEMA_VERSION
from kiosk.config import BackupSettings, Settings
from kiosk.errors import Refused

BACKUP_NAME = re.compile(
    r"^(?P<station>[A-Z][A-Z0-9]{1,7})-(?P<stamp>\d{8}T\d{6}Z)\.db"
    r"(?P<encrypted>\.gpg|\.age)?$"
)
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
ENCRYPTED_SUFFIXES = (".gpg", ".age")
OFFBOX_FOLDER = "offbox"  # in the backup folder: what send_to mirrors, without copy_to
RSYNC_TIMEOUT_SECONDS = 600
STATION_KEY = "backup.station"
TAKEN_AT_KEY = "backup.taken_at"
BUSY_TIMEOUT_SECONDS = 30.0


class BackupError(Refused):
    """A backup could not be made, checked or read; the message says why."""


@dataclass(frozen=True)
class BackupCheck:
    """What a backup file holds, once it has passed the checks."""

    path: Path
    station: str | None
    taken_at: str | None
    schema_version: int
    tickets: int
    events: int
    outbox: int
    pending_events: int
    size_bytes: int

    def as_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "station": self.station,
            "taken_at": self.taken_at,
            "schema_version": self.schema_version,
            "tickets": self.tickets,
            "events": self.events,
            "outbox": self.outbox,
            "pending_events": self.pending_events,
            "size_bytes": self.size_bytes,
            "integrity": "ok",
        }


@dataclass(frozen=True)
class BackupResult:
    check: BackupCheck
    seconds: float
    copied_to: Path | None = None
    removed: tuple[Path, ...] = field(default=())
    sent_to: str | None = None  # the rsync target that mirrors the second folder

    def as_dict(self) -> dict[str, object]:
        return {
            **self.check.as_dict(),
            "seconds": round(self.seconds, 3),
            "copied_to": str(self.copied_to) if self.copied_to else None,
            "removed": [str(path) for path in self.removed],
            "sent_to": self.sent_to,
        }


def _configured_folder(settings: Settings, value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_absolute():
        base = settings.source.parent if settings.source else Path.cwd()
        path = (base / path).resolve()
    return path


def backup_folder(settings: Settings) -> Path:
    """Where backups go: ``[backup] folder``, else ``backups`` beside the database."""
    if settings.backup.folder:
        return _configured_folder(settings, settings.backup.folder)
    return settings.database_path.parent / "backups"


def second_folder(settings: Settings) -> Path | None:
    """The copies that leave the box: ``copy_to``; else, when only
    ``send_to`` is set, ``offbox/`` in the backup folder (what rsync mirrors)."""
    if settings.backup.copy_to:
        return _configured_folder(settings, settings.backup.copy_to)
    if settings.backup.send_to:
        return backup_folder(settings) / OFFBOX_FOLDER
    return None


def _owner_only_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    except OSError as error:
        raise BackupError(
            f"cannot use the backup folder {folder}: {error.strerror}"
        ) from error


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _new_owner_only_file(path: Path) -> None:
    """An empty file readable by its owner only, from the first moment."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _describe(error: BaseException) -> str:
    text = str(error)
    if "disk is full" in text or getattr(error, "errno", None) == 28:
        return "the disk is full"
    return text or type(error).__name__


def make_backup(
    settings: Settings, folder: Path | None = None, now: datetime | None = None
) -> BackupResult:
    """Copy, check and rotate; returns what was made. Raises BackupError."""
    started = time.monotonic()
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    station = settings.station.code
    folder = folder or backup_folder(settings)
    _owner_only_folder(folder)
    name = f"{station}-{moment.strftime(STAMP_FORMAT)}.db"
    final = folder / name
    if final.exists():
        raise BackupError(f"a backup named {final} already exists")
    partial = folder / f".{name}.partial"
    try:
        partial.unlink(missing_ok=True)
        _new_owner_only_file(partial)
        _copy_live_database(settings.database_path, partial)
        _stamp(partial, station, moment)
        check = check_backup(partial, station)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.rename(partial, final)
        _fsync_folder(folder)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup failed: {_describe(error)}") from error
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    check = replace(check, path=final)
    removed = rotate(folder, station, settings.backup, settings)
    copied_to = None
    sent_to = None
    keep = settings.backup
    second = second_folder(settings)
    if keep.age_recipients and keep.encrypt_to:
        raise BackupError(
            f"the backup {final} was made; set either [backup] age_recipients or "
            "encrypt_to (gpg), not both"
        )
    if second is not None and keep.age_recipients:
        copied_to = _age_to_second_folder(final, second, keep)
        removed += rotate(second, station, keep, settings, moment)
    elif second is not None and keep.encrypt_to:
        copied_to = _encrypt_to_second_folder(final, second, keep)
        removed += rotate(second, station, keep, settings, moment)
    elif second is not None:
        copied_to = _copy_to_second_folder(final, second)
        removed += rotate(second, station, keep, settings)
    elif keep.encrypt_to or keep.age_recipients:
        raise BackupError(
            f"the backup {final} was made; [backup] encrypt_to and age_recipients "
            "apply to the copies sent to [backup] copy_to or send_to; neither is set"
        )
    if second is not None and keep.send_to:
        sent_to = _send(second, station, keep.send_to, final.name)
    return BackupResult(check, time.monotonic() - started, copied_to, removed, sent_to)


def _copy_live_database(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"there is no station database at {source}")
    connection = sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        connection.execute("VACUUM INTO ?", (str(target),))
    finally:
        connection.close()


def _stamp(path: Path, station: str, moment: datetime) -> None:
    """The copy stands alone (no WAL beside it) and says whose and when it is."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")
        with connection:
            connection.executemany(
                "INSERT OR REPLACE INTO key_value (key, value) VALUES (?, ?)",
                [(STATION_KEY, station), (TAKEN_AT_KEY, moment.isoformat())],
            )
    finally:
        connection.close()


def _copy_to_second_folder(source: Path, folder: Path) -> Path:
    _owner_only_folder(folder)
    target = folder / source.name
    partial = folder / f".{source.name}.partial"
    try:
        partial.unlink(missing_ok=True)
        _new_owner_only_file(partial)
        with open(source, "rb") as reader, open(partial, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
            writer.flush()
            os.fsync(writer.fileno())
        check_backup(partial, None)
        os.rename(partial, target)
        _fsync_folder(folder)
    except (OSError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"the backup {source.name} was made, but copying it to {folder} "
            f"failed: {_describe(error)}"
        ) from error
    return target


def _encrypt_to_second_folder(
    source: Path, folder: Path, settings: BackupSettings
) -> Path:
    """The copy for the second folder, encrypted with gpg to the recipient."""
    _owner_only_folder(folder)
    target = folder / f"{source.name}.gpg"
    partial = folder / f".{target.name}.partial"
    command = ["gpg", "--batch", "--yes", "--quiet", "--trust-model", "always"]
    command += ["--recipient", settings.encrypt_to, "--output", str(partial)]
    try:
        partial.unlink(missing_ok=True)
        done = subprocess.run(
            [*command, "--encrypt", str(source)],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0 or not partial.is_file():
            why = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise BackupError(
                f"the backup {source.name} was made, but gpg could not encrypt it "
                f"for {settings.encrypt_to}: {why}"
            )
        os.chmod(partial, 0o600)
        os.rename(partial, target)
        _fsync_folder(folder)
    except FileNotFoundError as error:
        raise BackupError(
            "[backup] encrypt_to is set but gpg is not installed "
            "(apt-get install gnupg)"
        ) from error
    except (OSError, subprocess.SubprocessError) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"the backup {source.name} was made, but encrypting it failed: {error}"
        ) from error
    return target


def _age_to_second_folder(source: Path, folder: Path, settings: BackupSettings) -> Path:
    """The copy for the second folder, encrypted with age to the recipients."""
    _owner_only_folder(folder)
    target = folder / f"{source.name}.age"
    partial = folder / f".{target.name}.partial"
    command = ["age", "--encrypt"]
    for recipient in _recipients(settings.age_recipients):
        command += ["--recipient", recipient]
    try:
        partial.unlink(missing_ok=True)
        _new_owner_only_file(partial)
        done = subprocess.run(
            [*command, "--output", str(partial), str(source)],
            capture_output=True,
            text=True,
            timeout=3600,
        )
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()
            errors = [line for line in lines if line.startswith("age: error:")]
            why = (errors or lines or ["no output"])[0]
            raise BackupError(
                f"the backup {source.name} was made, but age could not encrypt "
                f"it: {why.removeprefix('age: error: ').removeprefix('age: ')}"
            )
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.rename(partial, target)
        _fsync_folder(folder)
    except FileNotFoundError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(
            "[backup] age_recipients is set but age is not installed "
            "(apt-get install age)"
        ) from error
    except (OSError, subprocess.SubprocessError) as error:
        partial.unlink(missing_ok=True)
        raise BackupError(
            f"the backup {source.name} was made, but encrypting it failed: {error}"
        ) from error
    except BackupError:
        partial.unlink(missing_ok=True)
        raise
    return target


def _recipients(text: str) -> list[str]:
    """``age1...`` keys and ``ssh-... AAAA...`` keys, as separate recipients."""
    words = text.split()
    recipients: list[str] = []
    for word in words:
        if (
            recipients
            and recipients[-1].startswith("ssh-")
            and " " not in (recipients[-1])
        ):
            recipients[-1] += f" {word}"
        else:
            recipients.append(word)
    return recipients


def _send(folder: Path, station: str, target: str, name: str) -> str:
    """Mirror the station's copies in ``folder`` to the rsync ``target``: the
    new one arrives, the ones the rotation removed go; nothing else there is
    touched (other stations' files, other files)."""
    destination = target if target.endswith("/") else f"{target}/"
    command = [
        "rsync",
        "--recursive",
        "--times",
        "--delete",
        "--chmod=D700,F600",
        f"--timeout={RSYNC_TIMEOUT_SECONDS}",
        "--rsh=ssh -o BatchMode=yes -o ConnectTimeout=30",
        f"--include={station}-*.db",
        *(f"--include={station}-*.db{suffix}" for suffix in ENCRYPTED_SUFFIXES),
        "--exclude=*",
        "--",
        f"{folder}/",
        destination,
    ]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=RSYNC_TIMEOUT_SECONDS * 6,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as error:
        raise BackupError(
            "[backup] send_to is set but rsync is not installed (apt-get install rsync)"
        ) from error
    except (OSError, subprocess.SubprocessError) as error:
        raise BackupError(
            f"the backup {name} was made, but sending it to {target} failed: {error}"
        ) from error
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        why = lines[0] if lines else f"rsync exit status {done.returncode}"
        raise BackupError(
            f"the backup {name} was made, but sending it to {target} failed: {why}"
        )
    return target


def check_backup(path: Path, station: str | None) -> BackupCheck:
    """Open a backup read-only and check it; BackupError says what is wrong.

    ``station``: the code the backup must belong to (None: any).
    """
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{path} cannot be opened: {error}") from error
    try:
        return _checked(connection, path, station)
    except sqlite3.DatabaseError as error:
        raise BackupError(
            f"{path} is not a station database or is damaged ({error})"
        ) from error
    finally:
        connection.close()


def _checked(
    connection: sqlite3.Connection, path: Path, station: str | None
) -> BackupCheck:
    def one(sql: str) -> object:
        return connection.execute(sql).fetchone()[0]

    problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(
            f"{path} failed its integrity check: {'; '.join(problems[:3])}"
        )
    version = int(str(one("PRAGMA user_version")))
    if version < 1:
        raise BackupError(f"{path} is not a station database (no schema)")
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"{path} has schema version {version}, newer than this program's "
            f"{SCHEMA_VERSION}: restore it with the newer program"
        )
    if connection.execute("PRAGMA foreign_key_check").fetchone() is not None:
        raise BackupError(f"{path} has events or outbox rows without their ticket")
    stamped: dict[str, str] = {}
    if one("SELECT count(*) FROM sqlite_master WHERE name = 'key_value'"):
        stamped = dict(
            connection.execute(
                "SELECT key, value FROM key_value WHERE key IN (?, ?)",
                (STATION_KEY, TAKEN_AT_KEY),
            ).fetchall()
        )
    stations = {
        row[0] for row in connection.execute("SELECT DISTINCT station FROM ticket")
    }
    if STATION_KEY in stamped:
        stations.add(stamped[STATION_KEY])
    if station is not None and stations - {station}:
        raise BackupError(
            f"{path} belongs to station {', '.join(sorted(stations - {station}))}, "
            f"not to this station ({station})"
        )
    return BackupCheck(
        path=path,
        station=stamped.get(STATION_KEY) or (min(stations) if stations else None),
        taken_at=stamped.get(TAKEN_AT_KEY),
        schema_version=version,
        tickets=int(str(one("SELECT count(*) FROM ticket"))),
        events=int(str(one("SELECT count(*) FROM ticket_event"))),
        outbox=int(str(one("SELECT count(*) FROM outbox"))),
        pending_events=int(
            str(one("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
        ),
        size_bytes=path.stat().st_size,
    )


# -- rotation -----------------------------------------------------------------


def backups_in(folder: Path, station: str) -> list[tuple[datetime, Path]]:
    """The station's backups in ``folder``, newest first."""
    found: list[tuple[datetime, Path]] = []
    if not folder.is_dir():
        return found
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match is None or match["station"] != station:
            continue
        stamp = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
        found.append((stamp, path))
    return sorted(found, reverse=True)


def rotation_keeps(
    stamps: list[datetime], keep: BackupSettings, settings: Settings
) -> set[datetime]:
    """Which backups the rotation keeps: the newest of each of the last
    ``keep_daily`` days, ``keep_weekly`` weeks and ``keep_monthly`` months
    (in the station's time zone), and always the newest of all."""
    ordered = sorted(stamps, reverse=True)
    zone = settings.zone
    periods: list[tuple[int, Callable[[datetime], Hashable]]] = [
        (keep.keep_daily, lambda stamp: stamp.astimezone(zone).date()),
        (keep.keep_weekly, lambda stamp: stamp.astimezone(zone).isocalendar()[:2]),
        (
            keep.keep_monthly,
            lambda stamp: (stamp.astimezone(zone).year, stamp.astimezone(zone).month),
        ),
    ]
    kept: set[datetime] = set(ordered[:1])
    for count, period_of in periods:
        seen: set[Hashable] = set()
        for stamp in ordered:
            period = period_of(stamp)
            if period in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(period)
            kept.add(stamp)
    return kept


def rotate(
    folder: Path,
    station: str,
    keep: BackupSettings,
    settings: Settings,
    encrypted_at: datetime | None = None,
) -> tuple[Path, ...]:
    """Delete the backups the rotation does not keep; returns them.

    ``encrypted_at``: now, for a folder of encrypted copies, which the purge
    cannot reach: those older than [privacy] retention_days go as well.
    """
    found = backups_in(folder, station)
    kept = rotation_keeps([stamp for stamp, _ in found], keep, settings)
    if encrypted_at is not None:
        limit = encrypted_at - timedelta(days=settings.privacy.retention_days)
        kept = {stamp for stamp in kept if stamp >= limit}
    removed = []
    for stamp, path in found:
        if stamp not in kept:
            try:
                path.unlink()
            except OSError as error:
                raise BackupError(
                    f"cannot remove the old backup {path}: {error.strerror}"
                ) from error
            removed.append(path)
    return tuple(removed)
