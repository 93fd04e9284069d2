"""``python -m bench central``: the central's ingest rate and push latency.

A real ``kiosk-central serve`` (one process) on 127.0.0.1, once on SQLite and
once on PostgreSQL (a fresh database on 127.0.0.1:5432, dropped afterwards).
The load comes from simulated stations in this process, each on its own
keep-alive connection, speaking plain HTTP/1.1 (a light client, so the
measuring costs the 2-core machine as little as possible):

- saturation: 200 stations push back to back (a new ticket's ``received``
  event plus 4 more events per push) for a fixed time: the ingest rate and the
  latency of a push when every station pushes at once;
- district: 300 stations each run a sync round (one push, one pull) every
  ``ROUND_SECONDS`` at a random phase: the p99 a station sees at a load well
  above a real district's (goal: under 200 ms);
- catch-up: the same district while one more station, back after a long
  outage, pushes a backlog of ``BACKLOG_TICKETS`` tickets in full batches on
  two streams (as kiosk/sync/engine.py does): the district's p99 meanwhile,
  and how long the backlog takes. The baseline, in the same run, is a second
  central with no intake process (``--intake-processes 0``), which parses
  every push in the process that writes;
- crowd and instances: bench/central_crowd.py (slow and busy clients beside
  the district; three instances on one PostgreSQL and their connections).

``--scenario`` (district, catch-up, crowd, instances) and ``--database``
(sqlite, postgresql), each repeatable, run a part only.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import tempfile
import time
import uuid
from pathlib import Path

from bench import central_crowd
from bench.services import Unavailable, running_central, scratch_database
from bench.stats import emit, note, percentile, ratio
from central.db import CentralDatabase, parse_target
from central.schemas import DEFAULT_MAX_BATCH
from central.store.stations import add_station

SATURATION_STATIONS = 200
SATURATION_SECONDS = 15.0
DISTRICT_STATIONS = 300
DISTRICT_SECONDS = 20.0
ROUND_SECONDS = 5.0  # a station's sync interval
EVENTS_PER_PUSH = 5
GOAL_P99_MS = 200.0
BACKLOG_TICKETS = 10_000
BACKLOG_STREAMS = 2  # as kiosk/sync/engine.py's PUSH_STREAMS
CATCH_UP_STATION = "R0001"


class Connection:
    """One station's keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, key: str) -> None:
        self.port = port
        self.auth = f"Authorization: Bearer {key}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        try:
            return await self._request(method, path, body)
        except (ConnectionError, IndexError, asyncio.IncompleteReadError):
            # The server closed an idle keep-alive connection: connect again
            # (safe to resend: events are idempotent by uuid).
            self.close()
            self.writer = None
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                "127.0.0.1", self.port
            )
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        ).encode()
        self.writer.write(head + self.auth + b"\r\n" + body)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _batch(station: str, serial: int, tickets: int = 1) -> bytes:
    """A push: ``tickets`` new tickets, each with EVENTS_PER_PUSH events."""
    return json.dumps(
        {"events": [e for n in range(tickets) for e in _events(station, serial + n)]},
        ensure_ascii=False,
    ).encode()


def _events(station: str, serial: int) -> list[dict[str, object]]:
    ticket_uuid = str(uuid.uuid4())
    number = f"{station}-261125-{serial:05d}"
    snapshot = {
        "ticket_no": number,
        "queue_no": f"B{serial % 1000:03d}",
        "station": station,
        "category": "housing",
        "item": "roof-leak",
        "building": "3号楼2单元",
        "description": "屋顶漏水，雨天更严重",
        "contact_name": "王秀英",
        "contact_mobile": "13812345678",
        "created_at": "2026-11-25T09:30:00+08:00",
        "unit": "property",
        "due_at": "2026-11-27T09:30:00+08:00",
        "token": secrets.token_urlsafe(16),
        "language": "zh-CN",
    }
    events = [("received", snapshot)] + [
        ("note", {"text": f"跟进 {n}"}) for n in range(EVENTS_PER_PUSH - 1)
    ]
    return [
        {
            "uuid": str(uuid.uuid4()),
            "ticket_uuid": ticket_uuid,
            "ticket_no": number,
            "station": station,
            "kind": kind,
            "actor": f"kiosk:{station}",
            "at": "2026-11-25T09:30:00+08:00",
            "payload": payload,
        }
        for kind, payload in events
    ]


class Station:
    def __init__(self, code: str, key: str, port: int) -> None:
        self.code = code
        self.connection = Connection(port, key)
        self.serial = 0

    async def push(self) -> tuple[float, int]:
        self.serial += 1
        body = _batch(self.code, self.serial)
        started = time.perf_counter()
        status = await self.connection.request("POST", "/api/v1/events", body)
        return time.perf_counter() - started, status


