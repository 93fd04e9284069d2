"""Two more scenarios of ``python -m bench central`` (bench/central.py runs them).

- crowd: the 300-station district (bench/central.py) while 200 slow clients
  dribble their requests a byte a second (half the headers, half a body) and
  200 busy clients, each from an address of its own, ask for Open311's list
  back to back with the default rate limits; meanwhile a load balancer's
  probe opens a connection for ``GET /healthz`` every 100 ms. Goals: district
  push p99 under 200 ms and /healthz p99 under 100 ms, in the same run. The
  baseline, in the same run and on the same central, is the district and the
  probe alone. The crowd comes twice, first with every Open311 list rendered
  afresh (``--public-page-seconds 0``), then with rendered pages kept as the
  central ships (central/page_cache.py): the second figure compares the two.
- instances: three ``kiosk-central serve`` processes on one PostgreSQL
  database, each with ``--db-pool INSTANCE_POOL``; 200 stations push back to
  back, then the district syncs, spread over the three: the PostgreSQL
  connections each instance holds (its sockets to the server, read from
  /proc), at their peak and once the instances have been idle, against the
  configured pool (at most pool + 1 each: deploy/central.md).

The slow and busy clients run in a process of their own, so that they do not
slow down the loop that measures the district and the probe.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections import Counter
from contextlib import ExitStack
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

from bench.services import Unavailable, running_central, scratch_database
from bench.stats import emit, note, percentile, ratio

SLOW_CLIENTS = 200
BUSY_CLIENTS = 200
CROWD_SECONDS = 20.0
PROBE_EVERY = 0.1  # a load balancer's health check
HEALTH_GOAL_P99_MS = 100.0
SLOW_BYTE_EVERY = 1.0
# Busy clients' own addresses: 127.0.1.1, 127.0.1.2, ... (all loopback).
BUSY_ADDRESS = "127.0.1.{}"
BUSY_PATH = "/open311/v2/requests.json?page_size=1000"

INSTANCES = 3
INSTANCE_POOL = 8
INSTANCE_IDLE_SECONDS = 3.0
INSTANCE_BURST_SECONDS = 10.0
SAMPLE_EVERY = 0.2
POSTGRES_PORT = 5432


# ------------------------------------------------------------- the crowd


async def _read_answer(reader: asyncio.StreamReader) -> int:
    """One HTTP/1.1 answer's status; its body is read and dropped."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("closed")
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _slow_client(
    port: int, number: int, stop: float, counts: Counter[str]
) -> None:
    """Opens a request and sends it a byte a second; the server times it out
    (408) and closes; it comes back at once."""
    if number % 2:
        start = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        dribble = b"X-Slow: " + b"a" * 4096
    else:
        start = (
            b"POST /open311/v2/requests.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 4096\r\n\r\n"
        )
        dribble = b"a" * 4096
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["slow_refused"] += 1
            await asyncio.sleep(SLOW_BYTE_EVERY)
            continue
        counts["slow_connections"] += 1
        answer = asyncio.ensure_future(reader.read())  # done when it closes
        try:
            writer.write(start)
            for byte in dribble:
                if answer.done() or time.monotonic() >= stop:
                    break
                await asyncio.sleep(SLOW_BYTE_EVERY)
                writer.write(bytes([byte]))
                await writer.drain()
        except OSError:
            pass
        finally:
            if answer.done() and not answer.cancelled():
                closed = answer.exception() is not None or answer.result()
                counts["slow_closed_by_server"] += bool(closed)
            answer.cancel()
            writer.close()


async def _busy_client(
    port: int, number: int, stop: float, counts: Counter[str]
) -> None:
    """From an address of its own, asks for the list back to back."""
    address = BUSY_ADDRESS.format(number + 1)
    request = f"GET {BUSY_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    while time.monotonic() < stop:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(address, 0)
            )
        except OSError:
            counts["busy_refused"] += 1
            await asyncio.sleep(0.1)
            continue
        try:
            while time.monotonic() < stop:
                writer.write(request)
                counts[f"busy_{await _read_answer(reader)}"] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError):
            counts["busy_reconnects"] += 1
        finally:
            writer.close()


