"""Schema migrations, tracked with SQLite's ``PRAGMA user_version``.

Each migration is frozen SQL: once released it never changes, so a database
made by any earlier release upgrades step by step to the current schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peewee import SqliteDatabase

# The ticket history's guard against rewrites (step 6). The privacy purge
# (kiosk/privacy.py) lifts it inside its own transaction to erase contact
# details, the one sanctioned change, audited, and puts it back before it
# commits. Never edit this text: it is part of a step already applied.
TICKET_EVENT_NO_UPDATE = """CREATE TRIGGER ticket_event_no_update
           BEFORE UPDATE ON ticket_event
           BEGIN SELECT RAISE(ABORT, 'the ticket history is append-only'); END"""

# report_day filled from the facts (the step that makes it; a frozen copy
# of kiosk.report_facts.REPORT_DAY_FROM_FACTS as it was then).
REPORT_DAY_FILL = """INSERT INTO report_day (day, station, figure, a, b, c, tickets)
WITH t AS (
    SELECT * FROM ticket_fact WHERE received_us <> 0 AND true
), u AS (
    SELECT * FROM unit_fact WHERE received_us <> 0 AND duplicate = 0 AND true
)
SELECT (received_us + 28800000000) / 86400000000, station, figure, a, b, c,
       sum(weight)
