"""The month's report summed in SQL from the stored facts (kiosk/report_facts.py).

The same statements run on the station's SQLite file and on the central's
SQLite or PostgreSQL database, grouped by station at the central; the counts
they return go through the same code as the figures folded from events
(``kiosk.reports.assemble``, ``UnitTable``, ``hot_spots``, ``streaks``), so
both give the same report. The stored facts know every event; a report asked
for an ``as_of`` before some ticket's last event (a past moment) is folded
from the events instead (``needs_events``).
"""

from __future__ import annotations

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
    WITHDRAWN,
    Period,
    Rules,
    SpotRow,
    Tally,
    UnitTable,
    assemble,
    days_period,
    found_hot_spots,
    micros_as_hours,
    month_labels,
    month_period,
    month_report,
    previous_month,
    read_station,
    read_window,
    spot_groups,
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
    # Durations from receipt, in whole microseconds.
    hours: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    unit_rows: list[tuple[Any, ...]] = field(default_factory=list)
    spot_rows: list[tuple[Any, ...]] = field(default_factory=list)
    month_counts: dict[int, Counter[tuple[str, str, str]]] = field(
        default_factory=lambda: defaultdict(Counter)
    )


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
    group = "station" if by_station else "''"
    period = month_period(month, zone)
    before = month_period(previous_month(month), zone)
    as_of_us = micros(as_of)
    start_us, end_us = micros(period.start), micros(period.end)
    groups: dict[str, Group] = defaultdict(Group)
    tally_sql = _tally_sql(group, rules, by_station=by_station)
    for current, low_us, high_us in (
        (True, start_us, end_us),
        (False, micros(before.start), start_us),
    ):
        for row in query(
            tally_sql, (as_of_us, as_of_us, as_of_us, low_us, high_us, as_of_us)
        ):
            if not row[1]:
                continue  # no ticket: the one row of an empty month
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
        f"SELECT {group}, category, item, unit, building, channel, count(*) "
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
        f"SELECT {group}, first_dispatch_us - received_us, "
        "first_check_in_us - received_us, resolved_us - received_us "
        f"FROM ticket_fact WHERE {month_rows} AND duplicate = 0",
        month_params,
    ):
        hours = groups[str(code)].hours
        for name, value in zip(DURATIONS, spans, strict=True):
            if value is not None:
                hours[name].append(int(value))
    limit = limit_sql(rules)
    for row in query(
        f"SELECT {group}, unit, kind, rating, count(*), "
        "count(*) FILTER (WHERE check_in_us IS NOT NULL), "
        "count(*) FILTER (WHERE check_in_us IS NOT NULL "
        f"AND check_in_us - at_us <= {limit}) "
        f"FROM unit_fact WHERE {month_rows} AND duplicate = 0 "
        "GROUP BY 1, 2, 3, 4",
        month_params,
    ):
        groups[str(row[0])].unit_rows.append(tuple(row[1:]))
    _sum_spots(query, group, groups, month, zone, rules, as_of)
    return groups


def spot_window(period: Period, as_of: datetime, zone: ZoneInfo, days: int) -> Period:
    """The hot spots' days: those ending with the month's last day, or with
    ``as_of`` when it is sooner."""
    return days_period(min(as_of, period.end - timedelta(microseconds=1)), days, zone)


def _sum_spots(
    query: Query,
    group: str,
    groups: dict[str, Group],
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
) -> None:
    period = month_period(month, zone)
    window = spot_window(period, as_of, zone, rules.settings.hotspot_days)
    low = min(window.start, period.start)
    high = max(window.end, period.end)
    rows = query(
        f"SELECT {group}, seq, category, building, ticket_no, received_us "
        "FROM ticket_fact WHERE duplicate = 0 AND received_us >= ? "
        "AND received_us < ? AND received_us <= ?",
        (micros(low), micros(high), micros(as_of)),
    )
    # In the order the tickets were written (seq), sorted here: they come in
    # nearly that order already, which costs Python's sort next to nothing
    # and SQLite's sorter a pass over every row.
    rows.sort(key=itemgetter(1))
    for code, _, category, building, ticket_no, received_us in rows:
        groups[str(code)].spot_rows.append((category, building, ticket_no, received_us))
    grid_of = GridOf(rules)
    wanted = _recurring_candidates(groups, period, rules, grid_of)
    if not wanted:
        return  # nothing is hot this month: nothing can recur
    labels = month_labels(month)
    bounds = [micros(month_period(label, zone).start) for label in labels]
    # The months before this one, latest first (index 1 the month before).
    pairs = sorted(wanted)
    as_of_us = micros(as_of)
    for index in range(1, len(labels)):
        month_low, month_high = bounds[index], min(bounds[index - 1], as_of_us + 1)
        if month_low >= month_high:
            continue
        for code, category, building, count in place_counts(
            query, group, month_low, month_high, pairs
        ):
            sizes = groups[str(code)].month_counts[index]
            if building:
                sizes[(category, "building", building)] += int(count)
            grid = grid_of(str(building))
            if grid:
                sizes[(category, "grid", grid)] += int(count)


