"""Retention: contact details are erased ``[privacy] retention_days`` after a
ticket ends (PIPL: kept no longer than needed).

``purge`` erases, for every ticket closed or withdrawn before the limit (its
last event older than the limit): the contact name and mobile number on the
ticket, the same two fields in its events' payloads (which are what the
outbox sends), and any mobile number typed into its description or notes.
Everything the reports count stays: tickets, their status, category, unit,
building, times and events. The station database is purged and then every
backup of the station (the backup folder, the second folder, the files a
restore replaced and the copies taken before upgrades), each file in one
transaction. SQLite's ``secure_delete`` overwrites the erased bytes; the live
database's WAL is checkpointed after.

The audit log records each purge with its counts and the limit, never the
data. ``dry_run`` runs the same transactions and rolls them back: what it
reports is exactly what a purge would erase.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.migrations import TICKET_EVENT_NO_UPDATE
from kiosk.accounts import chain_link
from kiosk.backup import (
    ENCRYPTED_SUFFIXES,
    backup_folder,
    backups_in,
    second_folder,
)
from kiosk.config import Settings
from kiosk.errors import Refused
from kiosk.states import TERMINAL
from kiosk.text import MOBILE_IN_WRITING

# A mainland mobile number standing alone (not inside a token or a number):
# what is erased anywhere in an event's payload, whose fields include
# identifiers. In what a person wrote (a description, the text of a note) a
# number that touches a letter goes too: kiosk.text.MOBILE_IN_WRITING.
MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z_-])1[3-9]\d{9}(?![0-9A-Za-z_])")
MOBILE_ERASED = "***********"
# The payload fields that hold what a person wrote.
WRITTEN_FIELDS = ("text", "description")
ELEVEN_DIGITS_GLOB = "*1[3-9]" + "[0-9]" * 9 + "*"
PURGE_ACTOR = "system:privacy"
BUSY_TIMEOUT_SECONDS = 30.0
CHECKPOINT_WAIT_MS = 2000
SEARCH_DOC = (
    "SELECT group_concat(DISTINCT hex(substr(d.doc, s.n, 2))) "
    "FROM (SELECT lower(?) AS doc) AS d, search_seq AS s "
    "WHERE s.n < length(d.doc)"
)


class PurgeError(Refused):
    """The purge could not run; the message says why."""


@dataclass
class PurgeCounts:
    """What one purge erased (or, dry, would erase) in one file."""

    tickets: int = 0  # tickets whose contact name or mobile was erased
    events: int = 0  # event payloads whose contact fields were erased
    texts: int = 0  # descriptions and notes with a mobile number erased
    unsent_events: int = 0  # of those events, waiting in the outbox
    central_events: int = 0  # ``purged`` events queued to tell the central

    def add(self, other: PurgeCounts) -> None:
        self.tickets += other.tickets
        self.events += other.events
        self.texts += other.texts
        self.unsent_events += other.unsent_events
        self.central_events += other.central_events

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    database: PurgeCounts
    backups: PurgeCounts = field(default_factory=PurgeCounts)
    backup_files: int = 0
    skipped: list[str] = field(default_factory=list)  # files that could not be read

    def as_dict(self) -> dict[str, object]:
        return {
            "ended_before": self.cutoff.isoformat(),
            "dry_run": self.dry_run,
            "database": self.database.as_dict(),
            "backups": self.backups.as_dict(),
            "backup_files": self.backup_files,
            "skipped": self.skipped,
        }


def cutoff_for(settings: Settings, now: datetime | None = None) -> datetime:
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment - timedelta(days=settings.privacy.retention_days)


def purge(
    settings: Settings, *, dry_run: bool = False, now: datetime | None = None
) -> PurgeReport:
    """Erase contact details past the limit, here and in the backups."""
    cutoff = cutoff_for(settings, now)
    try:
        connection = _connect(settings.database_path)
    except sqlite3.Error as error:
        raise PurgeError(f"the station database cannot be opened: {error}") from error
    report = PurgeReport(cutoff, dry_run, PurgeCounts())
    try:
        files = list(_backup_files(settings))
        report.database = _purge_file(
            connection, cutoff, dry_run, audit=(settings, files)
        )
        if not dry_run:
            # The WAL's older frames still hold the erased values: empty it.
            # While it waits for readers it holds writers back, so it waits
            # briefly; the kiosk's writes wait on their own busy timeout.
            connection.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as error:
        raise PurgeError(f"the purge failed and changed nothing: {error}") from error
    finally:
        connection.close()
    for path in files:
        try:
            backup = _connect(path)
            try:
                report.backups.add(_purge_file(backup, cutoff, dry_run))
            finally:
                backup.close()
        except sqlite3.Error as error:
            report.skipped.append(f"{path}: {error}")
            continue
        report.backup_files += 1
    return report


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise sqlite3.OperationalError(f"no database at {path}")
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None
    )
    connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
    connection.execute("PRAGMA secure_delete = ON")
    return connection


def _backup_files(settings: Settings) -> Iterator[Path]:
    """Every copy of the station's data beside it: backups, the second
    folder's, the databases a restore replaced, the copies an upgrade took."""
    station = settings.station.code
    folders = [backup_folder(settings), second_folder(settings)]
    for folder in folders:
        if folder is not None:
            for _, path in backups_in(folder, station):
                # Encrypted (gpg, age): deleted at retention_days instead.
                if path.suffix not in ENCRYPTED_SUFFIXES:
                    yield path
    database = settings.database_path
    for kind in (".replaced-*", ".before-v*"):  # restores' and upgrades' copies
        for path in sorted(database.parent.glob(database.name + kind)):
            if not path.name.endswith(("-wal", "-shm")):
                yield path