FROM (
    SELECT received_us, station, 'category' AS figure, category AS a, '' AS b,
           0 AS c, 1 AS weight FROM t
    UNION ALL SELECT received_us, station, 'item', category, item, 0, 1 FROM t
    UNION ALL SELECT received_us, station, 'unit', unit, '', 0, 1 FROM t
    UNION ALL SELECT received_us, station, 'building', building, '', 0, 1 FROM t
    UNION ALL SELECT received_us, station, 'channel', channel, '', 0, 1 FROM t
    UNION ALL SELECT received_us, station, 'status', status, '', 0, 1 FROM t
    UNION ALL SELECT received_us, station, 'duplicate', '', '', 0, 1 FROM t
        WHERE duplicate = 1
    UNION ALL SELECT received_us, station, 'reached', rating, '', solved, 1
        FROM t WHERE duplicate = 0 AND called_back = 1 AND unreachable = 0
    UNION ALL SELECT received_us, station, 'unreachable', '', '', 0, 1 FROM t
        WHERE duplicate = 0 AND called_back = 1 AND unreachable = 1
    UNION ALL SELECT received_us, station, 'reopened', '', '', 0, 1 FROM t
        WHERE duplicate = 0 AND reopened > 0
    UNION ALL SELECT received_us, station, 'reopenings', '', '', 0, reopened
        FROM t WHERE duplicate = 0 AND reopened > 0
    UNION ALL SELECT received_us, station, 'response', category, '',
           CASE WHEN first_action_us <= received_us THEN 0
                ELSE (first_action_us - received_us + 3599999999) / 3600000000
           END, 1
        FROM t WHERE duplicate = 0 AND first_action_us IS NOT NULL
    UNION ALL SELECT received_us, station, 'hours', 'to_dispatch', '',
           CASE WHEN first_dispatch_us < received_us THEN -1
                ELSE (first_dispatch_us - received_us) / 3600000000
           END, 1
        FROM t WHERE duplicate = 0 AND first_dispatch_us IS NOT NULL
    UNION ALL SELECT received_us, station, 'hours', 'to_check_in', '',
           CASE WHEN first_check_in_us < received_us THEN -1
                ELSE (first_check_in_us - received_us) / 3600000000
           END, 1
        FROM t WHERE duplicate = 0 AND first_check_in_us IS NOT NULL
    UNION ALL SELECT received_us, station, 'hours', 'to_resolve', '',
           CASE WHEN resolved_us < received_us THEN -1
                ELSE (resolved_us - received_us) / 3600000000
           END, 1
        FROM t WHERE duplicate = 0 AND resolved_us IS NOT NULL
    UNION ALL SELECT received_us, station, 'unit_' || kind, unit, rating, 0, 1
        FROM u
    UNION ALL SELECT received_us, station, 'check_in', unit, category,
           CASE WHEN check_in_us <= at_us THEN 0
                ELSE (check_in_us - at_us + 3599999999) / 3600000000
           END, 1
        FROM u WHERE kind = 'dispatch' AND check_in_us IS NOT NULL
) AS keyed
GROUP BY 1, 2, 3, 4, 5, 6"""

MIGRATIONS: Sequence[Sequence[str]] = (
    # 1: tickets, their event log, the sync outbox and daily counters.
    (
        """CREATE TABLE ticket (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            ticket_no TEXT NOT NULL UNIQUE,
            queue_no TEXT NOT NULL,
            station TEXT NOT NULL,
            day TEXT NOT NULL,
            category TEXT NOT NULL,
            item TEXT NOT NULL,
            building TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            contact_name TEXT,
            contact_mobile TEXT,
            consent_at TEXT,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL,
            unit TEXT NOT NULL,
            due_at TEXT NOT NULL,
            token TEXT NOT NULL,
            print_state TEXT NOT NULL DEFAULT 'none'
        )""",
        "CREATE INDEX ticket_created_at ON ticket (created_at)",
        "CREATE INDEX ticket_status ON ticket (status)",
        """CREATE TABLE ticket_event (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            uuid TEXT NOT NULL UNIQUE,
            ticket_uuid TEXT NOT NULL REFERENCES ticket (uuid),
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            at TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            origin TEXT NOT NULL DEFAULT 'station'
        )""",
        "CREATE INDEX ticket_event_ticket ON ticket_event (ticket_uuid)",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_uuid TEXT NOT NULL UNIQUE REFERENCES ticket_event (uuid),
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT
        )""",
        "CREATE INDEX outbox_pending ON outbox (sent_at, id)",
        """CREATE TABLE daily_counter (
            station TEXT NOT NULL,
            day TEXT NOT NULL,
            scope TEXT NOT NULL,
            value INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (station, day, scope)
        )""",
    ),
    # 2: staff accounts, the audit log, station key-value state and the
    # language a ticket was issued in (for reprints and call-backs).
    (
        """CREATE TABLE staff_user (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('staff', 'head')),
            pin_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        )""",
        # The audit log is append-only, whatever program opens the file.
        """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        "CREATE TABLE key_value (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "ALTER TABLE ticket ADD COLUMN language TEXT NOT NULL DEFAULT 'zh-CN'",
    ),
    # 3: the staff terminal: board indexes, per-status counts, the search
    # index (character bigrams, so two-character Chinese words are found),
    # the queue calls shown on the kiosk's welcome screen.
    (
        "CREATE INDEX ticket_status_category ON ticket (status, category)",
        "CREATE INDEX ticket_status_unit ON ticket (status, unit)",
        "CREATE INDEX ticket_status_due ON ticket (status, due_at)",
        "CREATE INDEX ticket_status_building ON ticket (status, building)",
        "CREATE INDEX ticket_status_queue ON ticket (status, queue_no)",
        "CREATE INDEX ticket_category ON ticket (category)",
        "CREATE INDEX ticket_unit ON ticket (unit)",
        "CREATE INDEX ticket_event_kind ON ticket_event (kind)",
        # Tickets per status, kept by triggers so the board's tab counts cost
        # nothing at a million rows.
        """CREATE TABLE ticket_status_count (
            status TEXT PRIMARY KEY,
            count INTEGER NOT NULL DEFAULT 0
        )""",
        """INSERT INTO ticket_status_count (status, count)
           SELECT status, count(*) FROM ticket GROUP BY status""",
        """CREATE TRIGGER ticket_status_count_insert AFTER INSERT ON ticket
           BEGIN
             INSERT INTO ticket_status_count (status, count) VALUES (new.status, 1)
             ON CONFLICT (status) DO UPDATE SET count = count + 1;
           END""",
        """CREATE TRIGGER ticket_status_count_update AFTER UPDATE OF status ON ticket
           WHEN old.status IS NOT new.status
           BEGIN
             UPDATE ticket_status_count SET count = count - 1
             WHERE status = old.status;
             INSERT INTO ticket_status_count (status, count) VALUES (new.status, 1)
             ON CONFLICT (status) DO UPDATE SET count = count + 1;
           END""",
        """CREATE TRIGGER ticket_status_count_delete AFTER DELETE ON ticket
           BEGIN
             UPDATE ticket_status_count SET count = count - 1
             WHERE status = old.status;
           END""",
        # Search: every distinct character bigram of the lower-cased text,
        # hex-encoded so any character (CJK, digits, punctuation) is one
        # plain token. A 2-character word is one token lookup; longer words
        # are the AND of their bigrams, checked against the text; one
        # character is a prefix lookup (the text ends with a space so its
        # last character starts a bigram too). Contentless, rowids only.
        "CREATE TABLE search_seq (n INTEGER PRIMARY KEY)",
        """INSERT INTO search_seq (n)
           WITH RECURSIVE seq (n) AS (
             SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1200
           ) SELECT n FROM seq""",
        """CREATE VIRTUAL TABLE ticket_search USING fts5 (
            grams, content = '', detail = none, columnsize = 0,
            tokenize = 'ascii'
        )""",
        """CREATE VIRTUAL TABLE note_search USING fts5 (
            grams, content = '', detail = none, columnsize = 0,
            tokenize = 'ascii'
        )""",
        """INSERT INTO ticket_search (rowid, grams)
           SELECT t.id, (
             SELECT group_concat(DISTINCT hex(substr(d.doc, s.n, 2)))
             FROM (SELECT lower(t.ticket_no || ' ' || t.queue_no || ' '
                   || t.building || ' ' || t.description || ' ') AS doc) AS d,
                  search_seq AS s
             WHERE s.n < length(d.doc)
           ) FROM ticket AS t""",
        """CREATE TRIGGER ticket_search_insert AFTER INSERT ON ticket
           BEGIN
             INSERT INTO ticket_search (rowid, grams)
             SELECT new.id, group_concat(DISTINCT hex(substr(d.doc, s.n, 2)))
             FROM (SELECT lower(new.ticket_no || ' ' || new.queue_no || ' '
                   || new.building || ' ' || new.description || ' ') AS doc) AS d,
                  search_seq AS s
             WHERE s.n < length(d.doc);
           END""",
        """INSERT INTO note_search (rowid, grams)
           SELECT e.id, (
             SELECT group_concat(DISTINCT hex(substr(d.doc, s.n, 2)))
             FROM (SELECT lower(json_extract(e.payload, '$.text') || ' ') AS doc)
                  AS d, search_seq AS s
             WHERE s.n < length(d.doc)
           ) FROM ticket_event AS e
           WHERE json_valid(e.payload)
             AND json_type(e.payload, '$.text') = 'text'""",
        """CREATE TRIGGER note_search_insert AFTER INSERT ON ticket_event
           WHEN new.kind <> 'received' AND json_valid(new.payload)
             AND json_type(new.payload, '$.text') = 'text'
           BEGIN
             INSERT INTO note_search (rowid, grams)
             SELECT new.id, group_concat(DISTINCT hex(substr(d.doc, s.n, 2)))
             FROM (SELECT lower(json_extract(new.payload, '$.text') || ' ')
                   AS doc) AS d, search_seq AS s
             WHERE s.n < length(d.doc);
           END""",
        # The desk's queue calls, newest last; the kiosk shows the latest.
        """CREATE TABLE queue_call (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            day TEXT NOT NULL,
            queue_no TEXT NOT NULL,
            ticket_uuid TEXT NOT NULL REFERENCES ticket (uuid),
            called_at TEXT NOT NULL,
            called_by TEXT NOT NULL
        )""",
        "CREATE INDEX queue_call_day ON queue_call (day, id)",
        "CREATE INDEX queue_call_ticket ON queue_call (ticket_uuid)",
    ),
    # 4: the outbox's unsent rows are found by a partial index on id. The old
    # (sent_at, id) index also held every row ever sent, and marking a row
    # sent moved its entry within it; now the entry is only dropped, which
    # made marking a drained backlog's events sent 2.5 times cheaper. The
    # pending read (id > ? among unsent rows, in id order) and the pending
    # count both use it.
    (
        "CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL",
        "DROP INDEX outbox_pending",
    ),
    # The monthly governance plan (月度重点治理计划, kiosk/plan.py): its items
    # and the tickets behind each. IF NOT EXISTS: safe whichever place this
    # step takes among steps merged from other branches.
    (
        """CREATE TABLE IF NOT EXISTS plan_item (
            id INTEGER PRIMARY KEY,
            month TEXT NOT NULL,
            title TEXT NOT NULL,
            unit TEXT NOT NULL,
            target_date TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open',
            result TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS plan_item_month ON plan_item (month, id)",
        """CREATE TABLE IF NOT EXISTS plan_ticket (
            plan_item INTEGER NOT NULL REFERENCES plan_item (id),
            ticket_uuid TEXT NOT NULL REFERENCES ticket (uuid),
            PRIMARY KEY (plan_item, ticket_uuid)
        )""",
        "CREATE INDEX IF NOT EXISTS plan_ticket_ticket ON plan_ticket (ticket_uuid)",
    ),
    # 6: the audit log and the ticket history are evidence. No row of either
    # may be rewritten or removed by any program that opens the file: UPDATE
    # and DELETE are refused, and so is an INSERT that would replace a row
    # (INSERT OR REPLACE deletes the old row without firing delete
    # triggers). Each audit row carries a link of a hash chain over the log
    # (written by kiosk.accounts, checked by `kiosk doctor`), so a file
    # edited with the triggers dropped is found out. The audit log is read
    # by name and by ticket. Tickets are found by category and item.
    (
        """CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
           WHEN new.id IS NOT NULL
             AND EXISTS (SELECT 1 FROM audit_log WHERE id = new.id)
           BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        TICKET_EVENT_NO_UPDATE,
        """CREATE TRIGGER ticket_event_no_delete BEFORE DELETE ON ticket_event
           BEGIN SELECT RAISE(ABORT, 'the ticket history is append-only'); END""",
        """CREATE TRIGGER ticket_event_no_replace BEFORE INSERT ON ticket_event
           WHEN EXISTS (SELECT 1 FROM ticket_event
                        WHERE id = new.id OR uuid = new.uuid)
           BEGIN SELECT RAISE(ABORT, 'the ticket history is append-only'); END""",
        "ALTER TABLE audit_log ADD COLUMN chain TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX audit_log_target ON audit_log (target, id)",
        "CREATE INDEX audit_log_actor ON audit_log (actor, id)",
        # Search finds the item a resident picked (kiosk.search).
        "CREATE INDEX ticket_category_item ON ticket (category, item)",
    ),
    # A ticket issued while the box's clock was behind (its time raised to
    # the newest ticket or the release date) or skewed against the central's
    # is marked, with the skew known then (central minus box, in seconds;
    # NULL when none was known), so its number and SLA can be corrected.
    (
        "ALTER TABLE ticket ADD COLUMN clock_suspect INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE ticket ADD COLUMN clock_skew REAL",
    ),
    # Each ticket's facts for the reports (kiosk/report_facts.py): one row
    # per ticket and one per unit's dispatch, 办结, 不满意 or rating, folded
    # from its events in the event's transaction and summed in SQL. Every
    # existing ticket is marked to be folded (folded = 0), and so is any
    # ticket that gets an event no write path folded (the trigger); the
    # first report folds what is marked. Both tables are kept in order of
    # receipt (WITHOUT ROWID, keyed by received_us first): a month's rows
    # are read in one run of pages. IF NOT EXISTS: safe whichever place
    # this step takes among steps merged from other branches.
    (
        """CREATE TABLE IF NOT EXISTS ticket_fact (
            ticket_uuid TEXT NOT NULL,
            seq INTEGER NOT NULL DEFAULT 0,
            ticket_no TEXT NOT NULL DEFAULT '',
            station TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL DEFAULT '',
            item TEXT NOT NULL DEFAULT '',
            building TEXT NOT NULL DEFAULT '',
            unit TEXT NOT NULL DEFAULT '',
            channel TEXT NOT NULL DEFAULT '',
            received_us INTEGER NOT NULL DEFAULT 0,
            due_us INTEGER,
            status TEXT NOT NULL DEFAULT '',
            duplicate INTEGER NOT NULL DEFAULT 0,
            first_action_us INTEGER,
            first_dispatch_us INTEGER,
            first_check_in_us INTEGER,
            resolved_us INTEGER,
            called_back INTEGER NOT NULL DEFAULT 0,
            unreachable INTEGER NOT NULL DEFAULT 0,
            rating TEXT NOT NULL DEFAULT '',
            solved INTEGER NOT NULL DEFAULT 0,
            reopened INTEGER NOT NULL DEFAULT 0,
            last_event_us INTEGER,
            folded INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (received_us, ticket_uuid)
        ) WITHOUT ROWID""",
        """CREATE UNIQUE INDEX IF NOT EXISTS ticket_fact_ticket ON ticket_fact
           (ticket_uuid)""",
        """CREATE INDEX IF NOT EXISTS ticket_fact_received ON ticket_fact
           (received_us, duplicate, category, building)""",
        """CREATE INDEX IF NOT EXISTS ticket_fact_last_event ON ticket_fact
           (last_event_us)""",
        """CREATE INDEX IF NOT EXISTS ticket_fact_stale ON ticket_fact (ticket_uuid)
           WHERE folded = 0""",
        """CREATE TABLE IF NOT EXISTS unit_fact (
            id INTEGER NOT NULL,
            ticket_uuid TEXT NOT NULL,
            station TEXT NOT NULL,
            category TEXT NOT NULL,
            received_us INTEGER NOT NULL,
            duplicate INTEGER NOT NULL,
            kind TEXT NOT NULL,
            unit TEXT NOT NULL,
            at_us INTEGER,
            check_in_us INTEGER,
            rating TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (received_us, ticket_uuid, id)
        ) WITHOUT ROWID""",
        "CREATE INDEX IF NOT EXISTS unit_fact_ticket ON unit_fact (ticket_uuid)",
        """CREATE TRIGGER IF NOT EXISTS ticket_fact_stale_on_event
           AFTER INSERT ON ticket_event
           BEGIN
             INSERT INTO ticket_fact (ticket_uuid, folded) VALUES (new.ticket_uuid, 0)
             ON CONFLICT (ticket_uuid) DO UPDATE SET folded = 0;
           END""",
        """INSERT INTO ticket_fact (ticket_uuid, folded)
           SELECT uuid, 0 FROM ticket WHERE true
           ON CONFLICT (ticket_uuid) DO UPDATE SET folded = 0""",
    ),
    # Search: each indexed note's ticket by the note's event id (the rowid
    # of note_search), so that a word found in notes reaches its tickets in
    # one lookup in a small table, not through the event row and the
    # ticket's uuid (kiosk.search). Filled for every event with a text (the
    # first fill of note_search took those); the trigger follows
    # note_search_insert, and kiosk.bulk fills it per batch as it does the
    # search index. IF NOT EXISTS: safe whichever place this step takes.
    (
        """CREATE TABLE IF NOT EXISTS note_ticket (
            event_id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL
        )""",
        """INSERT OR IGNORE INTO note_ticket (event_id, ticket_id)
           SELECT e.id, t.id FROM ticket_event AS e
           JOIN ticket AS t ON t.uuid = e.ticket_uuid
           WHERE json_valid(e.payload) AND json_type(e.payload, '$.text') = 'text'""",
        """CREATE TRIGGER IF NOT EXISTS note_ticket_insert AFTER INSERT ON ticket_event
           WHEN new.kind <> 'received' AND json_valid(new.payload)
             AND json_type(new.payload, '$.text') = 'text'
           BEGIN
             INSERT OR IGNORE INTO note_ticket (event_id, ticket_id)
             SELECT new.id, id FROM ticket WHERE uuid = new.ticket_uuid;
           END""",
    ),
    # The tickets per day and place (kiosk/report_facts.py, place_day),
    # duplicates left out, kept with the facts: the hot spots' earlier
    # months are counted from days, not tickets. A day runs from midnight
    # at UTC+8 (28,800,000,000 us past UTC midnight; 86,400,000,000 us
    # long). Filled here from the facts as they stand; a ticket only marked
    # (received_us 0) is counted when it is folded. IF NOT EXISTS: safe
    # whichever place this step takes among steps merged from other
    # branches.
    (
        """CREATE TABLE IF NOT EXISTS place_day (
            day INTEGER NOT NULL,
            station TEXT NOT NULL,
            category TEXT NOT NULL,
            building TEXT NOT NULL,
            tickets INTEGER NOT NULL,
            PRIMARY KEY (day, category, building, station)
        ) WITHOUT ROWID""",
        """INSERT INTO place_day (day, station, category, building, tickets)
           SELECT (received_us + 28800000000) / 86400000000, station, category,
                  building, count(*)
           FROM ticket_fact WHERE duplicate = 0 AND received_us <> 0
           GROUP BY 1, 2, 3, 4
           ON CONFLICT (day, category, building, station) DO NOTHING""",
    ),
    # What a report sums (kiosk/report_facts.py, report_day): per day (as
    # place_day's), station, figure and key, counted from the facts, so that
    # a month's counts are a few thousand rows, not every ticket; filled
    # here from the facts as they stand and kept by the fold from then on.
    # With it, the indexes a report's other reads take: a hot spot's most
    # recent tickets by category and building (duplicates left out), the
    # tickets without a first action, and the tickets by status. IF NOT
    # EXISTS: safe whichever place this step takes among steps merged from
    # other branches.
    (
        """CREATE TABLE IF NOT EXISTS report_day (
            day INTEGER NOT NULL,
            station TEXT NOT NULL,
            figure TEXT NOT NULL,
            a TEXT NOT NULL,
            b TEXT NOT NULL,
            c INTEGER NOT NULL,
            tickets INTEGER NOT NULL,
            PRIMARY KEY (day, figure, a, b, c, station)
        ) WITHOUT ROWID""",
        REPORT_DAY_FILL + " ON CONFLICT (day, figure, a, b, c, station) DO NOTHING",
        """CREATE INDEX IF NOT EXISTS ticket_fact_spot ON ticket_fact
           (category, building, received_us, ticket_uuid) WHERE duplicate = 0""",
        """CREATE INDEX IF NOT EXISTS ticket_fact_unacted ON ticket_fact
           (received_us) WHERE first_action_us IS NULL""",
        """CREATE INDEX IF NOT EXISTS ticket_fact_status ON ticket_fact
           (status, received_us)""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(database: SqliteDatabase) -> int:
    return int(database.execute_sql("PRAGMA user_version").fetchone()[0])


def refuse_newer(found: int, supported: int) -> None:
    """A schema newer than this program knows is not touched (station and
    central alike): it stops start-up with what to do."""
    if found > supported:
        raise RuntimeError(
            f"the database has schema version {found}, newer than this "
            f"program's {supported}: upgrade the program"
        )


def migrate(database: SqliteDatabase, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to ``target``; returns the version it started from.

    Every pending step runs in one immediate transaction together with the
    version bump: two processes starting at once cannot both apply a step,
    and a step that fails rolls them all back, leaving the database exactly
    as the older program left it (and can still run it).
    """
    with database.atomic("IMMEDIATE"):
        start = schema_version(database)
    refuse_newer(start, SCHEMA_VERSION)
    if start >= target:
        return start
    with database.atomic("IMMEDIATE"):
        for version in range(schema_version(database) + 1, target + 1):
            for statement in MIGRATIONS[version - 1]:
                database.execute_sql(statement)
            database.execute_sql(f"PRAGMA user_version = {version}")
    return start
