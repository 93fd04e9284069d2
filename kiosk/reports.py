"""The station's numbers: counts, 三率, units and hot spots (docs/reports.md).

The definitions, as code. A ticket (a dict: ``uuid``, ``ticket_no``,
``station``, ``category``, ``item``, ``building``, ``unit``, ``created_at``,
``due_at``) and its events (dicts: ``ticket_uuid``, ``kind``, ``actor``,
``at``, ``payload``) fold into its ``Facts`` (``ticket_facts``); facts are
counted into a ``Tally`` and the rest, and ``assemble`` turns counts into the
report. The stored facts (kiosk/report_facts.py) are folded here, and the
sums in SQL (kiosk/report_sums.py) go through ``assemble``, ``UnitTable``,
``found_hot_spots`` and ``streaks``; ``month_report`` folds rows read from
either end (``read_station`` here, central/reports.py) when a report asks
for a past moment, and is what the tests hold the sums to.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db import database
from kiosk.catalog import Catalog
from kiosk.config import Grid, ReportSettings, Settings
from kiosk.states import (
    ACKNOWLEDGED,
    CLOSED,
    DISPATCHED,
    ESCALATED,
    OPEN,
    RECEIVED,
    RESOLVED,
    WITHDRAWN,
    TransitionError,
    next_status,
)

Row = Mapping[str, Any]

# What counts as a ticket's first action (响应): the front desk's first move.
FIRST_ACTION_KINDS = frozenset({"dispatched", "resolved", "escalated", "withdrawn"})
SATISFIED = frozenset({"satisfied", "basically_satisfied"})
# The call-back's answers as the front desk may record them (kiosk/desk.py):
# ``solved`` (true/false, or these words) and ``reachable`` / ``unreachable``.
SOLVED_WORDS = frozenset({"solved", "yes", "解决", "已解决"})
UNSOLVED_WORDS = frozenset({"unsolved", "no", "未解决"})
UNREACHABLE_WORDS = frozenset({"unreachable", "无法回访", "no_answer"})
CHANNELS = ("kiosk", "open311", "staff", "other")
# The event kinds whose payload a figure reads; the others' (the received
# event's whole ticket, notes) are neither read from the database nor parsed.
PAYLOAD_KINDS = ("dispatched", "acknowledged", "withdrawn", "callback", "unit_rated")
# Open and still to be resolved: what can be overdue (a resolved ticket
# waiting for its call-back is not).
IN_HAND = frozenset({RECEIVED, DISPATCHED, ACKNOWLEDGED, ESCALATED})


# -- periods ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """[start, end) in the station's time zone; ``label`` names it."""

    start: datetime
    end: datetime
    label: str


def month_period(month: str, zone: ZoneInfo) -> Period:
    """``YYYY-MM`` from local midnight on the 1st to local midnight on the 1st
    of the next month. Raises ValueError for anything else."""
    year_text, _, month_text = month.partition("-")
    if len(year_text) != 4 or len(month_text) != 2:
        raise ValueError(f"{month!r} is not a month as YYYY-MM")
    year, number = int(year_text), int(month_text)
    if not 1 <= number <= 12 or year < 2000:
        raise ValueError(f"{month!r} is not a month as YYYY-MM")
    start = datetime(year, number, 1, tzinfo=zone)
    following = (
        datetime(year + 1, 1, 1, tzinfo=zone)
        if number == 12
        else datetime(year, number + 1, 1, tzinfo=zone)
    )
    return Period(start, following, f"{year:04d}-{number:02d}")


def previous_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + 1:04d}-01" if number == 12 else f"{year:04d}-{number + 1:02d}"