def _purge_file(
    connection: sqlite3.Connection,
    cutoff: datetime,
    dry_run: bool,
    audit: tuple[Settings, list[Path]] | None = None,
) -> PurgeCounts:
    counts = PurgeCounts()
    connection.execute("BEGIN IMMEDIATE")
    try:
        guarded = _lift_history_guard(connection)
        _mark_past_limit(connection, cutoff)
        if audit is not None:  # the live database: the central hears of it
            _mark_known_to_central(connection)
        counts.tickets = connection.execute(
            """UPDATE ticket SET contact_name = NULL, contact_mobile = NULL
               WHERE id IN (SELECT id FROM temp.purge_ticket)
                 AND (contact_name IS NOT NULL OR contact_mobile IS NOT NULL)"""
        ).rowcount
        counts.unsent_events = int(
            connection.execute(
                """SELECT count(*) FROM ticket_event AS e
                   JOIN outbox AS o ON o.event_uuid = e.uuid
                   WHERE o.sent_at IS NULL
                     AND e.ticket_uuid IN (SELECT uuid FROM temp.purge_ticket)
                     AND json_valid(e.payload)
                     AND (json_extract(e.payload, '$.contact_name') IS NOT NULL
                       OR json_extract(e.payload, '$.contact_mobile') IS NOT NULL)"""
            ).fetchone()[0]
        )
        counts.events = connection.execute(
            """UPDATE ticket_event SET payload = json_set(payload,
                 '$.contact_name', json('null'), '$.contact_mobile', json('null'))
               WHERE ticket_uuid IN (SELECT uuid FROM temp.purge_ticket)
                 AND json_valid(payload)
                 AND (json_extract(payload, '$.contact_name') IS NOT NULL
                   OR json_extract(payload, '$.contact_mobile') IS NOT NULL)"""
        ).rowcount
        counts.texts = _erase_mobiles_in_text(connection)
        if guarded:
            connection.execute(TICKET_EVENT_NO_UPDATE)
        if audit is not None:
            counts.central_events = _queue_purged_events(connection, cutoff, audit[0])
            _write_audit(connection, cutoff, counts, dry_run, audit)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("ROLLBACK" if dry_run else "COMMIT")
    return counts