def _crowd_main(port: int, seconds: float, started: EventType, results: Any) -> None:
    """The slow and busy clients, in a process of their own."""

    async def crowd() -> Counter[str]:
        counts: Counter[str] = Counter()
        stop = time.monotonic() + seconds
        tasks = [
            asyncio.ensure_future(_slow_client(port, number, stop, counts))
            for number in range(SLOW_CLIENTS)
        ] + [
            asyncio.ensure_future(_busy_client(port, number, stop, counts))
            for number in range(BUSY_CLIENTS)
        ]
        await asyncio.sleep(0.5)  # all connected
        started.set()
        await asyncio.gather(*tasks)
        return counts

    results.put(dict(asyncio.run(crowd())))


async def _probe(port: int, stop: float) -> list[float]:
    """A load balancer's health check: a new connection each time."""
    latencies: list[float] = []
    next_probe = time.perf_counter()
    while next_probe < stop:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            status = await _read_answer(reader)
            writer.close()
        except (OSError, asyncio.IncompleteReadError):
            status = 0
        # A probe that fails counts as one far past any goal.
        latencies.append(time.perf_counter() - started if status == 200 else 60.0)
        next_probe += PROBE_EVERY
        await asyncio.sleep(max(0.0, next_probe - time.perf_counter()))
    return latencies


async def _district_and_probe(
    stations: list[Any], port: int, seconds: float
) -> tuple[dict[str, float], list[float]]:
    # Imported here: bench.central imports this module to run it.
    from bench.central import ROUND_SECONDS, _district

    stop = time.perf_counter() + seconds
    district, probes = await asyncio.gather(
        _district(stations, seconds, ROUND_SECONDS), _probe(port, stop)
    )
    for station in stations:  # a connection belongs to this loop
        station.connection.close()
        station.connection.writer = None
    return district, probes


def _beside_crowd(
    stations: list[Any], port: int
) -> tuple[dict[str, float], list[float], dict[str, int]]:
    """The district and the probe while the crowd's process runs."""
    context = multiprocessing.get_context("spawn")
    started = context.Event()
    results = context.Queue()
    clients = context.Process(
        target=_crowd_main,
        args=(port, CROWD_SECONDS + 5.0, started, results),
    )
    clients.start()
    if not started.wait(60):
        clients.kill()
        raise Unavailable("the crowd's process did not start")
    beside, probes = asyncio.run(_district_and_probe(stations, port, CROWD_SECONDS))
    counts: dict[str, int] = results.get(timeout=60)
    clients.join(30)
    return beside, probes, counts


