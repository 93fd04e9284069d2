"""The month's report summed in SQL from the stored facts (kiosk/report_facts.py).

At a station, whose days are dense (hundreds of tickets a day at a large
one), a month's counts are summed from the days' counts kept with the facts
(``report_day``; the hot spots' from ``place_day``), the part of a day at
either end and what depends on ``as_of`` from the facts, and a hot spot's
most recent tickets are found by an index. At the central, whose stations'
days are sparse (a few tickets each, fewer than their kept counts), the
month's facts are summed as they are, grouped by station. Both feed the same
code (``kiosk.reports.assemble``, ``UnitTable``, ``found_hot_spots``,
``streaks``) as the figures folded from events, so all give the same
report; the tests hold each way to the fold. The stored facts know every
event; a report asked for an ``as_of`` before some ticket's last event (a
past moment) is folded from the events instead (``needs_events``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

from db import database, write_transaction
from kiosk.catalog import Catalog
from kiosk.config import Settings
from kiosk.report_facts import (
    DAY_SHIFT_US,
    DAY_US,
    HOUR_US,
    REPORT_DAY_ROWS,
    STATION_STORE,
    Query,
    day_start_us,
    facts_are_stale,
    micros,
    refresh_some_stale,
    span_micros,
    station_query,
)
from kiosk.reports import (
    CLOSED,
    DURATIONS,
    IN_HAND,
    OPEN,
    SPOT_LISTED,
    WITHDRAWN,
    GroupKey,
    Period,
    Rules,
    Tally,
    UnitTable,
    assemble,
    days_period,
    found_hot_spots,
    month_labels,
    month_period,
    month_report,
    previous_month,
    read_station,
    read_window,
    station_rules,
    streaks,
)

SUMMARY = ("tickets", "response_rate", "resolution_rate", "satisfaction_rate")
SUMMARY_SCORE = (*SUMMARY, "composite_score")
# The one group of a station's own report.
WHOLE = ""


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(_quoted(value) for value in sorted(values)) + ")"


def limit_sql(rules: Rules, column: str = "category") -> str:
    """Each category's response limit in microseconds, as SQL."""
    default = span_micros(rules.response_limit("\0"))
    whens = " ".join(
        f"WHEN {_quoted(category.code)} THEN "
        f"{span_micros(rules.response_limit(category.code))}"
        for category in rules.catalog.categories
    )
    return f"(CASE {column} {whens} ELSE {default} END)" if whens else str(default)


