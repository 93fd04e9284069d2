"""Demo data: realistic tickets with their event histories, loaded in bulk.

``kiosk demo load --tickets N`` spreads N tickets over the past months, with
categories and items from the catalog, buildings from the station's grids,
plausible Chinese descriptions, and every status of kiosk/states.py reached by
a proper history of events. Their outbox entries are marked sent (or left
pending with ``--pending``, a sync backlog), and the daily counters move past
the demo numbers so the kiosk's next ticket never collides with one.

Fast enough for a million tickets: rows are made in batches by a child
process while this one writes the previous batch with executemany, one
immediate transaction per batch, with durability relaxed
(``synchronous=OFF``) only on this connection and only for the load. The
rows come with what the triggers would make of them row by row: each
ticket's report facts, folded as its history is made
(kiosk.report_facts.fold, the write paths' own definition), its status
count, and its notes' search index rows (kiosk.bulk.search_grams); the
batch's tickets are indexed in one statement as it is written.
Those triggers are lifted for each batch's transaction
(kiosk.bulk.lifted_triggers), which writes their rows instead; a batch
that fails, or a load that is killed, rolls back with them in place, and
the batches written before it stay whole and searchable.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import random
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate
from multiprocessing.process import BaseProcess
from typing import IO, Any

from peewee import PeeweeException

from db import database, write_transaction
from db.connection import describe_database_error
from kiosk.bulk import (
    FACTS_TRIGGER,
    SEARCH_TRIGGERS,
    STATUS_COUNT_TRIGGER,
    index_tickets_after,
    lifted_triggers,
    map_notes_after,
    search_grams,
)
from kiosk.catalog import OTHER_ITEM, Catalog, Category, load_catalog
from kiosk.config import Settings
from kiosk.report_facts import (
    FACT_COLUMNS,
    UNIT_COLUMNS,
    add_report_days,
    fold,
    place_changes,
    place_of_fact,
)
from kiosk.states import (
    ACKNOWLEDGED,
    CLOSED,
    DISPATCHED,
    ESCALATED,
    RECEIVED,
    RESOLVED,
    STATUSES,
    WITHDRAW_REASONS,
    WITHDRAWN,
)

BATCH_TICKETS = 10_000
# The demo's rows are made in a forked child (load_demo): it starts at once,
# with the maker as it is, and the load runs on Linux only.
_FORK = multiprocessing.get_context("fork")
_POLL_SECONDS = 1.0
STATUS_ORDER = (
    RECEIVED,
    DISPATCHED,
    ACKNOWLEDGED,
    RESOLVED,
    CLOSED,
    ESCALATED,
    WITHDRAWN,
)
STAFF = ("王芳", "李建国", "张秀英", "刘洋", "陈静")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("秀英", "桂兰", "建华", "志强", "淑珍", "德明", "丽娟", "国庆", "玉兰", "海涛")
DURATIONS = ("好几天了", "一个多星期了", "半个月了", "从昨天开始", "这两天")
PLACES = ("单元门口", "楼道里", "楼下", "小区东门", "车棚旁边", "楼后空地")
IMPACTS = (
    "老人出入很不方便",
    "晚上影响休息",
    "存在安全隐患",
    "邻居们意见很大",
    "孩子上下学要经过",
    "下雨天更严重",
)
ASKS = ("希望尽快处理。", "麻烦派人来看看。", "请社区帮忙协调。", "盼早日解决，谢谢！")
RESOLVED_TEXTS = (
    "已现场处置完毕",
    "物业已维修完成",
    "已清理完毕并加强巡查",
    "已约谈商户并责令整改",
    "已协调相关单位解决",
)
NOTE_TEXTS = (
    "已电话联系居民，说明处理进度",
    "网格员已到现场查看",
    "居民补充：情况有所加重",
    "已拍照留存",
    "等待配件到货",
)
ESCALATE_TEXTS = (
    "涉及多个部门，社区无法单独解决",
    "需街道协调产权单位",
    "超出社区处置权限",
)
RATINGS = ("satisfied", "basically_satisfied")
RATING_WEIGHTS = (80, 15)
# Weights in the order of STATUS_ORDER, by the ticket's age: over 30 days,
# over 7 days, newer. Drawn from their running sums (the same draws).
_OLD_STATUS_SUMS = list(accumulate((2, 2, 3, 8, 74, 4, 7)))
_RECENT_STATUS_SUMS = list(accumulate((5, 7, 10, 20, 45, 7, 6)))
_NEW_STATUS_SUMS = list(accumulate((25, 23, 20, 15, 8, 5, 4)))
_RATING_SUMS = list(accumulate(RATING_WEIGHTS))

_TICKET_SQL = (
    "INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category, item, "
    "building, description, contact_name, contact_mobile, consent_at, created_at, "
    "status, unit, due_at, token, print_state, language) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_EVENT_SQL = (
    "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at, payload, origin) "
    "VALUES (?, ?, ?, ?, ?, ?, 'station')"
)
_OUTBOX_SQL = (
    "INSERT INTO outbox (event_uuid, created_at, attempts, sent_at) VALUES (?, ?, ?, ?)"
)
_FACT_SQL = (
    f"INSERT INTO ticket_fact ({', '.join(FACT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(FACT_COLUMNS))})"
)
_UNIT_SQL = (
    f"INSERT INTO unit_fact ({', '.join(UNIT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(UNIT_COLUMNS))})"
)
_STATUS_COUNT_SQL = (
    "INSERT INTO ticket_status_count (status, count) VALUES (?, ?) "
    "ON CONFLICT (status) DO UPDATE SET count = count + excluded.count"
)
_COUNTER_SQL = (
    "INSERT INTO daily_counter (station, day, scope, value) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (station, day, scope) DO UPDATE SET "
    "value = MAX(value, excluded.value)"
)


class DemoLoadError(Exception):
    """The demo data could not be written; nothing of the failed batch was."""


@dataclass(frozen=True)
class DemoReport:
    tickets: int
    events: int
    seconds: float

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds > 0 else 0.0


def load_demo(
    settings: Settings,
    tickets: int,
    *,
    pending: bool = False,
    days: int = 180,
    seed: int | None = None,
    now: datetime | None = None,
    progress: IO[str] | None = None,
    batch_tickets: int = BATCH_TICKETS,
    catalog: Catalog | None = None,
) -> DemoReport:
    """Write ``tickets`` demo tickets into the open station database."""
    started = time.perf_counter()
    moment = (now or datetime.now(settings.zone)).astimezone(settings.zone)
    maker = _Maker(settings, catalog or load_catalog(), random.Random(seed), moment)
    plan = maker.plan(tickets, days)
    events_written = 0
    written = 0
    connection = database.connection()
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA cache_size = -262144")
    connection.execute("PRAGMA temp_store = MEMORY")
    counters = maker.read_counters(plan) if plan else {}
    # Rows are made in a child process while this one writes the previous
    # batch. In a thread they would hold the GIL that the writer takes back
    # after each row's statement: the two would take turns instead of
    # working at once.
    produced: multiprocessing.Queue[_Rows | DemoLoadError | None] = _FORK.Queue(
        maxsize=2
    )
    producer = _FORK.Process(
        target=_produce,
        args=(maker, plan, batch_tickets, counters, pending, produced),
        name="demo-rows",
        daemon=True,
    )
    producer.start()
    try:
        while (rows := _next_rows(produced, producer)) is not None:
            with (
                write_transaction(),
                lifted_triggers(connection, _LIFTED) as lifted,
            ):
                maker.check_counters(rows.expected)
                _write(connection, rows, lifted)
            written += len(rows.tickets)
            events_written += len(rows.events)
            if progress is not None:
                elapsed = time.perf_counter() - started
                print(
                    f"demo: {written:,}/{tickets:,} tickets, {events_written:,} "
                    f"events ({written / elapsed:,.0f} tickets/s)",
                    file=progress,
                    flush=True,
                )
    except (PeeweeException, sqlite3.Error) as error:
        raise DemoLoadError(
            describe_database_error(error, settings.database_path)
        ) from error
    finally:
        if producer.is_alive():  # the writing stopped early
            producer.terminate()
        producer.join()
        produced.close()
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA cache_size = -2000")
    try:
        # The load ran without fsyncs: make it durable now, in one go.
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as error:
        raise DemoLoadError(
            describe_database_error(error, settings.database_path)
        ) from error
    return DemoReport(written, events_written, time.perf_counter() - started)


# Triggers whose work _write does once per batch. The append-only guard
# against an event written over another is lifted too: the batch's plain
# INSERTs of new uuids replace nothing (a uuid already there fails its
# UNIQUE constraint all the same).
_LIFTED = (
    *SEARCH_TRIGGERS,
    FACTS_TRIGGER,
    STATUS_COUNT_TRIGGER,
    "ticket_event_no_replace",
)
_NOTE_SEARCH_SQL = "INSERT INTO note_search (rowid, grams) VALUES (?, ?)"


def _write(connection: sqlite3.Connection, rows: _Rows, lifted: set[str]) -> None:
    """One batch's rows, in the write transaction, with the triggers in
    ``_LIFTED`` dropped: their work is done here for the whole batch. The
    batch's tickets are new, so their report facts, folded from the
    histories made with them (kiosk.report_facts.fold, as each event's own
    transaction would), are written as they are, and so are the notes'
    search index rows, made with them (kiosk.bulk.search_grams)."""
    connection.executemany(_TICKET_SQL, rows.tickets)
    if STATUS_COUNT_TRIGGER in lifted:
        connection.executemany(
            _STATUS_COUNT_SQL, Counter(row[13] for row in rows.tickets).items()
        )
    connection.executemany(_EVENT_SQL, rows.events)
    connection.executemany(_OUTBOX_SQL, rows.outbox)
    connection.executemany(_COUNTER_SQL, rows.counters)
    if not rows.tickets:
        return
    # Each ticket's fact row carries its id; each note's index row, its
    # event's.
    first_id = _first_id(connection, "ticket", rows.tickets)
    first_event_id = _first_id(connection, "ticket_event", rows.events)
    connection.executemany(
        _FACT_SQL,
        (
            (fact[0], first_id + place, *fact[2:])
            for place, fact in enumerate(rows.facts)
        ),
    )
    connection.executemany(_UNIT_SQL, rows.units)
    # The batch's tickets per day and place, as the fold keeps them.
    place_changes(
        lambda statement, params: connection.execute(statement, params).fetchall(),
        Counter(key for key in map(place_of_fact, rows.facts) if key is not None),
    )
    add_report_days(
        lambda statement, params: connection.execute(statement, params).fetchall(),
        [str(fact[0]) for fact in rows.facts],
    )
    if "ticket_search_insert" in lifted:
        # In SQL here, in step with the child's work on the next batch.
        index_tickets_after(connection, first_id - 1)
    if "note_search_insert" in lifted:
        connection.executemany(
            _NOTE_SEARCH_SQL,
            ((first_event_id + place, grams) for place, grams in rows.note_grams),
        )
    if "note_ticket_insert" in lifted:
        map_notes_after(connection, first_event_id - 1)


def _first_id(
    connection: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]]
) -> int:
    """The id of the first of ``rows`` (uuid first), just written to ``table``:
    a batch's rows take consecutive ids (one writer, ids only grow)."""
    first_id, last_id = (
        int(
            connection.execute(
                f"SELECT id FROM {table} WHERE uuid = ?", (row[0],)
            ).fetchone()[0]
        )
        for row in (rows[0], rows[-1])
    )
    if last_id - first_id != len(rows) - 1:
        raise DemoLoadError(f"the demo's {table} rows did not take consecutive ids")
    return first_id