def month_of(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def days_period(end: datetime, days: int, zone: ZoneInfo) -> Period:
    """The ``days`` whole local days ending with the day of ``end``."""
    local = end.astimezone(zone)
    stop = datetime(local.year, local.month, local.day, tzinfo=zone) + timedelta(1)
    start = stop - timedelta(days=days)
    return Period(start, stop, f"{start.date()}..{(stop - timedelta(1)).date()}")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time with its offset (how both databases keep times)."""
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError(f"time without an offset: {text!r}")
    return moment


# -- one ticket's facts ----------------------------------------------------------


@dataclass
class CallBack:
    """A ticket's last call-back."""

    rating: str | None  # satisfied / basically_satisfied / dissatisfied
    solved: bool | None
    unreachable: bool


def payload_of(event: Row) -> dict[str, Any]:
    if event["kind"] not in PAYLOAD_KINDS:
        return {}  # nothing in it that a figure reads (a note's text, say)
    payload = event.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return {}
    return payload if isinstance(payload, dict) else {}


def read_call_back(payload: Mapping[str, Any]) -> CallBack:
    """Both answers of a call-back, from whichever fields it carries.

    ``solved`` is read when recorded (true/false or 解决/未解决); a call-back
    recorded before the desk asked both answers has only a rating, and then
    满意/基本满意 count as solved and 不满意 as not solved. A resident who
    could not be reached (``unreachable``, or an outcome or rating saying
    so) is counted apart, never as satisfied.
    """
    rating = payload.get("rating")
    outcome = payload.get("outcome")
    unreachable = (
        payload.get("unreachable") is True
        or payload.get("reachable") is False
        or rating in UNREACHABLE_WORDS
        or outcome in UNREACHABLE_WORDS
    )
    if unreachable:
        return CallBack(None, None, True)
    rating_text = rating if isinstance(rating, str) else None
    solved_raw = payload.get("solved")
    solved: bool | None
    if isinstance(solved_raw, bool):
        solved = solved_raw
    elif solved_raw in SOLVED_WORDS:
        solved = True
    elif solved_raw in UNSOLVED_WORDS:
        solved = False
    elif rating_text is not None:
        solved = rating_text in SATISFIED
    else:
        solved = None
    return CallBack(rating_text, solved, False)


def channel_of(actor: str) -> str:
    head = str(actor).partition(":")[0]
    return head if head in CHANNELS else "other"


@dataclass
class Facts:
    """What the figures need to know about one ticket, from its events."""

    uuid: str
    ticket_no: str
    station: str
    category: str
    item: str
    building: str
    grid: str
    unit: str
    channel: str
    received_at: datetime
    due_at: datetime | None
    status: str
    response_limit: timedelta
    withdraw_reason: str | None = None
    first_action_at: datetime | None = None
    first_dispatch_at: datetime | None = None
    first_check_in_at: datetime | None = None
    resolved_at: datetime | None = None
    call_back: CallBack | None = None
    reopened: int = 0
    dispatches: list[tuple[str, datetime]] = field(default_factory=list)
    check_ins: list[tuple[str, datetime]] = field(default_factory=list)
    resolutions: list[str] = field(default_factory=list)
    reopen_units: list[str] = field(default_factory=list)
    unit_ratings: list[tuple[str, str]] = field(default_factory=list)
    # The time of the ticket's last event, ``as_of`` or not.
    last_event_at: datetime | None = None

    @property
    def duplicate(self) -> bool:
        return self.status == WITHDRAWN and self.withdraw_reason == "duplicate"


@dataclass(frozen=True)
class Rules:
    """What the figures depend on besides the data."""

    catalog: Catalog
    settings: ReportSettings = field(default_factory=ReportSettings)
    grids: tuple[Grid, ...] = ()

    def response_limit(self, category: str) -> timedelta:
        try:
            hours = float(self.catalog.category(category).response_hours)
        except KeyError:
            hours = self.settings.response_hours
        return timedelta(hours=hours if hours > 0 else self.settings.response_hours)

    def grid_of(self, building: str) -> str:
        for grid in self.grids:
            if building in grid.buildings or building == grid.name:
                return grid.name
        return ""


def ticket_facts(
    ticket: Row, events: Sequence[Row], rules: Rules | None, as_of: datetime
) -> Facts:
    """Fold a ticket's events (those at or before ``as_of``) into its facts.

    Without ``rules`` (the stored facts, kiosk/report_facts.py) the grid is
    left empty and the response limit 0: both are settings, applied when
    the figures are summed."""
    received_at = parse_time(ticket["created_at"])
    due_text = ticket.get("due_at")
    # (time, place) is unique, so the events themselves are never compared.
    ordered = sorted(
        (parse_time(event["at"]), index, event) for index, event in enumerate(events)
    )
    first_actor = next(
        (event["actor"] for _, _, event in ordered if event["kind"] == "received"),
        "",
    )
    facts = Facts(
        uuid=str(ticket["uuid"]),
        ticket_no=str(ticket["ticket_no"]),
        station=str(ticket.get("station", "")),
        category=str(ticket["category"]),
        item=str(ticket.get("item", "")),
        building=str(ticket.get("building", "") or ""),
        grid=rules.grid_of(str(ticket.get("building", "") or "")) if rules else "",
        unit=str(ticket.get("unit", "")),
        channel=channel_of(first_actor),
        received_at=received_at,
        due_at=parse_time(due_text) if due_text else None,
        status="received",
        response_limit=(
            rules.response_limit(str(ticket["category"])) if rules else timedelta(0)
        ),
    )
    if ordered:
        facts.last_event_at = ordered[-1][0]
    status: str | None = None
    unit = facts.unit
    for moment, _, event in ordered:
        if moment > as_of:
            break
        kind = str(event["kind"])
        payload = payload_of(event)
        try:
            status = next_status(status, kind, payload)
        except TransitionError:
            # An event the rules refuse changes nothing (kiosk.states.
            # derive_status skips it the same way), except that a call-back
            # that reached nobody (无法回访) still counts as one, whatever
            # the state machine makes of it.
            if not (
                kind == "callback"
                and status == RESOLVED
                and read_call_back(payload).unreachable
            ):
                continue
        if kind in FIRST_ACTION_KINDS and facts.first_action_at is None:
            facts.first_action_at = moment
        if kind == "dispatched":
            unit = str(payload.get("unit") or unit)
            facts.dispatches.append((unit, moment))
            if facts.first_dispatch_at is None:
                facts.first_dispatch_at = moment
        elif kind == "acknowledged":
            facts.check_ins.append((str(payload.get("unit") or unit), moment))
            if facts.first_check_in_at is None:
                facts.first_check_in_at = moment
        elif kind == "resolved":
            facts.resolved_at = moment
            facts.resolutions.append(unit)
        elif kind == "withdrawn":
            facts.withdraw_reason = str(payload.get("reason", ""))
        elif kind == "callback":
            answer = read_call_back(payload)
            if payload.get("amends") and facts.call_back is not None:
                # A resident changed the answer: the earlier one no longer
                # counts, nor the reopening it caused.
                if facts.call_back.rating == "dissatisfied" and facts.reopened:
                    facts.reopened -= 1
                    if facts.reopen_units:
                        facts.reopen_units.pop()
            facts.call_back = answer
            if answer.rating == "dissatisfied":
                facts.reopened += 1
                facts.reopen_units.append(unit)
        elif kind == "unit_rated":
            facts.unit_ratings.append(
                (str(payload.get("unit", "")), str(payload.get("rating", "")))
            )
    facts.status = status or "received"
    facts.unit = unit
    return facts


# -- the figures -----------------------------------------------------------------


def rate(part: int, whole: int) -> float | None:
    """A fraction from 0 to 1, or None when there is nothing to divide."""
    return round(part / whole, 6) if whole else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (``share`` from 0 to 1) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 3)


