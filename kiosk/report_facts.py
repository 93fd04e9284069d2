"""Each ticket's facts, kept in tables so that a report sums them in SQL.

``ticket_fact`` holds one row per ticket (when received, where from, its
first action, first dispatch, first check-in, last 办结, its last call-back's
two answers, how often it was reopened, its status at its last event) and
``unit_fact`` one row per thing a unit did or was given (a dispatch with its
check-in, a 办结, a 不满意 call-back, a rating by the head). Both are folded
by ``kiosk.reports.ticket_facts``, the one definition, from the ticket's whole
history, and rewritten with each event in the event's own transaction: at
the station where ticket events are written (kiosk/tickets.py, kiosk/desk.py,
kiosk/sync/apply.py; a trigger marks any other writer's ticket to be folded
again), at the central where events are stored (central/store/rows.py).

``place_day`` counts the tickets (duplicates left out) per day, station,
category and building: what the hot spots' earlier months are counted from
(thousands of rows instead of every ticket of five months). It is kept by
the same fold, in the same transaction, from the change each folded
ticket's row makes (``place_changes``); a ticket's row there is counted as
it stands, folded or still marked, except a mark's empty row (received 0).

Nothing here depends on a setting: response limits, grids and the weights are
applied when the figures are summed (kiosk/report_sums.py), so a changed
setting never leaves the stored facts stale. Times are kept as integer
microseconds since 1970 (UTC), exact, and compared as numbers in SQL. A
``place_day`` day is a fixed 24 hours (``day_of``), not a setting's local
day: a count over any range takes the whole days from ``place_day`` and the
part of a day at either end from ``ticket_fact`` (kiosk/report_sums.py), so
it is exact in any time zone.

Functions here take ``Query``: a function that runs one SQL statement with
``?`` parameters and returns its rows (the station's database or the
central's ``CentralDatabase.rows``), so one code path serves both ends.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from db import database
from kiosk.reports import (
    EVENT_FIELDS,
    PAYLOAD_KINDS,
    TICKET_FIELDS,
    Facts,
    ticket_facts,
)

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# Every event counts when the stored facts are folded.
END_OF_TIME = datetime(9999, 12, 31, tzinfo=UTC)
# Tickets folded per statement: well within either database's parameter limit.
CHUNK = 500
FOLDED_PAYLOAD = (
    "CASE WHEN kind IN ("
    + ", ".join(f"'{kind}'" for kind in PAYLOAD_KINDS)
    + ") THEN payload ELSE '{}' END"
)
DAY_US = 86_400 * 10**6
# ``place_day``'s days run from midnight at UTC+8 (China Standard Time, the
# stations' zone by default), so a month there is whole days; in any other
# zone a month's first and last part-days are counted from ticket_fact. The
# migrations that fill the table write these numbers out (frozen SQL).
DAY_SHIFT_US = 8 * 3600 * 10**6


def station_query(statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """``Query`` on the station's database (db.open_database)."""
    return list(database.execute_sql(statement, params).fetchall())


def refresh_station(ticket_uuids: Iterable[str]) -> int:
    """Fold the station's tickets again, inside the transaction that wrote
    their events."""
    return refresh(station_query, STATION_STORE, ticket_uuids)