def _mark_past_limit(connection: sqlite3.Connection, cutoff: datetime) -> None:
    """temp.purge_ticket: the tickets ended before ``cutoff``."""
    connection.execute("DROP TABLE IF EXISTS temp.purge_ticket")
    ended = sorted(TERMINAL)
    connection.execute(
        f"""CREATE TEMP TABLE purge_ticket AS
            SELECT t.id AS id, t.uuid AS uuid FROM ticket AS t
            WHERE t.status IN ({", ".join("?" for _ in ended)})
              AND (SELECT max(julianday(e.at)) FROM ticket_event AS e
                   WHERE e.ticket_uuid = t.uuid) < julianday(?)""",
        (*ended, cutoff.isoformat()),
    )


def _mark_known_to_central(connection: sqlite3.Connection) -> None:
    """temp.purge_tell: the tickets past the limit that hold contact details
    now (before this purge erases them) and that the central has a copy of
    (an event of theirs went through the outbox, or came from the central).
    A ticket imported and never sent is the station's alone."""
    connection.execute("DROP TABLE IF EXISTS temp.purge_tell")
    connection.execute(
        """CREATE TEMP TABLE purge_tell AS
           SELECT p.uuid AS uuid FROM temp.purge_ticket AS p
           JOIN ticket AS t ON t.id = p.id
           WHERE (t.contact_name IS NOT NULL OR t.contact_mobile IS NOT NULL
                  OR t.description GLOB :digits
                  OR EXISTS (SELECT 1 FROM ticket_event AS e
                             WHERE e.ticket_uuid = p.uuid AND e.kind <> 'purged'
                               AND (e.payload GLOB :digits
                                 OR (json_valid(e.payload) AND (
                                   json_extract(e.payload, '$.contact_name')
                                     IS NOT NULL
                                   OR json_extract(e.payload, '$.contact_mobile')
                                     IS NOT NULL)))))
             AND NOT EXISTS (SELECT 1 FROM ticket_event AS e
                             WHERE e.ticket_uuid = p.uuid AND e.kind = 'purged')
             AND EXISTS (SELECT 1 FROM ticket_event AS e
                         LEFT JOIN outbox AS o ON o.event_uuid = e.uuid
                         WHERE e.ticket_uuid = p.uuid
                           AND (o.id IS NOT NULL OR e.origin = 'central'))""",
        {"digits": ELEVEN_DIGITS_GLOB},
    )


def _queue_purged_events(
    connection: sqlite3.Connection, cutoff: datetime, settings: Settings
) -> int:
    """A ``purged`` event, in the outbox, on each ticket of temp.purge_tell:
    the central erases its copy when the event reaches it. It names the
    limit, never the data."""
    # The purge's own moment (cutoff_for took the limit off it).
    purged_at = cutoff + timedelta(days=settings.privacy.retention_days)
    moment = purged_at.astimezone(settings.zone).isoformat()
    payload = json.dumps({"ended_before": cutoff.isoformat()})
    tickets = [row[0] for row in connection.execute("SELECT uuid FROM temp.purge_tell")]
    for ticket_uuid in tickets:
        event_uuid = str(uuid.uuid4())
        connection.execute(
            "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at, payload, "
            "origin) VALUES (?, ?, 'purged', ?, ?, ?, 'station')",
            (event_uuid, ticket_uuid, PURGE_ACTOR, moment, payload),
        )
        connection.execute(
            "INSERT INTO outbox (event_uuid, created_at) VALUES (?, ?)",
            (event_uuid, moment),
        )
    return len(tickets)