def _hours(later: datetime | None, earlier: datetime) -> float | None:
    return None if later is None else (later - earlier).total_seconds() / 3600


def _duration(values: Iterable[float | None]) -> dict[str, Any]:
    present = [value for value in values if value is not None]
    return {
        "count": len(present),
        "median": percentile(present, 0.5),
        "p90": percentile(present, 0.9),
    }


def composite(
    rates: Mapping[str, float | None], settings: ReportSettings
) -> float | None:
    """The weighted mean of the rates there are, from 0 to 100."""
    weights = {
        "response_rate": settings.weight_response,
        "resolution_rate": settings.weight_resolution,
        "satisfaction_rate": settings.weight_satisfaction,
    }
    total = 0.0
    weight_sum = 0.0
    for name, weight in weights.items():
        value = rates.get(name)
        if value is not None and weight > 0:
            total += weight * value
            weight_sum += weight
    return round(100 * total / weight_sum, 2) if weight_sum else None


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda entry: (-entry[1], entry[0])))


def in_period(facts: Facts, period: Period) -> bool:
    return period.start <= facts.received_at < period.end


@dataclass
class Tally:
    """The counts behind a period's figures, over the tickets received in it
    (``figures`` counts them from facts, kiosk/report_sums.py in SQL)."""

    tickets: int = 0
    duplicates: int = 0
    responded: int = 0
    late: int = 0
    pending: int = 0
    called_back: int = 0
    unreachable: int = 0
    solved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    reopened_tickets: int = 0
    reopenings: int = 0
    open: int = 0
    overdue: int = 0
    closed: int = 0
    withdrawn: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