def _produce(
    maker: _Maker,
    plan: list[_Planned],
    batch_tickets: int,
    counters: dict[tuple[str, str], int],
    pending: bool,
    produced: multiprocessing.Queue[_Rows | DemoLoadError | None],
) -> None:
    """In the child process: each batch's rows, then None; or what stopped it.
    It ends by itself when the writing process is gone (killed mid-load)."""
    writer = os.getppid()

    def hand_over(found: _Rows | DemoLoadError | None) -> bool:
        while True:
            try:
                produced.put(found, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                if os.getppid() != writer:
                    # Nobody reads what is still queued: end without it.
                    produced.cancel_join_thread()
                    return False

    try:
        for chunk in _batches(plan, batch_tickets):
            if not hand_over(maker.rows(chunk, counters, pending)):
                return
        hand_over(None)
    except BaseException as error:  # handed to the writer, described
        hand_over(DemoLoadError(f"the demo rows could not be made: {error!r}"))


def _next_rows(
    produced: multiprocessing.Queue[_Rows | DemoLoadError | None],
    producer: BaseProcess,
) -> _Rows | None:
    """The next batch from the child process; None after the last."""
    while True:
        try:
            found = produced.get(timeout=_POLL_SECONDS)
        except queue.Empty:
            if producer.is_alive():
                continue
            try:  # what it put just before it ended
                found = produced.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                raise DemoLoadError(
                    "the process making the demo rows ended early "
                    f"(exit code {producer.exitcode})"
                ) from None
        if isinstance(found, DemoLoadError):
            raise found
        return found


def _batches(plan: list[_Planned], size: int) -> Iterator[list[_Planned]]:
    for start in range(0, len(plan), size):
        yield plan[start : start + size]


@dataclass(frozen=True)
class _Planned:
    created_at: datetime
    status: str


@dataclass
class _Rows:
    tickets: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    outbox: list[tuple[Any, ...]]
    counters: list[tuple[Any, ...]]
    # Report facts, one per ticket in the order of ``tickets`` (the row id
    # left at 0, filled when written), and the units' facts.
    facts: list[tuple[Any, ...]]
    units: list[tuple[Any, ...]]
    # The search index's rows of the notes, with their events' places in
    # ``events``.
    note_grams: list[tuple[int, str]]
    # Counter values this batch was numbered from: checked at write time.
    expected: dict[tuple[str, str], int]


# kiosk.reports.TICKET_FIELDS: where each is in a row of _TICKET_SQL.
_TICKET_PLACES = (
    ("uuid", 0),
    ("ticket_no", 1),
    ("station", 3),
    ("category", 5),
    ("item", 6),
    ("building", 7),
    ("unit", 14),
    ("created_at", 12),
    ("due_at", 15),
)


class _Maker:
    """Generates plausible rows; one instance per load."""

    def __init__(
        self, settings: Settings, catalog: Catalog, rng: random.Random, now: datetime
    ) -> None:
        self.settings = settings
        self.station = settings.station.code
        self.catalog = catalog
        self.rng = rng
        self.now = now
        self.categories = catalog.categories
        # Repairs and sanitation come up more often than certificates.
        self.category_weights = [
            {"housing": 24, "sanitation": 18, "property": 14}.get(c.code, 8)
            for c in catalog.categories
        ]
        # The same draws as with the weights, without summing them each time.
        self.category_sums = list(accumulate(self.category_weights))
        buildings = [b for grid in settings.station.grids for b in grid.buildings]
        self.buildings = buildings or ["社区公共区域"]
        self.uuids = _TimeOrderedUuids()

    def plan(self, tickets: int, days: int) -> list[_Planned]:
        """Creation times (oldest first) and the status each ticket reaches."""
        rng = self.rng
        today = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        # Weekdays are busier than weekends. Today is left to the kiosk.
        offsets = list(range(days, 0, -1))
        weights = [
            0.5 if (today - timedelta(days=o)).weekday() >= 5 else 1.0 for o in offsets
        ]
        per_day = Counter(rng.choices(offsets, weights, k=tickets))
        plan: list[_Planned] = []
        for offset in offsets:
            count = per_day.get(offset, 0)
            if not count:
                continue
            start = today - timedelta(days=offset) + timedelta(hours=8)
            seconds = sorted(rng.randrange(10 * 3600) for _ in range(count))
            for second in seconds:
                created = start + timedelta(seconds=second)
                if created > self.now:
                    created = self.now
                plan.append(_Planned(created, self._status_for(offset)))
        # Make sure every status appears at least once.
        if len(plan) >= len(STATUSES):
            for index, status in enumerate(STATUSES):
                target = rng.randrange(len(plan))
                if index < len(plan):
                    target = (len(plan) * index) // len(STATUSES)
                plan[target] = _Planned(plan[target].created_at, status)
        return plan

    def _status_for(self, age_days: int) -> str:
        """Older tickets are mostly closed; recent ones still open."""
        if age_days > 30:
            sums = _OLD_STATUS_SUMS
        elif age_days > 7:
            sums = _RECENT_STATUS_SUMS
        else:
            sums = _NEW_STATUS_SUMS
        return self.rng.choices(STATUS_ORDER, cum_weights=sums)[0]

    def read_counters(self, chunk: list[_Planned]) -> dict[tuple[str, str], int]:
        first = chunk[0].created_at.strftime("%Y-%m-%d")
        last = chunk[-1].created_at.strftime("%Y-%m-%d")
        rows = database.execute_sql(
            "SELECT day, scope, value FROM daily_counter "
            "WHERE station = ? AND day BETWEEN ? AND ?",
            (self.station, first, last),
        ).fetchall()
        return {(day, scope): int(value) for day, scope, value in rows}

    def check_counters(self, expected: dict[tuple[str, str], int]) -> None:
        """Refuse to write if someone numbered tickets on these days meanwhile."""
        if not expected:
            return
        days = sorted({day for day, _ in expected})
        now_values = {
            (day, scope): int(value)
            for day, scope, value in database.execute_sql(
                "SELECT day, scope, value FROM daily_counter "
                "WHERE station = ? AND day BETWEEN ? AND ?",
                (self.station, days[0], days[-1]),
            ).fetchall()
        }
        for key, value in expected.items():
            if now_values.get(key, 0) != value:
                raise DemoLoadError(
                    f"tickets were numbered for {key[0]} while the demo loaded; "
                    "run it again"
                )

    def rows(
        self,
        chunk: list[_Planned],
        counters: dict[tuple[str, str], int],
        pending: bool,
    ) -> _Rows:
        rng = self.rng
        rows = _Rows([], [], [], [], [], [], [], {})
        touched: set[tuple[str, str]] = set()
        uuids = self.uuids.take(len(chunk) * 7)
        next_uuid = iter(uuids).__next__
        for planned in chunk:
            created = planned.created_at
            day = created.strftime("%Y-%m-%d")
            category = rng.choices(self.categories, cum_weights=self.category_sums)[0]
            queue_scope = f"queue:{category.letter}"
            for key in ((day, "ticket"), (day, queue_scope)):
                if key not in touched:
                    touched.add(key)
                    rows.expected[key] = counters.get(key, 0)
            serial = counters.get((day, "ticket"), 0) + 1
            counters[(day, "ticket")] = serial
            queue_serial = counters.get((day, queue_scope), 0) + 1
            counters[(day, queue_scope)] = queue_serial
            ticket_uuid = next_uuid()
            ticket = self._ticket(
                ticket_uuid,
                f"{self.station}-{created:%y%m%d}-{serial:03d}",
                f"{category.letter}{queue_serial:03d}",
                day,
                category,
                created,
                planned.status,
            )
            rows.tickets.append(ticket)
            history = []
            for kind, actor, at, payload in self._history(
                ticket, category, created, planned.status
            ):
                payload_text = _dumps(payload)
                try:
                    event_uuid = next_uuid()
                except StopIteration:
                    event_uuid = self.uuids.take(1)[0]
                at_text = at.isoformat()
                text = payload.get("text")
                if kind != "received" and isinstance(text, str):
                    rows.note_grams.append((len(rows.events), search_grams(text + " ")))
                rows.events.append(
                    (event_uuid, ticket_uuid, kind, actor, at_text, payload_text)
                )
                history.append(
                    {
                        "ticket_uuid": ticket_uuid,
                        "kind": kind,
                        "actor": actor,
                        "at": at_text,
                        # As parsed from payload_text: plain strings.
                        "payload": payload,
                    }
                )
                if pending:
                    rows.outbox.append((event_uuid, at_text, 0, None))
                else:
                    sent = min(at + timedelta(seconds=rng.randint(2, 90)), self.now)
                    rows.outbox.append((event_uuid, at_text, 1, sent.isoformat()))
            fact, units = fold(
                {field: ticket[place] for field, place in _TICKET_PLACES}, history, 0
            )
            rows.facts.append(fact)
            rows.units.extend(units)
        rows.counters = [
            (self.station, day, scope, counters[(day, scope)])
            for day, scope in sorted(touched)
        ]
        return rows

    def _ticket(
        self,
        ticket_uuid: str,
        ticket_no: str,
        queue_no: str,
        day: str,
        category: Category,
        created: datetime,
        status: str,
    ) -> tuple[Any, ...]:
        rng = self.rng
        choices = [item.code for item in category.items]
        item_code = OTHER_ITEM if rng.random() < 0.08 else rng.choice(choices)
        item_name = category.item(item_code).name
        building = rng.choice(self.buildings)
        description = self._description(item_name, building)
        contact_name = contact_mobile = consent_at = None
        if rng.random() < 0.45:
            contact_name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if rng.random() < 0.3:
                contact_name = contact_name[0] + rng.choice(("阿姨", "师傅"))
            contact_mobile = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
            consent_at = created.isoformat()
        due_at = created + timedelta(hours=category.resolution_hours)
        return (
            ticket_uuid,
            ticket_no,
            queue_no,
            self.station,
            day,
            category.code,
            item_code,
            building,
            description,
            contact_name,
            contact_mobile,
            consent_at,
            created.isoformat(),
            status,
            category.unit,
            due_at.isoformat(),
            secrets.token_urlsafe(16),
            "printed",
            "en" if rng.random() < 0.04 else "zh-CN",
        )

    def _description(self, item_name: str, building: str) -> str:
        rng = self.rng
        unit_no = rng.randint(1, 4)
        parts = [
            f"{building}{unit_no}单元{rng.choice(PLACES)}{item_name}",
            rng.choice(DURATIONS),
        ]
        if rng.random() < 0.7:
            parts.append(rng.choice(IMPACTS))
        return "，".join(parts) + "，" + rng.choice(ASKS)

    def _history(
        self,
        ticket: tuple[Any, ...],
        category: Category,
        created: datetime,
        status: str,
    ) -> Iterator[tuple[str, str, datetime, dict[str, Any]]]:
        """The events that take a new ticket to ``status``, in time order."""
        rng = self.rng
        clock = _Clock(created, self.now, rng)
        snapshot = {
            "ticket_no": ticket[1],
            "queue_no": ticket[2],
            "station": ticket[3],
            "category": ticket[5],
            "item": ticket[6],
            "building": ticket[7],
            "description": ticket[8],
            "contact_name": ticket[9],
            "contact_mobile": ticket[10],
            "created_at": ticket[12],
            "unit": ticket[14],
            "due_at": ticket[15],
            "token": ticket[16],
            "language": ticket[18],
        }
        yield "received", f"kiosk:{self.station}", created, snapshot
        staff = f"staff:{rng.choice(STAFF)}"
        unit = {"unit": category.unit}
        if status == RECEIVED:
            return
        if status == WITHDRAWN and rng.random() < 0.5:
            yield "withdrawn", staff, clock.after(0.2, 8), self._withdrawal()
            return
        yield "dispatched", staff, clock.after(0.2, 6), unit
        if rng.random() < 0.2:
            yield "note", staff, clock.after(0.5, 24), self._note()
        if status == DISPATCHED:
            return
        if status == WITHDRAWN:
            yield "withdrawn", staff, clock.after(1, 48), self._withdrawal()
            return
        if status == ESCALATED:
            if rng.random() < 0.5:
                yield "acknowledged", staff, clock.after(0.5, 12), unit
            yield "escalated", staff, clock.after(2, 72), self._escalation()
            return
        yield "acknowledged", staff, clock.after(0.5, 12), unit
        if status == ACKNOWLEDGED:
            return
        resolve_hours = max(1.0, category.resolution_hours * 0.9)
        yield "resolved", staff, clock.after(1, resolve_hours), self._resolved()
        if status == RESOLVED:
            return
        if rng.random() < 0.06:
            # 不满意 reopens the case; it goes round once more.
            text = {"rating": "dissatisfied", "text": "问题没有彻底解决"}
            yield "callback", staff, clock.after(12, 72), text
            yield "acknowledged", staff, clock.after(0.5, 12), unit
            yield (
                "resolved",
                staff,
                clock.after(1, resolve_hours),
                self._resolved(),
            )
        rating = rng.choices(RATINGS, cum_weights=_RATING_SUMS)[0]
        yield "callback", staff, clock.after(12, 72), {"rating": rating}
        if rng.random() < 0.3:
            rated = {"unit": category.unit, "rating": rating}
            yield "unit_rated", staff, clock.after(0.1, 2), rated

    def _withdrawal(self) -> dict[str, object]:
        return {"reason": self.rng.choice(WITHDRAW_REASONS)}

    def _note(self) -> dict[str, object]:
        return {"text": self.rng.choice(NOTE_TEXTS)}

    def _escalation(self) -> dict[str, object]:
        return {"text": self.rng.choice(ESCALATE_TEXTS)}

    def _resolved(self) -> dict[str, object]:
        return {"text": self.rng.choice(RESOLVED_TEXTS)}


class _Clock:
    """Event times after a ticket's creation, never past now, never backwards."""

    def __init__(self, start: datetime, now: datetime, rng: random.Random) -> None:
        self.current = start
        self.now = now
        self.rng = rng

    def after(self, low_hours: float, high_hours: float) -> datetime:
        step = timedelta(seconds=self.rng.uniform(low_hours, high_hours) * 3600)
        self.current = min(self.current + step, self.now)
        self.current = self.current.replace(microsecond=0)
        return self.current


class _TimeOrderedUuids:
    """Version-7 UUIDs (RFC 9562): the load's start in milliseconds and a
    counter in the first 60 bits, random bits after. They grow in the order
    they are made, so the uuid indexes of tickets, events and the outbox take
    the demo's rows at their end instead of on a random page each: a fifth
    of a large load's time."""

    def __init__(self) -> None:
        self.next_value = int(time.time() * 1000) << 12

    def take(self, count: int) -> list[str]:
        start = self.next_value
        self.next_value += count
        raw = os.urandom(8 * count).hex()
        variant = "89ab"
        made = []
        for index in range(count):
            head = f"{start + index:015x}"
            tail = raw[16 * index : 16 * index + 16]
            made.append(
                f"{head[:8]}-{head[8:12]}-7{head[12:15]}-"
                f"{variant[int(tail[0], 16) & 3]}{tail[1:4]}-{tail[4:16]}"
            )
        return made


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _dumps(payload: Mapping[str, object]) -> str:
    """``json.dumps(payload, ensure_ascii=False)``, without a new encoder each
    time."""
    return _ENCODER.encode(payload)