def place_counts(
    query: Query,
    group: str,
    low_us: int,
    high_us: int,
    pairs: Sequence[tuple[str, str]],
) -> list[tuple[Any, ...]]:
    """Tickets received in [low, high), duplicates left out, per ``group``,
    category and building, of the (category, building) ``pairs`` only: the
    whole days from ``place_day``, the part of a day at either end from
    ``ticket_fact``. Rows may repeat a key (added up by the caller)."""
    wanted = f"(category, building) IN (VALUES {', '.join(['(?, ?)'] * len(pairs))})"
    pair_values = [value for pair in pairs for value in pair]
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
    groups: dict[str, Group], period: Period, rules: Rules, grid_of: GridOf
) -> set[tuple[str, str]]:
    """The (category, building) pairs whose earlier months can matter: those
    of the month's hot spots by building, and every building of its hot
    spots by grid (at any station)."""
    start, end = micros(period.start), micros(period.end)
    least = rules.settings.hotspot_count
    wanted: set[tuple[str, str]] = set()
    for group in groups.values():
        pairs = Counter(
            (category, building)
            for category, building, _, received_us in group.spot_rows
            if start <= received_us < end
        )
        sizes: Counter[tuple[str, str, str]] = Counter()
        for (category, building), size in pairs.items():
            if building:
                sizes[(category, "building", building)] += size
            grid = grid_of(building)
            if grid:
                sizes[(category, "grid", grid)] += size
        for (category, kind, place), size in sizes.items():
            if size < least:
                continue
            if kind == "building":
                wanted.add((category, place))
                continue
            for each in rules.grids:
                if each.name == place:
                    wanted.update((category, name) for name in each.buildings)
                    wanted.add((category, each.name))
    return wanted


def _units(group: Group, rules: Rules) -> dict[str, dict[str, Any]]:
    table = UnitTable(rules)
    for unit, kind, rating_given, count, checked_in, in_time in group.unit_rows:
        count = int(count)
        if kind == "dispatch":
            entry = table.row(unit)
            entry["dispatched"] += count
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
    durations = {
        name: micros_as_hours(sorted(values)) for name, values in group.hours.items()
    }
    report = assemble(group.current, group.breakdown, durations, period, as_of, rules)
    last = assemble(group.previous, {}, {}, before, as_of, rules)
    report["previous"] = {name: last[name] for name in SUMMARY_SCORE}
    report["previous"]["period"] = last["period"]
    report["units"] = _units(group, rules)
    if not spots:
        return report
    window = spot_window(period, as_of, zone, rules.settings.hotspot_days)
    grids = {building: rules.grid_of(building) for _, building, _, _ in group.spot_rows}
    window_start, window_end = micros(window.start), micros(window.end)
    month_start, month_end = micros(period.start), micros(period.end)
    in_window: list[SpotRow] = [
        (category, building, grids[building], ticket_no)
        for category, building, ticket_no, received_us in group.spot_rows
        if window_start <= received_us < window_end
    ]
    in_month: list[SpotRow] = [
        (category, building, grids[building], ticket_no)
        for category, building, ticket_no, received_us in group.spot_rows
        if month_start <= received_us < month_end
    ]
    report["hotspots"] = [
        spot.as_dict() for spot in found_hot_spots(spot_groups(in_window), rules)
    ]
    members = spot_groups(in_month)
    labels = month_labels(month)
    counts = [
        {key: len(found) for key, found in members.items()},
        *(group.month_counts.get(index, Counter()) for index in range(1, len(labels))),
    ]
    report["recurring"] = [
        spot.as_dict() for spot in streaks(members, counts, labels, rules)
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
        for name, values in part.hours.items():
            whole.hours[name].extend(values)
        whole.unit_rows.extend(part.unit_rows)
    return whole


def station_month(
    settings: Settings, catalog: Catalog, month: str, as_of: datetime
) -> dict[str, Any]:
    """``kiosk report month``: this station's month, summed from its stored
    facts (what is marked stale folded first), or folded from its events
    when ``as_of`` is before some ticket's last event."""
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
            return {"station": settings.station.code, **report}
    tickets, events = read_station(window)
    report = month_report(tickets, events, month, zone, rules, as_of)
    return {"station": settings.station.code, **report}