BREAKDOWNS = ("category", "item", "unit", "grid", "building", "channel")
DURATIONS = ("to_dispatch", "to_check_in", "to_resolve")


def tally(chosen: Sequence[Facts], as_of: datetime) -> Tally:
    counted = [facts for facts in chosen if not facts.duplicate]
    counts = Tally(tickets=len(chosen), duplicates=len(chosen) - len(counted))
    for facts in counted:
        limit_at = facts.received_at + facts.response_limit
        if facts.first_action_at is not None:
            if facts.first_action_at <= limit_at:
                counts.responded += 1
            else:
                counts.late += 1
        elif as_of > limit_at:
            counts.late += 1
        else:
            counts.pending += 1
        answer = facts.call_back
        if answer is not None:
            if answer.unreachable:
                counts.unreachable += 1
            else:
                counts.called_back += 1
                counts.solved += 1 if answer.solved else 0
                counts.satisfied += answer.rating == "satisfied"
                counts.basically_satisfied += answer.rating == "basically_satisfied"
                counts.dissatisfied += answer.rating == "dissatisfied"
        counts.reopened_tickets += 1 if facts.reopened else 0
        counts.reopenings += facts.reopened
    for facts in chosen:
        counts.open += facts.status in OPEN
        counts.overdue += (
            facts.status in IN_HAND
            and facts.due_at is not None
            and facts.due_at < as_of
        )
        counts.closed += facts.status == CLOSED
        counts.withdrawn += facts.status == WITHDRAWN
    return counts


def figures(
    all_facts: Iterable[Facts], period: Period, as_of: datetime, rules: Rules
) -> dict[str, Any]:
    """Counts and 三率 over the tickets received in ``period``."""
    chosen = [facts for facts in all_facts if in_period(facts, period)]
    counted = [facts for facts in chosen if not facts.duplicate]
    breakdown: dict[str, Counter[str]] = {
        "category": Counter(facts.category for facts in chosen),
        "item": Counter(f"{facts.category}/{facts.item}" for facts in chosen),
        "unit": Counter(facts.unit for facts in chosen),
        "grid": Counter(facts.grid or "-" for facts in chosen),
        "building": Counter(facts.building or "-" for facts in chosen),
        "channel": Counter(facts.channel for facts in chosen),
    }
    hours: dict[str, dict[str, Any]] = {
        "to_dispatch": _duration(
            _hours(facts.first_dispatch_at, facts.received_at) for facts in counted
        ),
        "to_check_in": _duration(
            _hours(facts.first_check_in_at, facts.received_at) for facts in counted
        ),
        "to_resolve": _duration(
            _hours(facts.resolved_at, facts.received_at) for facts in counted
        ),
    }
    return assemble(tally(chosen, as_of), breakdown, hours, period, as_of, rules)