def _erase_mobiles_in_text(connection: sqlite3.Connection) -> int:
    """Mobile numbers typed into descriptions and notes; the search index
    follows (its rows are removed with their old text, added with the new)."""
    erased = 0
    tickets = connection.execute(
        """SELECT id, ticket_no, queue_no, building, description FROM ticket
           WHERE id IN (SELECT id FROM temp.purge_ticket)
             AND description GLOB ?""",
        (ELEVEN_DIGITS_GLOB,),
    ).fetchall()
    for rowid, ticket_no, queue_no, building, description in tickets:
        cleaned = erase_mobiles_in_writing(description)
        if cleaned == description:
            continue
        head = f"{ticket_no} {queue_no} {building} "
        _reindex(
            connection,
            "ticket_search",
            rowid,
            f"{head}{description} ",
            f"{head}{cleaned} ",
        )
        connection.execute(
            "UPDATE ticket SET description = ? WHERE id = ?", (cleaned, rowid)
        )
        erased += 1
    events = connection.execute(
        """SELECT id, kind, payload FROM ticket_event
           WHERE ticket_uuid IN (SELECT uuid FROM temp.purge_ticket)
             AND payload GLOB ?""",
        (ELEVEN_DIGITS_GLOB,),
    ).fetchall()
    for rowid, kind, payload in events:
        cleaned = erase_mobiles_in_payload(payload)
        if cleaned == payload:
            continue
        old_text, new_text = _note_text(payload), _note_text(cleaned)
        if kind != "received" and old_text is not None and new_text is not None:
            _reindex(connection, "note_search", rowid, old_text + " ", new_text + " ")
        connection.execute(
            "UPDATE ticket_event SET payload = ? WHERE id = ?", (cleaned, rowid)
        )
        erased += 1
    return erased


def erase_mobiles_in_writing(text: str) -> str:
    """What a person wrote, with every mobile number in it erased."""
    return MOBILE_IN_WRITING.sub(MOBILE_ERASED, text)


def erase_mobiles_in_payload(payload: str) -> str:
    """An event's payload with its mobile numbers erased: standing alone
    anywhere, and touching letters too in the fields a person wrote. The
    payload's own formatting is kept unless a written field changed."""
    cleaned = MOBILE_IN_TEXT.sub(MOBILE_ERASED, payload)
    try:
        document = json.loads(cleaned)
    except ValueError:
        return cleaned
    if not isinstance(document, dict):
        return cleaned
    changed = False
    for name in WRITTEN_FIELDS:
        value = document.get(name)
        if isinstance(value, str):
            erased = erase_mobiles_in_writing(value)
            if erased != value:
                document[name] = erased
                changed = True
    return json.dumps(document, ensure_ascii=False) if changed else cleaned


def _note_text(payload: str) -> str | None:
    try:
        value = json.loads(payload).get("text")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _reindex(
    connection: sqlite3.Connection, table: str, rowid: int, old: str, new: str
) -> None:
    has_index = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE name IN (?, 'search_seq')", (table,)
    ).fetchall()
    if len(has_index) < 2:  # a schema from before the search index
        return
    for command, doc in (("delete", old), (None, new)):
        grams = connection.execute(SEARCH_DOC, (doc,)).fetchone()[0]
        if command:
            connection.execute(
                f"INSERT INTO {table} ({table}, rowid, grams) VALUES (?, ?, ?)",
                (command, rowid, grams),
            )
        else:
            connection.execute(
                f"INSERT INTO {table} (rowid, grams) VALUES (?, ?)", (rowid, grams)
            )


def _lift_history_guard(connection: sqlite3.Connection) -> bool:
    """Drop the ticket history's no-update trigger for this transaction (the
    caller puts it back before committing); False where the file has none
    (a backup from before it)."""
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' "
        "AND name = 'ticket_event_no_update'"
    ).fetchone()
    if found:
        connection.execute("DROP TRIGGER ticket_event_no_update")
    return found is not None


def _write_audit(
    connection: sqlite3.Connection,
    cutoff: datetime,
    counts: PurgeCounts,
    dry_run: bool,
    audit: tuple[Settings, list[Path]],
) -> None:
    """The purge in the append-only audit log: counts and the limit only."""
    settings, files = audit
    if dry_run:
        return
    detail = {
        "retention_days": settings.privacy.retention_days,
        "ended_before": cutoff.isoformat(),
        **counts.as_dict(),
        "backup_files": len(files),
    }
    fields = (
        datetime.now(settings.zone).replace(microsecond=0).isoformat(),
        "system",
        "privacy_purge",
        "station database",
        json.dumps(detail, ensure_ascii=False),
    )
    previous = connection.execute(
        "SELECT chain FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    connection.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail, chain) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (*fields, chain_link(previous[0] if previous else "", fields)),
    )