@dataclass
class Group:
    """One station's (or the whole report's) counts as summed in SQL."""

    current: Tally = field(default_factory=Tally)
    previous: Tally = field(default_factory=Tally)
    breakdown: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    # Durations from receipt: how many in each whole hour (``duration_hour``)
    # and, for the hours a median or p90 falls in, every value (whole
    # microseconds).
    hour_counts: dict[str, Counter[int]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    hour_values: dict[str, dict[int, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    unit_rows: list[tuple[Any, ...]] = field(default_factory=list)
    # Tickets per hot-spot key in the hot spots' days, and each key's listed
    # (most recent) tickets.
    spot_sizes: Counter[GroupKey] = field(default_factory=Counter)
    spot_listed: dict[GroupKey, tuple[str, ...]] = field(default_factory=dict)
    # Tickets per key in the month (0) and in each month before it (1, 2...),
    # and the listed tickets of the month's recurring keys.
    month_counts: dict[int, Counter[GroupKey]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    month_listed: dict[GroupKey, tuple[str, ...]] = field(default_factory=dict)


def needs_events(query: Query, low_us: int, high_us: int, as_of: datetime) -> bool:
    """Whether a ticket received in [low, high) has an event after ``as_of``:
    then the stored facts say more than was known at ``as_of``."""
    return bool(
        query(
            # +received_us: found by the last event's index (few rows are
            # past as_of), not by the receipt's (months of rows).
            "SELECT 1 FROM ticket_fact WHERE last_event_us > ? "
            "AND +received_us >= ? AND +received_us < ? LIMIT 1",
            (micros(as_of), low_us, high_us),
        )
    )


def whole_hours(limit_us: int) -> int | None:
    """A response limit as whole hours, which ``report_day``'s delays (whole
    hours rounded up) decide exactly; None for any other limit."""
    hours, rest = divmod(limit_us, HOUR_US)
    return hours if not rest else None


# The figures a month's ``Tally`` needs (last month's report needs no more).
TALLY_FIGURES = (
    "category",
    "duplicate",
    "status",
    "reached",
    "unreachable",
    "reopened",
    "reopenings",
    "response",
)


def day_counts(
    query: Query,
    low_us: int,
    high_us: int,
    *,
    by_station: bool,
    figures: Sequence[str] | None = None,
) -> list[tuple[str, str, str, str, int, int]]:
    """What ``report_day`` counts for tickets received in [low, high), per
    station (or ``WHOLE``), figure and key (of ``figures`` only, or all):
    the whole days from the table, the part of a day at either end from the
    facts (the same statement as the table's). Rows may repeat a key (added
    up by the caller)."""
    group = "station" if by_station else "''"
    only = f" AND figure IN {_in(figures)}" if figures else ""
    first_day = -(-(low_us + DAY_SHIFT_US) // DAY_US)  # the first whole day
    end_day = (high_us + DAY_SHIFT_US) // DAY_US  # the day [high) falls in
    rows: list[tuple[str, str, str, str, int, int]] = []
    edges = [(low_us, high_us)]
    if first_day < end_day:
        rows.extend(
            (str(code), str(figure), str(a), str(b), int(c), int(count))
            for code, figure, a, b, c, count in query(
                f"SELECT {group}, figure, a, b, c, sum(tickets) FROM report_day "
                f"WHERE day >= ? AND day < ?{only} GROUP BY 1, 2, 3, 4, 5",
                (first_day, end_day),
            )
        )
        edges = [(low_us, day_start_us(first_day)), (day_start_us(end_day), high_us)]
    span = "received_us >= ? AND received_us < ?"
    for edge_low, edge_high in edges:
        if edge_low >= edge_high:
            continue
        rows.extend(
            (str(station) if by_station else WHOLE, str(figure), str(a), str(b),
             int(c), int(count))
            for _, station, figure, a, b, c, count in query(
                REPORT_DAY_ROWS.format(facts=span, units=span),
                (edge_low, edge_high, edge_low, edge_high),
            )
        )  # fmt: skip
    return rows


@dataclass
class _Delays:
    """Delays in whole hours rounded up, per (unit or '', category)."""

    hours: dict[tuple[str, str], Counter[int]] = field(
        default_factory=lambda: defaultdict(Counter)
    )

    def within(self, key: tuple[str, str], limit_hours: int) -> int:
        return sum(
            count for hours, count in self.hours[key].items() if hours <= limit_hours
        )


def _sum_period(
    query: Query,
    groups: dict[str, Group],
    low_us: int,
    high_us: int,
    rules: Rules,
    as_of_us: int,
    *,
    current: bool,
    by_station: bool,
) -> None:
    """One month's ``Tally`` (and, for the report's own month, its
    breakdowns and units' counts) per station, from ``report_day``; what
    depends on ``as_of`` (tickets without a first action, overdue ones) and
    any limit that is not whole hours from the facts."""
    group = "station" if by_station else "''"
    limits = {
        category.code: span_micros(rules.response_limit(category.code))
        for category in rules.catalog.categories
    }
    default_limit = span_micros(rules.response_limit("\0"))

    def limit_of(category: str) -> int:
        return limits.get(category, default_limit)

    tallies: dict[str, Tally] = defaultdict(Tally)
    responses: dict[str, _Delays] = defaultdict(_Delays)
    check_ins: dict[str, _Delays] = defaultdict(_Delays)
    for code, figure, a, b, c, count in day_counts(
        query,
        low_us,
        high_us,
        by_station=by_station,
        figures=None if current else TALLY_FIGURES,
    ):
        counts = tallies[code]
        if figure == "category":
            counts.tickets += count
        elif figure == "duplicate":
            counts.duplicates += count
        elif figure == "status":
            counts.open += count if a in OPEN else 0
            counts.closed += count if a == CLOSED else 0
            counts.withdrawn += count if a == WITHDRAWN else 0
        elif figure == "reached":
            counts.called_back += count
            counts.solved += count if c else 0
            counts.satisfied += count if a == "satisfied" else 0
            counts.basically_satisfied += count if a == "basically_satisfied" else 0
            counts.dissatisfied += count if a == "dissatisfied" else 0
        elif figure == "unreachable":
            counts.unreachable += count
        elif figure == "reopened":
            counts.reopened_tickets += count
        elif figure == "reopenings":
            counts.reopenings += count
        elif figure == "response":
            responses[code].hours[("", a)][c] += count
        elif figure == "check_in":
            check_ins[code].hours[(a, b)][c] += count
        if not current:
            continue
        found = groups[code]
        if figure in ("category", "unit", "channel"):
            found.breakdown[figure][a] += count
        elif figure == "item":
            found.breakdown["item"][f"{a}/{b}"] += count
        elif figure == "building":
            found.breakdown["grid"][rules.grid_of(a) or "-"] += count
            found.breakdown["building"][a or "-"] += count
        elif figure == "hours":
            found.hour_counts[a][c] += count
        elif figure.startswith("unit_"):
            found.unit_rows.append((a, figure[len("unit_") :], b, count, 0, 0))
    # Limits that are not whole hours: counted from the facts.
    odd = sorted(
        {
            category
            for delays in (*responses.values(), *check_ins.values())
            for _, category in delays.hours
            if whole_hours(limit_of(category)) is None
        }
    )
    span = "received_us >= ? AND received_us < ?"
    odd_responded: dict[str, int] = defaultdict(int)
    odd_in_time: dict[tuple[str, str], int] = defaultdict(int)
    if odd:
        limit = limit_sql(rules)
        for code, count in query(
            f"SELECT {group}, count(*) FROM ticket_fact WHERE {span} "
            f"AND duplicate = 0 AND category IN {_in(odd)} "
            f"AND first_action_us IS NOT NULL "
            f"AND first_action_us <= received_us + {limit} GROUP BY 1",
            (low_us, high_us),
        ):
            odd_responded[str(code)] += int(count)
        if current:
            for code, unit, count in query(
                f"SELECT {group}, unit, count(*) FROM unit_fact WHERE {span} "
                f"AND duplicate = 0 AND kind = 'dispatch' AND category IN {_in(odd)} "
                f"AND check_in_us IS NOT NULL AND check_in_us - at_us <= {limit} "
                "GROUP BY 1, 2",
                (low_us, high_us),
            ):
                odd_in_time[(str(code), str(unit))] += int(count)
    for code, delays in responses.items():
        counts = tallies[code]
        for key, hours in delays.hours.items():
            acted = sum(hours.values())
            limit_hours = whole_hours(limit_of(key[1]))
            in_time = delays.within(key, limit_hours) if limit_hours is not None else 0
            counts.responded += in_time
            counts.late += acted - in_time
        counts.responded += odd_responded.get(code, 0)
        counts.late -= odd_responded.get(code, 0)
    # Tickets without a first action: late once their limit has passed.
    for code, category, received_us in query(
        f"SELECT {group}, category, received_us FROM ticket_fact "
        f"WHERE first_action_us IS NULL AND {span} AND duplicate = 0",
        (low_us, high_us),
    ):
        counts = tallies[str(code)]
        if as_of_us > int(received_us) + limit_of(str(category)):
            counts.late += 1
        else:
            counts.pending += 1
    for code, count in query(
        f"SELECT {group}, count(*) FROM ticket_fact WHERE status IN {_in(IN_HAND)} "
        f"AND {span} AND due_us IS NOT NULL AND due_us < ? GROUP BY 1",
        (low_us, high_us, as_of_us),
    ):
        tallies[str(code)].overdue += int(count)
    for code, counts in tallies.items():
        if not counts.tickets:
            continue
        if current:
            groups[code].current = counts
        else:
            groups[code].previous = counts
    if not current:
        return
    for code, delays in check_ins.items():
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for (unit, category), hours in delays.hours.items():
            limit_hours = whole_hours(limit_of(category))
            table[unit][0] += sum(hours.values())
            if limit_hours is not None:
                table[unit][1] += delays.within((unit, category), limit_hours)
        for (odd_code, unit), count in odd_in_time.items():
            if odd_code == code:
                table[unit][1] += count
        groups[code].unit_rows.extend(
            (unit, "check_in", "", 0, checked_in, in_time)
            for unit, (checked_in, in_time) in table.items()
        )


def _tally_sql(group: str, rules: Rules, *, by_station: bool) -> str:
    """One month's ``Tally`` counts (parameters: as_of three times, the
    month's bounds, as_of); grouped by station only at the central: the
    station's one group needs no GROUP BY, whose sort of every row's
    columns is most of the cost in SQLite."""
    limit = limit_sql(rules)
    counted = "duplicate = 0"
    reached = f"{counted} AND called_back = 1 AND unreachable = 0"

    def count(condition: str) -> str:
        return f"count(*) FILTER (WHERE {condition})"

    return (
        f"SELECT {group}, count(*), "
        f"count(*) FILTER (WHERE duplicate = 1), "
        + ", ".join(
            [
                count(
                    f"{counted} AND first_action_us IS NOT NULL "
                    f"AND first_action_us <= received_us + {limit}"
                ),
                count(
                    f"{counted} AND ((first_action_us IS NOT NULL "
                    f"AND first_action_us > received_us + {limit}) "
                    f"OR (first_action_us IS NULL AND ? > received_us + {limit}))"
                ),
                count(
                    f"{counted} AND first_action_us IS NULL "
                    f"AND ? <= received_us + {limit}"
                ),
                count(reached),
                count(f"{counted} AND called_back = 1 AND unreachable = 1"),
                count(f"{reached} AND solved = 1"),
                count(f"{reached} AND rating = 'satisfied'"),
                count(f"{reached} AND rating = 'basically_satisfied'"),
                count(f"{reached} AND rating = 'dissatisfied'"),
                count(f"{counted} AND reopened > 0"),
                f"coalesce(sum(reopened) FILTER (WHERE {counted}), 0)",
                count(f"status IN {_in(OPEN)}"),
                count(
                    f"status IN {_in(IN_HAND)} AND due_us IS NOT NULL AND due_us < ?"
                ),
                count(f"status = {_quoted(CLOSED)}"),
                count(f"status = {_quoted(WITHDRAWN)}"),
            ]
        )
        + " FROM ticket_fact WHERE received_us >= ? AND received_us < ? "
        "AND received_us <= ?" + (" GROUP BY 1" if by_station else "")
    )


TALLY_ORDER = (
    "tickets",
    "duplicates",
    "responded",
    "late",
    "pending",
    "called_back",
    "unreachable",
    "solved",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "reopened_tickets",
    "reopenings",
    "open",
    "overdue",
    "closed",
    "withdrawn",
)


class GridOf:
    """``Rules.grid_of``, remembered per building."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.known: dict[str, str] = {}

    def __call__(self, building: str) -> str:
        grid = self.known.get(building)
        if grid is None:
            grid = self.known[building] = self.rules.grid_of(building)
        return grid


def sum_months(
    query: Query,
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
    *,
    by_station: bool,
) -> dict[str, Group]:
    """Every count a month's report needs, per station (``by_station``) or
    for the one station whose database this is (under ``WHOLE``)."""
    period = month_period(month, zone)
    before = month_period(previous_month(month), zone)
    as_of_us = micros(as_of)
    stop = as_of_us + 1  # nothing received after as_of
    start_us, end_us = micros(period.start), micros(period.end)
    groups: dict[str, Group] = defaultdict(Group)
    if by_station:
        _sum_facts(query, groups, month, zone, rules, as_of)
        _sum_spots(query, groups, month, zone, rules, as_of, by_station=True)
        return groups
    for current, low_us, high_us in (
        (True, start_us, end_us),
        (False, micros(before.start), start_us),
    ):
        if low_us < min(high_us, stop):
            _sum_period(
                query,
                groups,
                low_us,
                min(high_us, stop),
                rules,
                as_of_us,
                current=current,
                by_station=by_station,
            )
    _sum_durations(query, groups, start_us, min(end_us, stop), by_station=by_station)
    _sum_spots(query, groups, month, zone, rules, as_of, by_station=by_station)
    return groups


def _sum_facts(
    query: Query,
    groups: dict[str, Group],
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
) -> None:
    """The counts of ``_sum_period`` and the durations, per station, summed
    from the facts of the month as they are (the central's)."""
    period = month_period(month, zone)
    before = month_period(previous_month(month), zone)
    as_of_us = micros(as_of)
    start_us, end_us = micros(period.start), micros(period.end)
    tally_sql = _tally_sql("station", rules, by_station=True)
    for current, low_us, high_us in (
        (True, start_us, end_us),
        (False, micros(before.start), start_us),
    ):
        for row in query(
            tally_sql, (as_of_us, as_of_us, as_of_us, low_us, high_us, as_of_us)
        ):
            counts = Tally(
                **{
                    name: int(value or 0)
                    for name, value in zip(TALLY_ORDER, row[1:], strict=True)
                }
            )
            if current:
                groups[str(row[0])].current = counts
            else:
                groups[str(row[0])].previous = counts
    month_rows = "received_us >= ? AND received_us < ? AND received_us <= ?"
    month_params = (start_us, end_us, as_of_us)
    for code, category, item, unit, building, channel, count in query(
        "SELECT station, category, item, unit, building, channel, count(*) "
        f"FROM ticket_fact WHERE {month_rows} GROUP BY 1, 2, 3, 4, 5, 6",
        month_params,
    ):
        breakdown = groups[str(code)].breakdown
        count = int(count)
        breakdown["category"][category] += count
        breakdown["item"][f"{category}/{item}"] += count
        breakdown["unit"][unit] += count
        breakdown["grid"][rules.grid_of(building) or "-"] += count
        breakdown["building"][building or "-"] += count
        breakdown["channel"][channel] += count
    for code, *spans in query(
        "SELECT station, first_dispatch_us - received_us, "
        "first_check_in_us - received_us, resolved_us - received_us "
        f"FROM ticket_fact WHERE {month_rows} AND duplicate = 0",
        month_params,
    ):
        found = groups[str(code)]
        for name, value in zip(DURATIONS, spans, strict=True):
            if value is not None:
                hour = duration_hour(int(value))
                found.hour_counts[name][hour] += 1
                found.hour_values[name][hour].append(int(value))
    limit = limit_sql(rules)
    for code, unit, kind, rating, count, checked_in, in_time in query(
        "SELECT station, unit, kind, rating, count(*), "
        "count(*) FILTER (WHERE check_in_us IS NOT NULL), "
        "count(*) FILTER (WHERE check_in_us IS NOT NULL "
        f"AND check_in_us - at_us <= {limit}) "
        f"FROM unit_fact WHERE {month_rows} AND duplicate = 0 "
        "GROUP BY 1, 2, 3, 4",
        month_params,
    ):
        rows = groups[str(code)].unit_rows
        rows.append((unit, kind, rating, int(count), 0, 0))
        if kind == "dispatch":
            rows.append((unit, "check_in", "", 0, int(checked_in), int(in_time)))


SHARES = (0.5, 0.9)  # median and p90
DURATION_COLUMNS = {
    "to_dispatch": "first_dispatch_us",
    "to_check_in": "first_check_in_us",
    "to_resolve": "resolved_us",
}


def duration_hour(value_us: int) -> int:
    """The whole hour a duration lies in, as ``report_day`` keeps it (-1
    for any negative one)."""
    return -1 if value_us < 0 else value_us // HOUR_US


def _rank(share: float, count: int) -> int:
    """The nearest rank (as ``kiosk.reports.percentile``)."""
    return max(1, math.ceil(share * count))


def _hour_of_rank(counts: Counter[int], rank: int) -> tuple[int, int]:
    """The hour holding the ``rank``-th smallest value, and how many values
    lie in the hours before it."""
    below = 0
    for hour in sorted(counts):
        if below + counts[hour] >= rank:
            return hour, below
        below += counts[hour]
    raise ValueError(f"rank {rank} of {below}")


def _sum_durations(
    query: Query,
    groups: dict[str, Group],
    low_us: int,
    high_us: int,
    *,
    by_station: bool,
) -> None:
    """Read, for each duration, the values of the hours its median and p90
    fall in (of every station, and of all of them together at the central):
    a few thousand rows of the month, not all."""
    wanted: dict[str, set[int]] = defaultdict(set)
    whole = merged(groups.values()) if by_station else None
    for found in [*groups.values(), *([whole] if whole else [])]:
        for name, counts in found.hour_counts.items():
            total = sum(counts.values())
            for share in SHARES:
                wanted[name].add(_hour_of_rank(counts, _rank(share, total))[0])
    if not wanted:
        return
    group = "station" if by_station else "''"
    columns = [DURATION_COLUMNS[name] for name in DURATIONS]
    hour_sql = (
        "(CASE WHEN {column} < received_us THEN -1 "
        f"ELSE ({{column}} - received_us) / {HOUR_US} END)"
    )
    chosen = " OR ".join(
        f"{hour_sql.format(column=DURATION_COLUMNS[name])} IN "
        f"({', '.join(str(int(hour)) for hour in sorted(hours))})"
        for name, hours in wanted.items()
    )
    for code, *spans in query(
        f"SELECT {group}, "
        + ", ".join(f"{column} - received_us" for column in columns)
        + " FROM ticket_fact WHERE received_us >= ? AND received_us < ? "
        f"AND duplicate = 0 AND ({chosen})",
        (low_us, high_us),
    ):
        values = groups[str(code)].hour_values
        for name, value in zip(DURATIONS, spans, strict=True):
            if value is None:
                continue
            hour = duration_hour(int(value))
            if hour in wanted.get(name, ()):
                values[name][hour].append(int(value))


def durations_of(group: Group) -> dict[str, dict[str, Any]]:
    """``count``, ``median`` and ``p90`` in hours of each duration, from its
    hours' counts and the values read of the hours they fall in: the
    nearest-rank values (``kiosk.reports.percentile``) over every one."""
    durations: dict[str, dict[str, Any]] = {}
    for name, counts in group.hour_counts.items():
        total = sum(counts.values())
        if not total:
            continue
        figures: dict[str, Any] = {"count": total}
        for label, share in zip(("median", "p90"), SHARES, strict=True):
            rank = _rank(share, total)
            hour, below = _hour_of_rank(counts, rank)
            ordered = sorted(group.hour_values[name][hour])
            figures[label] = round(ordered[rank - below - 1] / 10**6 / 3600, 3)
        durations[name] = figures
    return durations


def spot_window(period: Period, as_of: datetime, zone: ZoneInfo, days: int) -> Period:
    """The hot spots' days: those ending with the month's last day, or with
    ``as_of`` when it is sooner."""
    return days_period(min(as_of, period.end - timedelta(microseconds=1)), days, zone)


def _spot_keys(category: str, building: str, grid_of: GridOf) -> list[GroupKey]:
    """The hot-spot keys a ticket of ``category`` at ``building`` counts in."""
    keys: list[GroupKey] = []
    if building:
        keys.append((category, "building", building))
    grid = grid_of(building)
    if grid:
        keys.append((category, "grid", grid))
    return keys


# A listed ticket as read: received_us, ticket_uuid, seq, ticket_no.
Listed = tuple[int, str, int, str]


def _sum_spots(
    query: Query,
    groups: dict[str, Group],
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
    *,
    by_station: bool,
) -> None:
    """The hot spots' and recurring spots' counts, and the most recent
    tickets of those that are hot: at a station from ``place_day`` (the part
    days at the ends from ``ticket_fact``) and the index of each place's
    tickets; at the central, whose stations' days are sparse (a few tickets
    each), from the month's facts as read; the months before from
    ``place_day`` at both."""
    group = "station" if by_station else "''"
    period = month_period(month, zone)
    window = spot_window(period, as_of, zone, rules.settings.hotspot_days)
    stop = micros(as_of) + 1  # nothing received after as_of
    window_span = (micros(window.start), min(micros(window.end), stop))
    month_span = (micros(period.start), min(micros(period.end), stop))
    grid_of = GridOf(rules)
    # The buildings each station's keys are made of, to list their tickets.
    window_places: dict[tuple[str, GroupKey], set[str]] = defaultdict(set)
    month_places: dict[tuple[str, GroupKey], set[str]] = defaultdict(set)
    # The central's tickets of the window and month, as read (sparse).
    read: dict[tuple[str, str, str], list[Listed]] = defaultdict(list)
    if by_station:
        low, high = (
            min(window_span[0], month_span[0]),
            max(window_span[1], month_span[1]),
        )
        window_sizes: Counter[tuple[str, str, str]] = Counter()
        month_sizes: Counter[tuple[str, str, str]] = Counter()
        for code, category, building, received_us, uuid, seq, number in query(
            "SELECT station, category, building, received_us, ticket_uuid, seq, "
            "ticket_no FROM ticket_fact WHERE duplicate = 0 "
            "AND received_us >= ? AND received_us < ?",
            (low, high),
        ):
            row = (int(received_us), str(uuid), int(seq), str(number))
            place = (str(code), str(category), str(building))
            read[place].append(row)
            if window_span[0] <= row[0] < window_span[1]:
                window_sizes[place] += 1
            if month_span[0] <= row[0] < month_span[1]:
                month_sizes[place] += 1
        counted = [
            (window_span, window_places, False, window_sizes),
            (month_span, month_places, True, month_sizes),
        ]
    else:
        counted = []
        for span, places, current in (
            (window_span, window_places, False),
            (month_span, month_places, True),
        ):
            sizes_of: Counter[tuple[str, str, str]] = Counter()
            if span[0] < span[1]:
                # Rows may repeat a place (whole days, part days).
                for code, category, building, count in place_counts(
                    query, group, span[0], span[1], None
                ):
                    sizes_of[(str(code), str(category), str(building))] += int(count)
            counted.append((span, places, current, sizes_of))
    for _, places, current, found_sizes in counted:
        for (code, category, building), count in found_sizes.items():
            if not count:
                continue
            found = groups[code]
            sizes = found.month_counts[0] if current else found.spot_sizes
            for key in _spot_keys(category, building, grid_of):
                sizes[key] += count
                places[(code, key)].add(building)
    least = rules.settings.hotspot_count
    wanted = _recurring_candidates(groups, rules)
    if wanted:
        labels = month_labels(month)
        bounds = [micros(month_period(label, zone).start) for label in labels]
        # The months before this one, latest first (index 1 the month before);
        # at the central, of each station's own places only.
        earlier_places: list[tuple[str, ...]] = sorted(
            wanted if by_station else {place[1:] for place in wanted}
        )
        for index in range(1, len(labels)):
            month_low, month_high = bounds[index], min(bounds[index - 1], stop)
            if month_low >= month_high:
                continue
            for code, category, building, count in place_counts(
                query, group, month_low, month_high, earlier_places
            ):
                # Inline, not _spot_keys: a row per station and place of
                # five months at the central, each a container less.
                sizes = groups[str(code)].month_counts[index]
                if building:
                    sizes[(category, "building", building)] += int(count)
                grid = grid_of(str(building))
                if grid:
                    sizes[(category, "grid", grid)] += int(count)
    hot = [
        (code, key)
        for code, found in groups.items()
        for key, size in found.spot_sizes.items()
        if size >= least
    ]
    recurring = [
        (code, key)
        for code, found in groups.items()
        for key, size in found.month_counts[0].items()
        if size >= least and found.month_counts[1].get(key, 0) >= least
    ]
    for chosen, places, span, target in (
        (hot, window_places, window_span, "spot_listed"),
        (recurring, month_places, month_span, "month_listed"),
    ):
        wanted_places = {
            (code, key[0], building)
            for code, key in chosen
            for building in places[(code, key)]
        }
        latest = (
            {
                place: [row for row in read[place] if span[0] <= row[0] < span[1]]
                for place in wanted_places
            }
            if by_station
            else latest_tickets(query, span, wanted_places, by_station=False)
        )
        for code, key in chosen:
            merged_rows = [
                row
                for building in places[(code, key)]
                for row in latest.get((code, key[0], building), ())
            ]
            getattr(groups[code], target)[key] = listed_of(merged_rows)


def listed_of(rows: Iterable[Listed], listed: int = SPOT_LISTED) -> tuple[str, ...]:
    """The ``listed`` most recently received of ``rows``, in the order written
    (as ``kiosk.reports.latest`` picks them from folded facts)."""
    newest = sorted(rows, key=lambda row: (row[0], row[1]), reverse=True)[:listed]
    return tuple(row[3] for row in sorted(newest, key=itemgetter(2)))


def latest_tickets(
    query: Query,
    span: tuple[int, int],
    places: Iterable[tuple[str, str, str]],
    *,
    by_station: bool,
    listed: int = SPOT_LISTED,
) -> dict[tuple[str, str, str], list[Listed]]:
    """The ``listed`` most recently received tickets (duplicates left out) of
    each (station, category, building) in [low, high), each found by the
    index on category and building (ticket_fact_spot): a few rows per
    place, not the month's. The station's own report has one station, ''."""
    low, high = span
    station = "station = ? AND " if by_station else ""
    one = (
        "SELECT * FROM (SELECT "
        + ("station" if by_station else "''")
        + ", category, building, received_us, ticket_uuid, seq, ticket_no "
        f"FROM ticket_fact WHERE duplicate = 0 AND {station}category = ? "
        "AND building = ? AND received_us >= ? AND received_us < ? "
        f"ORDER BY received_us DESC, ticket_uuid DESC LIMIT {int(listed)}) AS latest"
    )
    wanted = sorted(places)
    found: dict[tuple[str, str, str], list[Listed]] = defaultdict(list)
    for start in range(0, len(wanted), 100):
        part = wanted[start : start + 100]
        params: list[Any] = []
        for code, category, building in part:
            params.extend(
                [code, category, building, low, high]
                if by_station
                else [category, building, low, high]
            )
        for code, category, building, received_us, uuid, seq, number in query(
            " UNION ALL ".join([one] * len(part)), params
        ):
            found[(str(code), str(category), str(building))].append(
                (int(received_us), str(uuid), int(seq), str(number))
            )
    return found


def place_counts(
    query: Query,
    group: str,
    low_us: int,
    high_us: int,
    places: Sequence[tuple[str, ...]] | None,
) -> list[tuple[Any, ...]]:
    """Tickets received in [low, high), duplicates left out, per ``group``,
    category and building, of the ``places`` only (all when None): (category,
    building) pairs, or (station, category, building) at the central. The
    whole days from ``place_day``, the part of a day at either end from
    ``ticket_fact``. Rows may repeat a key (added up by the caller)."""
    if places is None:
        return _place_counts(query, group, low_us, high_us, "true", [])
    if not places:
        return []
    columns = (
        "(station, category, building)"
        if len(places[0]) == 3
        else ("(category, building)")
    )
    marks = "(" + ", ".join("?" * len(places[0])) + ")"
    rows: list[tuple[Any, ...]] = []
    # A statement's parameters stay within either database's limit.
    for start in range(0, len(places), 2000):
        part = places[start : start + 2000]
        rows.extend(
            _place_counts(
                query,
                group,
                low_us,
                high_us,
                f"{columns} IN (VALUES {', '.join([marks] * len(part))})",
                [value for place in part for value in place],
            )
        )
    return rows


def _place_counts(
    query: Query,
    group: str,
    low_us: int,
    high_us: int,
    wanted: str,
    pair_values: list[Any],
) -> list[tuple[Any, ...]]:
    first_day = -(-(low_us + DAY_SHIFT_US) // DAY_US)  # the first whole day
    end_day = (high_us + DAY_SHIFT_US) // DAY_US  # the day [high) falls in
    rows: list[tuple[Any, ...]] = []
    edges = [(low_us, high_us)]
    if first_day < end_day:
        rows.extend(
            query(
                f"SELECT {group}, category, building, sum(tickets) FROM place_day "
                f"WHERE day >= ? AND day < ? AND {wanted} GROUP BY 1, 2, 3",
                (first_day, end_day, *pair_values),
            )
        )
        edges = [(low_us, day_start_us(first_day)), (day_start_us(end_day), high_us)]
    for edge_low, edge_high in edges:
        if edge_low >= edge_high:
            continue
        rows.extend(
            query(
                f"SELECT {group}, category, building, count(*) FROM ticket_fact "
                "WHERE duplicate = 0 AND received_us >= ? AND received_us < ? "
                f"AND {wanted} GROUP BY 1, 2, 3",
                (edge_low, edge_high, *pair_values),
            )
        )
    return rows


def _recurring_candidates(
    groups: dict[str, Group], rules: Rules
) -> set[tuple[str, str, str]]:
    """The (station, category, building) places whose earlier months can
    matter: those of each station's hot spots of the month by building, and
    every building of its hot spots by grid."""
    least = rules.settings.hotspot_count
    wanted: set[tuple[str, str, str]] = set()
    for code, group in groups.items():
        for (category, kind, place), size in group.month_counts[0].items():
            if size < least:
                continue
            if kind == "building":
                wanted.add((code, category, place))
                continue
            for each in rules.grids:
                if each.name == place:
                    wanted.update((code, category, name) for name in each.buildings)
                    wanted.add((code, category, each.name))
    return wanted


def _units(group: Group, rules: Rules) -> dict[str, dict[str, Any]]:
    table = UnitTable(rules)
    # By unit (then as read): units outside the catalog come in code order.
    for unit, kind, rating_given, count, checked_in, in_time in sorted(
        group.unit_rows, key=itemgetter(0)
    ):
        count = int(count)
        if kind == "dispatch":
            table.row(unit)["dispatched"] += count
        elif kind == "check_in":
            entry = table.row(unit)
            entry["checked_in"] += int(checked_in or 0)
            entry["checked_in_in_time"] += int(in_time or 0)
        elif kind == "resolve":
            table.row(unit)["resolved"] += count
        elif kind == "reopen":
            table.row(unit)["reopened"] += count
        elif kind == "rating":
            table.rated(unit, rating_given, count)
    return table.finish()


def report_of(
    group: Group,
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
    *,
    spots: bool = True,
) -> dict[str, Any]:
    """A month's report from its summed counts (the shape of
    ``kiosk.reports.month_report``)."""
    period = month_period(month, zone)
    before = month_period(previous_month(month), zone)
    durations = durations_of(group)
    report = assemble(group.current, group.breakdown, durations, period, as_of, rules)
    last = assemble(group.previous, {}, {}, before, as_of, rules)
    report["previous"] = {name: last[name] for name in SUMMARY_SCORE}
    report["previous"]["period"] = last["period"]
    report["units"] = _units(group, rules)
    if not spots:
        return report
    report["hotspots"] = [
        spot.as_dict()
        for spot in found_hot_spots(group.spot_sizes, group.spot_listed, rules)
    ]
    labels = month_labels(month)
    counts = [group.month_counts.get(index, Counter()) for index in range(len(labels))]
    report["recurring"] = [
        spot.as_dict() for spot in streaks(counts, group.month_listed, labels, rules)
    ]
    return report


def merged(groups: Iterable[Group]) -> Group:
    """All stations' counts together (the subdistrict's), without hot spots."""
    whole = Group()
    for part in groups:
        whole.current.add(part.current)
        whole.previous.add(part.previous)
        for name, counter in part.breakdown.items():
            whole.breakdown[name].update(counter)
        for name, counts in part.hour_counts.items():
            whole.hour_counts[name].update(counts)
        for name, by_hour in part.hour_values.items():
            for hour, values in by_hour.items():
                whole.hour_values[name][hour].extend(values)
        whole.unit_rows.extend(part.unit_rows)
    return whole


def station_month(
    settings: Settings,
    catalog: Catalog,
    month: str,
    as_of: datetime,
    *,
    all_tickets: bool = False,
) -> dict[str, Any]:
    """``kiosk report month``: this station's month, summed from its stored
    facts (what is marked stale folded first), or folded from its events
    when ``as_of`` is before some ticket's last event. Each hot spot lists
    its most recent tickets, or every one with ``all_tickets`` (what a plan
    item or the meeting's agenda takes)."""
    zone = settings.zone
    month_period(month, zone)  # a bad month fails before any reading
    rules = station_rules(settings, catalog)
    query = station_query
    window = read_window(month, zone)
    # What is marked (an upgrade, another writer) is folded first, a chunk
    # per transaction: the kiosk and the desks write between them.
    folding = facts_are_stale(query)
    while folding:
        with write_transaction():
            folding = refresh_some_stale(query, STATION_STORE) is not None
    with database.atomic():
        if not needs_events(
            query, micros(window.tickets.start), micros(window.tickets.end), as_of
        ):
            sums = sum_months(query, month, zone, rules, as_of, by_station=False)
            report = report_of(sums.get(WHOLE, Group()), month, zone, rules, as_of)
            if all_tickets:
                _list_every_ticket(query, report, month, zone, rules, as_of)
            return {"station": settings.station.code, **report}
    tickets, events = read_station(window)
    report = month_report(
        tickets,
        events,
        month,
        zone,
        rules,
        as_of,
        listed=None if all_tickets else SPOT_LISTED,
    )
    return {"station": settings.station.code, **report}


def _list_every_ticket(
    query: Query,
    report: dict[str, Any],
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
) -> None:
    """Every ticket of each hot spot (those of its days) and recurring spot
    (those of the month) of the station's ``report``, in the order written."""
    period = month_period(month, zone)
    window = spot_window(period, as_of, zone, rules.settings.hotspot_days)
    stop = micros(as_of) + 1
    for name, period_of in (("hotspots", window), ("recurring", period)):
        span = (micros(period_of.start), min(micros(period_of.end), stop))
        for spot in report[name]:
            spot["tickets"] = hot_spot_tickets(query, spot, span, rules)
            spot["tickets_unlisted"] = spot["count"] - len(spot["tickets"])


def hot_spot_tickets(
    query: Query, spot: dict[str, Any], span: tuple[int, int], rules: Rules
) -> list[str]:
    """Every ticket (duplicates left out) received in ``span`` of one hot
    spot of the station's own report, in the order written."""
    category, place = str(spot["category"]), str(spot["place"])
    if spot["place_kind"] == "building":
        buildings = [place]
    else:
        named = {place}
        for grid in rules.grids:
            if grid.name == place:
                named.update(grid.buildings)
        # A building in two grids counts in the first (Rules.grid_of).
        buildings = sorted(name for name in named if rules.grid_of(name) == place)
    if not buildings:
        return []
    marks = ", ".join("?" * len(buildings))
    return [
        str(number)
        for (number,) in query(
            "SELECT ticket_no FROM ticket_fact WHERE duplicate = 0 "
            f"AND category = ? AND building IN ({marks}) "
            "AND received_us >= ? AND received_us < ? ORDER BY seq",
            (category, *buildings, *span),
        )
    ]