async def _saturate(stations: list[Station], seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    failures = 0
    stop = time.perf_counter() + seconds

    async def run(station: Station) -> None:
        nonlocal failures
        while time.perf_counter() < stop:
            elapsed, status = await station.push()
            latencies.append(elapsed)
            failures += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(run(station) for station in stations))
    wall = time.perf_counter() - started
    return _summary(latencies, failures, wall)


async def _district(
    stations: list[Station], seconds: float, period: float
) -> dict[str, float]:
    push_latencies: list[float] = []
    pull_latencies: list[float] = []
    failures = 0
    stop = time.perf_counter() + seconds
    cursors = {station.code: "" for station in stations}

    async def run(station: Station) -> None:
        nonlocal failures
        await asyncio.sleep(random.uniform(0, period))
        next_round = time.perf_counter()
        while next_round < stop:
            elapsed, status = await station.push()
            push_latencies.append(elapsed)
            failures += status != 200
            started = time.perf_counter()
            status = await station.connection.request(
                "GET", f"/api/v1/events?since={cursors[station.code]}&limit=100"
            )
            pull_latencies.append(time.perf_counter() - started)
            failures += status != 200
            next_round += period
            await asyncio.sleep(max(0.0, next_round - time.perf_counter()))

    started = time.perf_counter()
    await asyncio.gather(*(run(station) for station in stations))
    wall = time.perf_counter() - started
    summary = _summary(push_latencies, failures, wall)
    summary["pull_p99_ms"] = percentile(pull_latencies, 99) * 1000
    return summary


def _backlog(station: str) -> list[bytes]:
    """BACKLOG_TICKETS tickets with all their events, in full batches."""
    per_push = DEFAULT_MAX_BATCH // EVENTS_PER_PUSH
    return [
        _batch(station, start + 1, per_push)
        for start in range(0, BACKLOG_TICKETS, per_push)
    ]


async def _catch_up(
    stations: list[Station], port: int, key: str, backlog: list[bytes]
) -> dict[str, float]:
    """The district's rounds, and one station's backlog pushed in the middle:
    the district's push latencies while the backlog goes in."""
    window: list[float] = []
    failures = 0
    draining = asyncio.Event()
    drained = asyncio.Event()
    result: dict[str, float] = {}

    async def rounds(station: Station) -> None:
        nonlocal failures
        await asyncio.sleep(random.uniform(0, ROUND_SECONDS))
        while not drained.is_set():
            counts = draining.is_set()
            elapsed, status = await station.push()
            if counts and not drained.is_set():
                window.append(elapsed)
            failures += status != 200
            try:
                await asyncio.wait_for(drained.wait(), ROUND_SECONDS)
            except TimeoutError:
                pass

    async def stream(connection: Connection, bodies: list[bytes]) -> None:
        nonlocal failures
        for body in bodies:
            failures += await connection.request("POST", "/api/v1/events", body) != 200

    async def catch_up() -> None:
        # The district first settles into its rounds.
        await asyncio.sleep(ROUND_SECONDS * 1.5)
        connections = [Connection(port, key) for _ in range(BACKLOG_STREAMS)]
        draining.set()
        started = time.perf_counter()
        await asyncio.gather(
            *(
                stream(connection, backlog[index::BACKLOG_STREAMS])
                for index, connection in enumerate(connections)
            )
        )
        result["backlog_s"] = time.perf_counter() - started
        drained.set()
        for connection in connections:
            connection.close()

    await asyncio.gather(catch_up(), *(rounds(station) for station in stations))
    for station in stations:
        station.connection.close()
    result.update(
        pushes=len(window),
        failures=failures,
        p50_ms=percentile(window, 50) * 1000,
        p99_ms=percentile(window, 99) * 1000,
        max_ms=max(window) * 1000,
    )
    return result


def _catch_up_bench(
    database: str, workdir: Path, backlog: list[bytes], intake: bool
) -> dict[str, float]:
    label = "with" if intake else "without"
    with scratch_database(database, workdir, "kiosk_central_bench") as db_url:
        keys = _register(db_url, DISTRICT_STATIONS + 1, CATCH_UP_STATION)
        options = () if intake else ("--intake-processes", "0")
        log = workdir / f"central-{database}-catch-up-{label}.log"
        with running_central(db_url, log, *options) as url:
            port = int(url.rsplit(":", 1)[1])
            note(
                f"central/{database}: {DISTRICT_STATIONS} stations syncing while "
                f"{CATCH_UP_STATION} pushes {BACKLOG_TICKETS:,} tickets, "
                f"{label} an intake process"
            )
            stations = [Station(code, key, port) for code, key in keys[:-1]]
            return asyncio.run(_catch_up(stations, port, keys[-1][1], backlog))