def micros(moment: datetime) -> int:
    """``moment`` as whole microseconds since 1970 (UTC), exactly."""
    since = moment - EPOCH
    return (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds


def span_micros(span: timedelta) -> int:
    return span // MICROSECOND


def optional_micros(moment: datetime | None) -> int | None:
    return None if moment is None else micros(moment)


def day_of(received_us: int) -> int:
    """The ``place_day`` day of a receipt (days since 1970-01-01 at UTC+8)."""
    return (received_us + DAY_SHIFT_US) // DAY_US


def day_start_us(day: int) -> int:
    """Where ``place_day``'s ``day`` starts, in microseconds since 1970 (UTC)."""
    return day * DAY_US - DAY_SHIFT_US


@dataclass(frozen=True)
class Store:
    """Where one end keeps its tickets and events: the station's
    ``ticket_event`` found by ``ticket_uuid``, the central's ``event`` by
    ``ticket_no`` (the index it has)."""

    event_table: str
    event_key: str  # the event column naming its ticket: ticket_uuid or ticket_no
    # Whether this end keeps ``report_day``. The central does not: its many
    # stations' days are sparse, so it sums the month's facts instead
    # (docs/reports.md).
    report_days: bool = True


STATION_STORE = Store("ticket_event", "ticket_uuid")
CENTRAL_STORE = Store("event", "ticket_no", report_days=False)

FACT_COLUMNS = (
    "ticket_uuid",
    "seq",
    "ticket_no",
    "station",
    "category",
    "item",
    "building",
    "unit",
    "channel",
    "received_us",
    "due_us",
    "status",
    "duplicate",
    "first_action_us",
    "first_dispatch_us",
    "first_check_in_us",
    "resolved_us",
    "called_back",
    "unreachable",
    "rating",
    "solved",
    "reopened",
    "last_event_us",
    "folded",
)
UNIT_COLUMNS = (
    "id",  # the row's place among its ticket's
    "ticket_uuid",
    "station",
    "category",
    "received_us",
    "duplicate",
    "kind",
    "unit",
    "at_us",
    "check_in_us",
    "rating",
)


def fact_row(facts: Facts, seq: int, last_event_us: int | None) -> tuple[Any, ...]:
    """The ``ticket_fact`` row of a ticket folded without rules."""
    answer = facts.call_back
    return (
        facts.uuid,
        seq,
        facts.ticket_no,
        facts.station,
        facts.category,
        facts.item,
        facts.building,
        facts.unit,
        facts.channel,
        micros(facts.received_at),
        optional_micros(facts.due_at),
        facts.status,
        int(facts.duplicate),
        optional_micros(facts.first_action_at),
        optional_micros(facts.first_dispatch_at),
        optional_micros(facts.first_check_in_at),
        optional_micros(facts.resolved_at),
        int(answer is not None),
        int(answer is not None and answer.unreachable),
        (answer.rating or "") if answer is not None else "",
        int(answer is not None and bool(answer.solved)),
        facts.reopened,
        last_event_us,
        1,
    )


def unit_rows(facts: Facts) -> list[tuple[Any, ...]]:
    """The ``unit_fact`` rows of a ticket folded without rules: each dispatch
    with the unit's first check-in at or after it, each 办结, each 不满意
    and each of the head's ratings, with the unit it concerns."""
    head = (
        facts.uuid,
        facts.station,
        facts.category,
        micros(facts.received_at),
        int(facts.duplicate),
    )
    rows: list[tuple[Any, ...]] = []
    for unit, dispatched_at in facts.dispatches:
        check_in = next(
            (at for who, at in facts.check_ins if who == unit and at >= dispatched_at),
            None,
        )
        rows.append(
            (
                *head,
                "dispatch",
                unit,
                micros(dispatched_at),
                optional_micros(check_in),
                "",
            )
        )
    rows.extend((*head, "resolve", unit, None, None, "") for unit in facts.resolutions)
    rows.extend((*head, "reopen", unit, None, None, "") for unit in facts.reopen_units)
    rows.extend(
        (*head, "rating", unit, None, None, given) for unit, given in facts.unit_ratings
    )
    return [(place, *row) for place, row in enumerate(rows)]


def _marks(count: int) -> str:
    return "(" + ", ".join("?" * count) + ")"


def refresh(query: Query, store: Store, ticket_uuids: Iterable[str]) -> int:
    """Fold the tickets' whole histories again and rewrite their facts; call
    inside the transaction that wrote their events. Returns how many."""
    wanted = sorted(set(ticket_uuids))
    done = 0
    for start in range(0, len(wanted), CHUNK):
        done += _refresh_chunk(query, store, wanted[start : start + CHUNK])
    return done


def _refresh_chunk(query: Query, store: Store, uuids: list[str]) -> int:
    marks = ", ".join("?" * len(uuids))
    tickets = query(
        f"SELECT id, {', '.join(TICKET_FIELDS)} FROM ticket WHERE uuid IN ({marks})",
        uuids,
    )
    if not tickets:
        forget_facts(query, f"ticket_uuid IN ({marks})", uuids, store.report_days)
        return 0
    rows = {
        str(row[1]): dict(zip(TICKET_FIELDS, row[1:], strict=True)) for row in tickets
    }
    seqs = {str(row[1]): int(row[0]) for row in tickets}
    keys = (
        list(rows)
        if store.event_key == "ticket_uuid"
        else [str(row["ticket_no"]) for row in rows.values()]
    )
    uuid_of = {str(row["ticket_no"]): uuid for uuid, row in rows.items()}
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    key_marks = ", ".join("?" * len(keys))
    # Only the payloads a figure reads: a received event's is the whole
    # ticket, a note's its text (kiosk.reports.payload_of skips them).
    columns = ", ".join(
        FOLDED_PAYLOAD if field == "payload" else field for field in EVENT_FIELDS
    )
    for found in query(
        f"SELECT {store.event_key}, {columns} FROM "
        f"{store.event_table} WHERE {store.event_key} IN ({key_marks}) ORDER BY id",
        keys,
    ):
        owner = (
            str(found[0])
            if store.event_key == "ticket_uuid"
            else uuid_of.get(str(found[0]), "")
        )
        events[owner].append(dict(zip(EVENT_FIELDS, found[1:], strict=True)))
    facts_rows = []
    units = []
    for uuid, ticket in rows.items():
        ticket_row, ticket_units = fold(ticket, events.get(uuid, []), seqs[uuid])
        facts_rows.append(ticket_row)
        units.extend(ticket_units)
    present = list(rows)
    present_marks = ", ".join("?" * len(present))
    changes = places_of(query, f"ticket_uuid IN ({present_marks})", present, sign=-1)
    day_changes = (
        report_days_of(query, present, sign=-1) if store.report_days else Counter()
    )
    for row in facts_rows:
        place = place_of_fact(row)
        if place is not None:
            changes[place] += 1
    query(f"DELETE FROM unit_fact WHERE ticket_uuid IN ({present_marks})", present)
    updates = ", ".join(f"{column} = excluded.{column}" for column in FACT_COLUMNS[1:])
    for start in range(0, len(facts_rows), 200):
        part = facts_rows[start : start + 200]
        query(
            f"INSERT INTO ticket_fact ({', '.join(FACT_COLUMNS)}) VALUES "
            + ", ".join([_marks(len(FACT_COLUMNS))] * len(part))
            + f" ON CONFLICT (ticket_uuid) DO UPDATE SET {updates}",
            [value for row in part for value in row],
        )
    for start in range(0, len(units), 200):
        part = units[start : start + 200]
        query(
            f"INSERT INTO unit_fact ({', '.join(UNIT_COLUMNS)}) VALUES "
            + ", ".join([_marks(len(UNIT_COLUMNS))] * len(part)),
            [value for row in part for value in row],
        )
    place_changes(query, changes)
    if store.report_days:
        day_changes.update(report_days_of(query, present))
        report_day_changes(query, day_changes)
    return len(facts_rows)


PlaceKey = tuple[int, str, str, str]  # day, station, category, building
_FACT_AT = {name: index for index, name in enumerate(FACT_COLUMNS)}


def place_of_fact(row: Sequence[Any]) -> PlaceKey | None:
    """The ``place_day`` key a ``ticket_fact`` row counts under, if any."""
    if row[_FACT_AT["duplicate"]] or not row[_FACT_AT["received_us"]]:
        return None
    return (
        day_of(int(row[_FACT_AT["received_us"]])),
        str(row[_FACT_AT["station"]]),
        str(row[_FACT_AT["category"]]),
        str(row[_FACT_AT["building"]]),
    )


def places_of(
    query: Query, where: str, params: Sequence[Any], sign: int = 1
) -> Counter[PlaceKey]:
    """What the ``ticket_fact`` rows ``where`` count in ``place_day``, each
    ``sign`` times."""
    found: Counter[PlaceKey] = Counter()
    for received_us, station, category, building in query(
        "SELECT received_us, station, category, building FROM ticket_fact "
        f"WHERE {where} AND duplicate = 0 AND received_us <> 0",
        params,
    ):
        key = (day_of(int(received_us)), str(station), str(category), str(building))
        found[key] += sign
    return found


def place_changes(query: Query, changes: Counter[PlaceKey]) -> None:
    """Add ``changes`` to ``place_day``, in key order (two writers at once
    take the rows' locks in the same order); a count that reaches 0 goes."""
    _add_counts(
        query,
        "place_day",
        ("day", "station", "category", "building"),
        "day, category, building, station",
        changes,
    )


def _add_counts(
    query: Query,
    table: str,
    columns: Sequence[str],
    conflict: str,
    changes: Counter[Any],
) -> None:
    """Add ``changes`` (keyed by ``columns``' values) to ``table``'s
    ``tickets``, in key order; a count that reaches 0 goes. ``conflict`` is
    the table's primary key."""
    wanted = sorted((key, change) for key, change in changes.items() if change)
    row_marks = _marks(len(columns) + 1)
    for start in range(0, len(wanted), 200):
        part = wanted[start : start + 200]
        query(
            f"INSERT INTO {table} ({', '.join(columns)}, tickets) VALUES "
            + ", ".join([row_marks] * len(part))
            + f" ON CONFLICT ({conflict}) DO UPDATE "
            f"SET tickets = {table}.tickets + excluded.tickets",
            [value for key, change in part for value in (*key, change)],
        )
    where = " AND ".join(f"{column} = ?" for column in columns)
    for key, change in wanted:
        if change < 0:
            query(f"DELETE FROM {table} WHERE {where} AND tickets = 0", key)


def forget_facts(
    query: Query, where: str, params: Sequence[Any], report_days: bool = True
) -> None:
    """Delete the ``ticket_fact`` rows ``where``, and what they counted
    (in ``report_day`` too where this end keeps it)."""
    changes = places_of(query, where, params, sign=-1)
    uuids = [
        str(row[0])
        for row in query(f"SELECT ticket_uuid FROM ticket_fact WHERE {where}", params)
    ]
    day_changes = report_days_of(query, uuids, sign=-1) if report_days else Counter()
    for start in range(0, len(uuids), CHUNK):
        part = uuids[start : start + CHUNK]
        query(f"DELETE FROM unit_fact WHERE ticket_uuid IN ({_marks(len(part))})", part)
    query(f"DELETE FROM ticket_fact WHERE {where}", params)
    place_changes(query, changes)
    if report_days:
        report_day_changes(query, day_changes)


# ``place_day`` made again from ``ticket_fact`` (what the migrations do):
# for data written into ticket_fact without the fold (bench/).
PLACE_DAY_FROM_FACTS = (
    "INSERT INTO place_day (day, station, category, building, tickets) "
    f"SELECT (received_us + {DAY_SHIFT_US}) / {DAY_US}, station, category, "
    "building, count(*) FROM ticket_fact WHERE duplicate = 0 AND received_us <> 0 "
    "GROUP BY 1, 2, 3, 4"
)


def rebuild_place_days(query: Query) -> None:
    query("DELETE FROM place_day", ())
    query(PLACE_DAY_FROM_FACTS, ())


# ``report_day``: what a report's counts sum, per day (as ``place_day``'s),
# station, figure and key (a, b, c), counted from ``ticket_fact`` (every
# ticket, duplicates included, for the breakdowns and statuses; the rest
# without duplicates) and ``unit_fact`` (duplicates left out). Nothing in it
# depends on a setting: a delay (first action, check-in) is kept as its
# whole hours rounded up (0 when not after the start), which decides "within
# a limit of h hours" exactly for any whole h (kiosk/report_sums.py counts
# other limits from the facts); the durations from receipt (``hours``) as
# their whole hours rounded down (-1 when negative), which tells in which
# hour a median lies, read exactly from the facts of that hour. ``{facts}``
# and ``{units}`` select the rows counted (each with its own parameters,
# facts' first); the migrations that fill the table hold a frozen copy of
# this statement.
HOUR_US = 3600 * 10**6
REPORT_DAY_ROWS = """WITH t AS (
    SELECT * FROM ticket_fact WHERE received_us <> 0 AND {facts}
), u AS (
    SELECT * FROM unit_fact WHERE received_us <> 0 AND duplicate = 0 AND {units}
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
DayKey = tuple[int, str, str, str, str, int]  # day, station, figure, a, b, c


def report_days_of(
    query: Query, uuids: Sequence[str], sign: int = 1
) -> Counter[DayKey]:
    """What the tickets ``uuids``' facts count in ``report_day``, each
    ``sign`` times."""
    found: Counter[DayKey] = Counter()
    for start in range(0, len(uuids), CHUNK):
        part = list(uuids[start : start + CHUNK])
        marks = ", ".join("?" * len(part))
        where = f"ticket_uuid IN ({marks})"
        for day, station, figure, a, b, c, weight in query(
            REPORT_DAY_ROWS.format(facts=where, units=where), [*part, *part]
        ):
            key = (int(day), str(station), str(figure), str(a), str(b), int(c))
            found[key] += sign * int(weight)
    return found


def report_day_changes(query: Query, changes: Counter[DayKey]) -> None:
    """Add ``changes`` to ``report_day``, in key order; a count that reaches
    0 goes."""
    _add_counts(
        query,
        "report_day",
        ("day", "station", "figure", "a", "b", "c"),
        "day, figure, a, b, c, station",
        changes,
    )


def add_report_days(query: Query, uuids: Sequence[str]) -> None:
    """Count new tickets' facts (written without the fold) in ``report_day``."""
    report_day_changes(query, report_days_of(query, uuids))


# ``report_day`` made again from the facts (what the migrations do): for
# data written into the fact tables without the fold (bench/).
REPORT_DAY_FROM_FACTS = (
    "INSERT INTO report_day (day, station, figure, a, b, c, tickets)\n"
    + REPORT_DAY_ROWS.format(facts="true", units="true")
)


def rebuild_report_days(query: Query) -> None:
    query("DELETE FROM report_day", ())
    query(REPORT_DAY_FROM_FACTS, ())


def fold(
    ticket: dict[str, Any], history: Sequence[dict[str, Any]], seq: int
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """A ticket's ``ticket_fact`` row and ``unit_fact`` rows, folded from its
    row (``TICKET_FIELDS``) and its whole history (``EVENT_FIELDS``, in the
    order written); ``seq`` is the ticket's row id."""
    facts = ticket_facts(ticket, history, None, END_OF_TIME)
    return fact_row(facts, seq, optional_micros(facts.last_event_at)), unit_rows(facts)


def stale(query: Query, limit: int = CHUNK) -> list[str]:
    """Tickets whose facts are to be folded (again): marked by the migration
    that made the tables, or by the station's trigger on a new event that
    no write path folded."""
    return [
        str(row[0])
        for row in query(
            "SELECT ticket_uuid FROM ticket_fact WHERE folded = 0 LIMIT ?", (limit,)
        )
    ]


def refresh_stale(query: Query, store: Store) -> int:
    """Fold every ticket marked stale, in this transaction; returns how many."""
    done = 0
    while (folded := refresh_some_stale(query, store)) is not None:
        done += folded
    return done


def refresh_some_stale(query: Query, store: Store) -> int | None:
    """Fold up to ``CHUNK`` tickets marked stale (one short transaction's
    work, so that a backlog never holds the database for long); None when
    none is marked."""
    uuids = stale(query)
    if not uuids:
        return None
    folded = refresh(query, store, uuids)
    if folded < len(uuids):
        # Marks left by tickets that no longer exist.
        marks = ", ".join("?" * len(uuids))
        forget_facts(
            query,
            f"folded = 0 AND ticket_uuid IN ({marks})",
            uuids,
            store.report_days,
        )
    return folded


def facts_are_stale(query: Query) -> bool:
    return bool(query("SELECT 1 FROM ticket_fact WHERE folded = 0 LIMIT 1", ()))