def crowd(database: str, workdir: Path) -> None:
    """The district and the probe, alone and then beside the crowd: once with
    Open311 lists rendered for every request (--public-page-seconds 0), then
    as the central ships (rendered pages kept a few seconds)."""
    # Imported here: bench.central imports this module to run it.
    from bench.central import DISTRICT_STATIONS, GOAL_P99_MS, Station, _register

    runs: dict[str, tuple[dict[str, float], list[float], dict[str, int]]] = {}
    serials: dict[str, int] = {}
    with scratch_database(database, workdir, "kiosk_central_crowd") as db_url:
        note(f"central/{database}: registering {DISTRICT_STATIONS} stations")
        keys = _register(db_url, DISTRICT_STATIONS)
        for cached in (False, True):
            log = workdir / f"central-{database}-crowd-{cached}.log"
            options = () if cached else ("--public-page-seconds", "0")
            with running_central(db_url, log, *options) as url:
                port = int(url.rsplit(":", 1)[1])
                stations = [Station(code, key, port) for code, key in keys]
                for station in stations:  # go on numbering: no ticket twice
                    station.serial = serials.get(station.code, 0)
                if not cached:
                    note(
                        f"central/{database}: {DISTRICT_STATIONS} stations and a "
                        f"health probe for {CROWD_SECONDS:.0f} s, alone"
                    )
                    alone, alone_probes = asyncio.run(
                        _district_and_probe(stations, port, CROWD_SECONDS)
                    )
                note(
                    f"central/{database}: the same beside {SLOW_CLIENTS} slow and "
                    f"{BUSY_CLIENTS} busy clients, Open311 pages "
                    f"{'kept' if cached else 'rendered each time'}"
                )
                runs["cached" if cached else "uncached"] = _beside_crowd(stations, port)
                serials = {station.code: station.serial for station in stations}
    beside, beside_probes, counts = runs["cached"]
    uncached, uncached_probes, uncached_counts = runs["uncached"]
    health_p99 = percentile(beside_probes, 99) * 1000
    health_alone_p99 = percentile(alone_probes, 99) * 1000
    health_uncached_p99 = percentile(uncached_probes, 99) * 1000
    load = os.getloadavg()
    emit(
        "central",
        "crowd_district_push_p99_ms",
        beside["p99_ms"],
        database=database,
        stations=DISTRICT_STATIONS,
        slow_clients=SLOW_CLIENTS,
        busy_clients=BUSY_CLIENTS,
        push_p50_ms=beside["p50_ms"],
        pull_p99_ms=beside["pull_p99_ms"],
        failures=beside["failures"],
        healthz_p99_ms=health_p99,
        healthz_p50_ms=percentile(beside_probes, 50) * 1000,
        healthz_max_ms=max(beside_probes) * 1000,
        healthz_probes=len(beside_probes),
        crowd=counts,
        baseline="the same district and probe with no crowd, same run",
        baseline_value=alone["p99_ms"],
        baseline_healthz_p99_ms=health_alone_p99,
        ratio=ratio(beside["p99_ms"], alone["p99_ms"]),
        healthz_ratio=ratio(health_p99, health_alone_p99),
        goal_ms=GOAL_P99_MS,
        healthz_goal_ms=HEALTH_GOAL_P99_MS,
        meets_goal=beside["p99_ms"] < GOAL_P99_MS
        and beside["failures"] == 0
        and health_p99 < HEALTH_GOAL_P99_MS,
        load_average=[round(value, 2) for value in load],
    )
    emit(
        "central",
        "crowd_page_cache_district_push_p99_ms",
        beside["p99_ms"],
        database=database,
        healthz_p99_ms=health_p99,
        crowd=counts,
        baseline="the same crowd with every Open311 list rendered afresh "
        "(--public-page-seconds 0), same run, just before",
        baseline_value=uncached["p99_ms"],
        baseline_healthz_p99_ms=health_uncached_p99,
        baseline_failures=uncached["failures"],
        baseline_crowd=uncached_counts,
        ratio=ratio(beside["p99_ms"], uncached["p99_ms"]),
        healthz_ratio=ratio(health_p99, health_uncached_p99),
        load_average=[round(value, 2) for value in load],
    )


# ------------------------------------------------------------- instances


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{name}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        pass
    return inodes