def assemble(
    counts: Tally,
    breakdown: Mapping[str, Counter[str]],
    durations: Mapping[str, dict[str, Any]],
    period: Period,
    as_of: datetime,
    rules: Rules,
) -> dict[str, Any]:
    """A period's figures from its counts, breakdowns and durations (each
    ``count``, ``median`` and ``p90``): the one place that turns counts into
    rates and the report's shape."""
    reached = counts.called_back
    rates = {
        "response_rate": rate(counts.responded, counts.responded + counts.late),
        "resolution_rate": rate(counts.solved, reached),
        "satisfaction_rate": rate(
            counts.satisfied + counts.basically_satisfied, reached
        ),
    }
    return {
        "period": {
            "label": period.label,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
        "as_of": as_of.isoformat(),
        "tickets": counts.tickets,
        **rates,
        "composite_score": composite(rates, rules.settings),
        "counts": {
            "tickets": counts.tickets,
            "duplicates": counts.duplicates,
            "response_base": counts.responded + counts.late,
            "responded_in_time": counts.responded,
            "responded_late": counts.late,
            "response_pending": counts.pending,
            "called_back": reached,
            "solved": counts.solved,
            "unsolved": reached - counts.solved,
            "satisfied": counts.satisfied,
            "basically_satisfied": counts.basically_satisfied,
            "dissatisfied": counts.dissatisfied,
            "unreachable": counts.unreachable,
            "reopened_tickets": counts.reopened_tickets,
            "reopenings": counts.reopenings,
            "open": counts.open,
            "overdue": counts.overdue,
            "closed": counts.closed,
            "withdrawn": counts.withdrawn,
        },
        "weights": {
            "response_rate": rules.settings.weight_response,
            "resolution_rate": rules.settings.weight_resolution,
            "satisfaction_rate": rules.settings.weight_satisfaction,
        },
        **{
            f"by_{name}": _sorted_counts(breakdown.get(name, Counter()))
            for name in BREAKDOWNS
        },
        "hours": {
            name: durations[name] if name in durations else _duration(())
            for name in DURATIONS
        },
    }


def _unit_entry() -> dict[str, Any]:
    return {
        "dispatched": 0,
        "checked_in": 0,
        "checked_in_in_time": 0,
        "resolved": 0,
        "reopened": 0,
        "ratings": {"satisfied": 0, "basically_satisfied": 0, "dissatisfied": 0},
    }


class UnitTable:
    """The units' figures being counted: every unit of the catalog, and any
    other unit a ticket names."""

    def __init__(self, rules: Rules) -> None:
        self.table: dict[str, dict[str, Any]] = {
            code: _unit_entry() for code in rules.catalog.units
        }

    def row(self, code: str) -> dict[str, Any]:
        if code not in self.table:
            self.table[code] = _unit_entry()
        return self.table[code]

    def rated(self, code: str, given: str, count: int = 1) -> None:
        ratings = self.row(code)["ratings"]
        if given in ratings:
            ratings[given] += count

    def finish(self) -> dict[str, dict[str, Any]]:
        for entry in self.table.values():
            entry["check_in_rate"] = rate(
                entry["checked_in_in_time"], entry["dispatched"]
            )
        return self.table


def units(
    all_facts: Iterable[Facts], period: Period, rules: Rules
) -> dict[str, dict[str, Any]]:
    """Per unit, over the tickets received in ``period``: dispatched, checked
    in within the category's response limit of the dispatch, resolved,
    reopened by 不满意, and the head's ratings."""
    table = UnitTable(rules)
    for facts in all_facts:
        if not in_period(facts, period) or facts.duplicate:
            continue
        for unit, dispatched_at in facts.dispatches:
            table.row(unit)["dispatched"] += 1
            check_in = next(
                (
                    at
                    for who, at in facts.check_ins
                    if who == unit and at >= dispatched_at
                ),
                None,
            )
            if check_in is not None:
                table.row(unit)["checked_in"] += 1
                if check_in - dispatched_at <= facts.response_limit:
                    table.row(unit)["checked_in_in_time"] += 1
        for unit in facts.resolutions:
            table.row(unit)["resolved"] += 1
        for unit in facts.reopen_units:
            table.row(unit)["reopened"] += 1
        for unit, rating_given in facts.unit_ratings:
            table.rated(unit, rating_given)
    return table.finish()


# A hot spot in a report lists at most this many of its tickets, the most
# recently received (its ``count`` is exact); the full list is read on demand
# (kiosk.report_sums.hot_spot_tickets).
SPOT_LISTED = 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class HotSpot:
    category: str
    place_kind: str  # "building" or "grid"
    place: str
    count: int
    tickets: tuple[str, ...]  # the listed ones: all, or the most recent
    months: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "place_kind": self.place_kind,
            "place": self.place,
            "count": self.count,
            "tickets": list(self.tickets),
            "tickets_unlisted": self.count - len(self.tickets),
            "months": list(self.months),
        }