def _summary(latencies: list[float], failures: int, wall: float) -> dict[str, float]:
    return {
        "pushes": len(latencies),
        "failures": failures,
        "pushes_per_s": len(latencies) / wall,
        "events_per_s": len(latencies) * EVENTS_PER_PUSH / wall,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


def _register(db_url: str, count: int, last: str = "") -> list[tuple[str, str]]:
    """``count`` stations and their keys; the last one named ``last`` if given."""
    codes = [f"S{n:04d}" for n in range(count)]
    if last:
        codes[-1] = last
    db = CentralDatabase(parse_target(db_url))
    db.open()
    try:
        return [(code, add_station(db, code, f"模拟服务站 {code}")) for code in codes]
    finally:
        db.close()


async def _measure(
    port: int, keys: list[tuple[str, str]]
) -> dict[str, dict[str, float]]:
    saturation_stations = [
        Station(code, key, port) for code, key in keys[:SATURATION_STATIONS]
    ]
    saturation = await _saturate(saturation_stations, SATURATION_SECONDS)
    district_stations = [Station(code, key, port) for code, key in keys]
    for station, previous in zip(district_stations, saturation_stations, strict=False):
        station.serial = previous.serial
    district = await _district(district_stations, DISTRICT_SECONDS, ROUND_SECONDS)
    for station in saturation_stations + district_stations:
        station.connection.close()
    return {"saturation": saturation, "district": district}


def _bench(database: str, db_url: str, workdir: Path) -> None:
    note(f"central/{database}: registering {DISTRICT_STATIONS} stations")
    keys = _register(db_url, DISTRICT_STATIONS)
    with running_central(db_url, workdir / f"central-{database}.log") as url:
        port = int(url.rsplit(":", 1)[1])
        note(
            f"central/{database}: {SATURATION_STATIONS} stations pushing at once "
            f"for {SATURATION_SECONDS:.0f} s, then {DISTRICT_STATIONS} stations "
            f"syncing every {ROUND_SECONDS:g} s for {DISTRICT_SECONDS:.0f} s"
        )
        figures = asyncio.run(_measure(port, keys))
    saturation, district = figures["saturation"], figures["district"]
    emit(
        "central",
        "ingest_events_per_s",
        saturation["events_per_s"],
        database=database,
        stations=SATURATION_STATIONS,
        events_per_push=EVENTS_PER_PUSH,
        pushes_per_s=saturation["pushes_per_s"],
        push_p50_ms=saturation["p50_ms"],
        push_p99_ms=saturation["p99_ms"],
        push_max_ms=saturation["max_ms"],
        failures=saturation["failures"],
    )
    emit(
        "central",
        "district_push_p99_ms",
        district["p99_ms"],
        database=database,
        stations=DISTRICT_STATIONS,
        round_seconds=ROUND_SECONDS,
        pushes_per_s=district["pushes_per_s"],
        events_per_s=district["events_per_s"],
        push_p50_ms=district["p50_ms"],
        pull_p99_ms=district["pull_p99_ms"],
        failures=district["failures"],
        goal_ms=GOAL_P99_MS,
        meets_goal=district["p99_ms"] < GOAL_P99_MS and district["failures"] == 0,
    )


def _catch_up_figures(database: str, workdir: Path) -> None:
    backlog = _backlog(CATCH_UP_STATION)
    baseline = _catch_up_bench(database, workdir, backlog, intake=False)
    measured = _catch_up_bench(database, workdir, backlog, intake=True)
    events = BACKLOG_TICKETS * EVENTS_PER_PUSH
    emit(
        "central",
        "catch_up_district_push_p99_ms",
        measured["p99_ms"],
        database=database,
        stations=DISTRICT_STATIONS,
        backlog_events=events,
        backlog_s=measured["backlog_s"],
        pushes_in_window=measured["pushes"],
        push_p50_ms=measured["p50_ms"],
        push_max_ms=measured["max_ms"],
        failures=measured["failures"] + baseline["failures"],
        baseline="the same with no intake process (--intake-processes 0)",
        baseline_value=baseline["p99_ms"],
        baseline_backlog_s=baseline["backlog_s"],
        baseline_pushes_in_window=baseline["pushes"],
        ratio=ratio(measured["p99_ms"], baseline["p99_ms"]),
        goal_ms=GOAL_P99_MS,
        meets_goal=measured["p99_ms"] < GOAL_P99_MS and measured["failures"] == 0,
    )


SCENARIOS = ("district", "catch-up", "crowd", "instances")
DATABASES = ("sqlite", "postgresql")


def run(
    scenarios: tuple[str, ...] = SCENARIOS, databases: tuple[str, ...] = DATABASES
) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-central-") as folder:
        workdir = Path(folder)
        for database in databases:
            try:
                if "district" in scenarios:
                    with scratch_database(
                        database, workdir, "kiosk_central_bench"
                    ) as url:
                        _bench(database, url, workdir)
                if "catch-up" in scenarios:
                    _catch_up_figures(database, workdir)
                if "crowd" in scenarios:
                    central_crowd.crowd(database, workdir)
            except Unavailable as error:
                note(f"central/{database}: skipped: {error}")
        if "instances" not in scenarios or "postgresql" not in databases:
            return
        try:
            central_crowd.instances(workdir)
        except Unavailable as error:
            note(f"central/postgresql: three instances skipped: {error}")