def _tcp_sockets() -> list[tuple[int, int, int, str]]:
    """(local port, remote port, state, inode) of every TCP socket here."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            found.append((local_port, remote_port, int(fields[3], 16), fields[9]))
    return found


LISTEN = 0x0A
ESTABLISHED = 0x01


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the central's intake processes)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _listening_pid(port: int) -> int:
    inodes = {
        inode
        for local, _, state, inode in _tcp_sockets()
        if local == port and state == LISTEN
    }
    for name in os.listdir("/proc"):
        if name.isdigit() and _socket_inodes(int(name)) & inodes:
            return int(name)
    raise Unavailable(f"no process listens on port {port}")


def _database_connections(pids: list[int]) -> int:
    """Open connections to PostgreSQL held by these processes."""
    to_postgres = {
        inode
        for _, remote, state, inode in _tcp_sockets()
        if remote == POSTGRES_PORT and state == ESTABLISHED
    }
    held: set[str] = set()
    for pid in pids:
        held |= _socket_inodes(pid) & to_postgres
    return len(held)


async def _sample_while(work: Any, pids: list[list[int]], peaks: list[int]) -> Any:
    async def sample() -> None:
        while True:
            for index, tree in enumerate(pids):
                peaks[index] = max(peaks[index], _database_connections(tree))
            await asyncio.sleep(SAMPLE_EVERY)

    sampler = asyncio.ensure_future(sample())
    try:
        return await work
    finally:
        sampler.cancel()


def instances(workdir: Path) -> None:
    """Three instances on one PostgreSQL database: connections each holds."""
    # Imported here: bench.central imports this module to run it.
    from bench.central import (
        DISTRICT_STATIONS,
        ROUND_SECONDS,
        SATURATION_STATIONS,
        Station,
        _district,
        _register,
        _saturate,
    )

    with scratch_database("postgresql", workdir, "kiosk_central_three") as db_url:
        note(f"central/postgresql: registering {DISTRICT_STATIONS} stations")
        keys = _register(db_url, DISTRICT_STATIONS)
        options = (
            "--db-pool",
            str(INSTANCE_POOL),
            "--db-idle",
            str(INSTANCE_IDLE_SECONDS),
        )
        with ExitStack() as stack:
            ports = [
                int(
                    stack.enter_context(
                        running_central(
                            db_url, workdir / f"central-three-{number}.log", *options
                        )
                    ).rsplit(":", 1)[1]
                )
                for number in range(INSTANCES)
            ]
            trees = [_process_tree(_listening_pid(port)) for port in ports]
            stations = [
                Station(code, key, ports[index % INSTANCES])
                for index, (code, key) in enumerate(keys)
            ]
            burst_peaks = [0] * INSTANCES
            district_peaks = [0] * INSTANCES
            note(
                f"central/postgresql: {INSTANCES} instances (--db-pool "
                f"{INSTANCE_POOL}): {SATURATION_STATIONS} stations pushing at once "
                f"for {INSTANCE_BURST_SECONDS:.0f} s, then {DISTRICT_STATIONS} "
                f"stations syncing for {CROWD_SECONDS:.0f} s"
            )

            async def load() -> tuple[dict[str, float], dict[str, float]]:
                burst = await _sample_while(
                    _saturate(stations[:SATURATION_STATIONS], INSTANCE_BURST_SECONDS),
                    trees,
                    burst_peaks,
                )
                district = await _sample_while(
                    _district(stations, CROWD_SECONDS, ROUND_SECONDS),
                    trees,
                    district_peaks,
                )
                for station in stations:
                    station.connection.close()
                return burst, district

            burst, district = asyncio.run(load())
            # Idle: the pools give their unused connections back.
            deadline = time.monotonic() + INSTANCE_IDLE_SECONDS + 10.0
            idle = [_database_connections(tree) for tree in trees]
            while time.monotonic() < deadline and max(idle) > 1:
                time.sleep(SAMPLE_EVERY)
                idle = [_database_connections(tree) for tree in trees]
    peaks = [max(pair) for pair in zip(burst_peaks, district_peaks, strict=True)]
    emit(
        "central",
        "instances_db_connections_peak",
        max(peaks),
        database="postgresql",
        instances=INSTANCES,
        db_pool=INSTANCE_POOL,
        bound_per_instance=INSTANCE_POOL + 1,
        burst_peaks=burst_peaks,
        district_peaks=district_peaks,
        after_idle=idle,
        idle_seconds=INSTANCE_IDLE_SECONDS,
        burst_pushes_per_s=burst["pushes_per_s"],
        burst_p99_ms=burst["p99_ms"],
        burst_failures=burst["failures"],
        district_push_p99_ms=district["p99_ms"],
        district_failures=district["failures"],
        baseline="the configured pool, --db-pool per instance (+1 health ping)",
        baseline_value=INSTANCE_POOL + 1,
        ratio=ratio(max(peaks), INSTANCE_POOL + 1),
        within_pool=max(peaks) <= INSTANCE_POOL + 1,
    )