# What a hot spot needs of a ticket: category, building, grid, ticket number,
# and its recency (received, in microseconds, then uuid: the order in which
# the most recent are listed).
SpotRow = tuple[str, str, str, str, tuple[int, str]]
GroupKey = tuple[str, str, str]  # category, "building" or "grid", place
# A group's tickets: (recency, ticket number), in the order written.
Members = list[tuple[tuple[int, str], str]]


def _recency(facts: Facts) -> tuple[int, str]:
    since = facts.received_at - EPOCH
    whole_us = (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds
    return (whole_us, facts.uuid)


def spot_rows(chosen: Iterable[Facts]) -> list[SpotRow]:
    """The tickets that count towards hot spots (duplicates left out)."""
    return [
        (facts.category, facts.building, facts.grid, facts.ticket_no, _recency(facts))
        for facts in chosen
        if not facts.duplicate
    ]


def spot_groups(rows: Iterable[SpotRow]) -> dict[GroupKey, Members]:
    """Tickets by category and building, and by category and grid, in the
    order of ``rows``."""
    groups: dict[GroupKey, Members] = defaultdict(list)
    for category, building, grid, ticket_no, recency in rows:
        if building:
            groups[(category, "building", building)].append((recency, ticket_no))
        if grid:
            groups[(category, "grid", grid)].append((recency, ticket_no))
    return groups


def latest(members: Members, listed: int | None = SPOT_LISTED) -> tuple[str, ...]:
    """The ``listed`` most recently received of ``members`` (all when None),
    in the order written."""
    if listed is None or len(members) <= listed:
        return tuple(ticket_no for _, ticket_no in members)
    newest = sorted(
        range(len(members)), key=lambda index: members[index][0], reverse=True
    )[:listed]
    return tuple(members[index][1] for index in sorted(newest))


def found_hot_spots(
    sizes: Mapping[GroupKey, int],
    listed: Mapping[GroupKey, Sequence[str]],
    rules: Rules,
) -> list[HotSpot]:
    """The groups with at least ``hotspot_count`` tickets, most first, each
    with its exact count and its ``listed`` tickets."""
    found = [
        HotSpot(category, kind, place, size, tuple(listed.get(key, ())))
        for key, size in sizes.items()
        if size >= rules.settings.hotspot_count
        for category, kind, place in (key,)
    ]
    return sorted(
        found,
        key=lambda spot: (-spot.count, spot.category, spot.place, spot.place_kind),
    )


def _sizes(groups: Mapping[GroupKey, Members]) -> dict[GroupKey, int]:
    return {key: len(members) for key, members in groups.items()}


def _listed(
    groups: Mapping[GroupKey, Members], listed: int | None
) -> dict[GroupKey, tuple[str, ...]]:
    return {key: latest(members, listed) for key, members in groups.items()}


def hot_spots(
    all_facts: Sequence[Facts],
    as_of: datetime,
    zone: ZoneInfo,
    rules: Rules,
    listed: int | None = SPOT_LISTED,
) -> list[HotSpot]:
    """Category and place with at least ``hotspot_count`` tickets in the last
    ``hotspot_days`` days (duplicates left out), most first."""
    window = days_period(as_of, rules.settings.hotspot_days, zone)
    chosen = [facts for facts in all_facts if in_period(facts, window)]
    groups = spot_groups(spot_rows(chosen))
    return found_hot_spots(_sizes(groups), _listed(groups, listed), rules)


def recurring(
    all_facts: Sequence[Facts],
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    months: int = 6,
    listed: int | None = SPOT_LISTED,
) -> list[HotSpot]:
    """What keeps coming back: category and place that reached the hot-spot
    count in ``month`` and in the month before it (and how many months back
    in a row, up to ``months``)."""
    labels = month_labels(month, months)
    by_month = [
        spot_groups(
            spot_rows(
                facts
                for facts in all_facts
                if in_period(facts, month_period(label, zone))
            )
        )
        for label in labels
    ]
    return streaks(
        [_sizes(groups) for groups in by_month],
        _listed(by_month[0], listed),
        labels,
        rules,
    )


def month_labels(month: str, months: int = 6) -> list[str]:
    """``month`` and the ``months - 1`` before it, latest first."""
    labels = [month]
    for _ in range(months - 1):
        labels.append(previous_month(labels[-1]))
    return labels


def streaks(
    counts: Sequence[Mapping[GroupKey, int]],
    listed: Mapping[GroupKey, Sequence[str]],
    labels: Sequence[str],
    rules: Rules,
) -> list[HotSpot]:
    """The recurring hot spots, from each month's group sizes (``counts``,
    in the order of ``labels``, the month itself first) and the month's
    groups' ``listed`` tickets."""
    least = rules.settings.hotspot_count
    found = []
    for key, size in counts[0].items():
        if size < least:
            continue
        streak = [labels[0]]
        for label, sizes in zip(labels[1:], counts[1:], strict=True):
            if sizes.get(key, 0) < least:
                break
            streak.append(label)
        if len(streak) >= 2:
            category, kind, place = key
            found.append(
                HotSpot(
                    category,
                    kind,
                    place,
                    size,
                    tuple(listed.get(key, ())),
                    tuple(reversed(streak)),
                )
            )
    return sorted(
        found,
        key=lambda spot: (
            -len(spot.months),
            -spot.count,
            spot.place,
            spot.category,
            spot.place_kind,
        ),
    )


def all_facts(
    tickets: Iterable[Row], events: Iterable[Row], rules: Rules, as_of: datetime
) -> list[Facts]:
    """Every ticket's facts, its events found by ``ticket_uuid``."""
    by_ticket: dict[str, list[Row]] = defaultdict(list)
    for event in events:
        by_ticket[str(event["ticket_uuid"])].append(event)
    every = (
        ticket_facts(ticket, by_ticket.get(str(ticket["uuid"]), []), rules, as_of)
        for ticket in tickets
    )
    # A ticket received after ``as_of`` did not exist yet.
    return [facts for facts in every if facts.received_at <= as_of]


def month_report(
    tickets: Iterable[Row],
    events: Iterable[Row],
    month: str,
    zone: ZoneInfo,
    rules: Rules,
    as_of: datetime,
    *,
    listed: int | None = SPOT_LISTED,
) -> dict[str, Any]:
    """The month's figures, units and hot spots (each listing ``listed`` of
    its tickets, all when None), with last month's 三率."""
    facts = all_facts(tickets, events, rules, as_of)
    period = month_period(month, zone)
    before = month_period(previous_month(month), zone)
    report = figures(facts, period, as_of, rules)
    last = figures(facts, before, as_of, rules)
    report["previous"] = {
        name: last[name]
        for name in (
            "tickets",
            "response_rate",
            "resolution_rate",
            "satisfaction_rate",
            "composite_score",
        )
    }
    report["previous"]["period"] = last["period"]
    report["units"] = units(facts, period, rules)
    spot_end = min(as_of, period.end - timedelta(microseconds=1))
    report["hotspots"] = [
        spot.as_dict() for spot in hot_spots(facts, spot_end, zone, rules, listed)
    ]
    report["recurring"] = [
        spot.as_dict() for spot in recurring(facts, month, zone, rules, listed=listed)
    ]
    return report


@dataclass(frozen=True)
class ReadWindow:
    """What a month's report reads: the tickets received in ``tickets`` (the
    month and five before it, for what recurs) and, for those received
    since ``events_from`` (last month and this), all their events; for the
    older ones only their receipt and withdrawal (a duplicate is left out of
    the hot spots)."""

    tickets: Period
    events_from: datetime

    def bounds(self) -> tuple[str, str, str]:
        """``created_at`` bounds, a day wider on each side (``local_bounds``)."""
        low, high = local_bounds(self.tickets)
        return low, high, (self.events_from - timedelta(days=1)).isoformat()


def read_window(month: str, zone: ZoneInfo, months_back: int = 6) -> ReadWindow:
    first = month
    for _ in range(months_back - 1):
        first = previous_month(first)
    return ReadWindow(
        Period(
            month_period(first, zone).start,
            month_period(month, zone).end,
            f"{first}..{month}",
        ),
        month_period(previous_month(month), zone).start,
    )


def event_query(event_table: str) -> str:
    """The events a report reads, with ``ReadWindow.bounds()`` as parameters;
    the same SQL at the station (ticket_event) and the central (event)."""
    kinds = ", ".join(f"'{kind}'" for kind in PAYLOAD_KINDS)
    return (
        "SELECT e.ticket_uuid, e.kind, e.actor, e.at, "
        f"CASE WHEN e.kind IN ({kinds}) THEN e.payload ELSE '{{}}' END "
        f"FROM {event_table} e JOIN ticket t ON t.uuid = e.ticket_uuid "
        "WHERE t.created_at >= ? AND t.created_at < ? "
        "AND (t.created_at >= ? OR e.kind IN ('received', 'withdrawn')) "
        "ORDER BY e.id"
    )


def local_bounds(period: Period) -> tuple[str, str]:
    """Text bounds to select ``created_at`` by, a day wider on each side so
    that any UTC offset is covered; ``in_period`` then decides exactly."""
    return (
        (period.start - timedelta(days=1)).isoformat(),
        (period.end + timedelta(days=1)).isoformat(),
    )


# -- the station's reader --------------------------------------------------------

TICKET_FIELDS = (
    "uuid",
    "ticket_no",
    "station",
    "category",
    "item",
    "building",
    "unit",
    "created_at",
    "due_at",
)
EVENT_FIELDS = ("ticket_uuid", "kind", "actor", "at", "payload")


def read_rows(
    execute: Callable[[str, tuple[Any, ...]], Iterable[Sequence[Any]]],
    window: ReadWindow,
    event_table: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tickets and events for ``window`` as plain rows, through
    ``execute(sql, params)``: the station's database or the central's, whose
    events live in ``event_table``. The caller holds one read transaction."""
    low, high, recent = window.bounds()
    tickets = [
        dict(zip(TICKET_FIELDS, row, strict=True))
        for row in execute(
            f"SELECT {', '.join(TICKET_FIELDS)} FROM ticket "
            "WHERE created_at >= ? AND created_at < ? ORDER BY id",
            (low, high),
        )
    ]
    events = [
        dict(zip(EVENT_FIELDS, row, strict=True))
        for row in execute(event_query(event_table), (low, high, recent))
    ]
    return tickets, events


def read_station(
    window: ReadWindow,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The station database's tickets and events for ``window``, as plain
    rows (the database is open: db.open_database)."""
    with database.atomic():
        return read_rows(database.execute_sql, window, "ticket_event")


def station_rules(settings: Settings, catalog: Catalog) -> Rules:
    return Rules(catalog, settings.reports, settings.station.grids)
