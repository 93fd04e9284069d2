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
  above a real district's (goal: under 200 ms).
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

from bench.services import Unavailable, running_central, scratch_database
from bench.stats import emit, note, percentile

SATURATION_STATIONS = 200
SATURATION_SECONDS = 15.0
DISTRICT_STATIONS = 300
DISTRICT_SECONDS = 20.0
ROUND_SECONDS = 5.0  # a station's sync interval
EVENTS_PER_PUSH = 5
GOAL_P99_MS = 200.0


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


def _batch(station: str, serial: int) -> bytes:
    ticket_uuid = str(uuid.uuid4())
    number = f"{station}-261125-{serial:03d}"
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
    return json.dumps(
        {
            "events": [
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
        },
        ensure_ascii=False,
    ).encode()


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


def _register(db_url: str, count: int) -> list[tuple[str, str]]:
    from central import store
    from central.db import CentralDatabase, parse_target

    db = CentralDatabase(parse_target(db_url))
    db.open()
    try:
        return [
            (code, store.add_station(db, code, f"模拟服务站 {n}"))
            for n in range(count)
            for code in [f"S{n:04d}"]
        ]
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


def run() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-central-") as folder:
        workdir = Path(folder)
        for database in ("sqlite", "postgresql"):
            try:
                with scratch_database(database, workdir, "kiosk_central_bench") as url:
                    _bench(database, url, workdir)
            except Unavailable as error:
                note(f"central/{database}: skipped: {error}")
