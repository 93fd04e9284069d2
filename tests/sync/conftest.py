"""A real ``kiosk-central`` process (SQLite and PostgreSQL), stations, a fault proxy.

The central runs as a subprocess on 127.0.0.1, once per backend per session;
every test registers its own station on it, so tests never see each other's
tickets. The fault proxy is a real socket server between station and central.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import requests

from db import database, open_database
from kiosk.config import Settings, load_settings, render_config
from tests.central.conftest import NO_RATE_LIMITS, scratch_database

PYTHON = sys.executable
Completed = subprocess.CompletedProcess[str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A port where nothing answers, held for the block: bound but never
    listening, so a connection is refused and no other process can take it
    (a port merely found free may be taken, and answer, before it is used)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


def wait_for(condition: Any, timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something true, or fail."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@dataclass
class Central:
    backend: str
    db_url: str
    url: str
    process: subprocess.Popen[bytes]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PYTHON, "-m", "central", "--db", self.db_url, *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def add_station(self, code: str) -> str:
        done = self.cli("station", "add", code, "--name", f"测试站 {code}")
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            path = self.db_url.removeprefix("sqlite:///")
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
                return connection.execute(sql, params).fetchall()
        connection = psycopg2.connect(self.db_url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall()
        finally:
            connection.close()

    def station_events(self, code: str) -> list[str]:
        rows = self.query(
            "SELECT uuid FROM event WHERE station = ? AND origin = 'station'", (code,)
        )
        return [row[0] for row in rows]

    def station_tickets(self, code: str) -> list[str]:
        rows = self.query("SELECT uuid FROM ticket WHERE station = ?", (code,))
        return [row[0] for row in rows]


def _start_central(backend: str, db_url: str, folder: Path) -> Central:
    port = free_port()
    log = (folder / f"central-{backend}.log").open("wb")
    process = subprocess.Popen(
        [PYTHON, "-m", "central", "--db", db_url, "serve"]
        + ["--host", "127.0.0.1", "--port", str(port)]
        # The suite is one address that reads far more in a minute than a
        # person would; the per-address rates have tests of their own
        # (tests/central/test_rates.py). The per-ticket limit on the
        # tracking page's forms stays as shipped.
        + list(NO_RATE_LIMITS),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, "kiosk-central exited at start"
        try:
            health = requests.get(url + "/healthz", timeout=1)
            # Its intake processes started too, as on a central long up.
            return health.status_code == 200 and health.json()["intake"] != "starting"
        except (requests.RequestException, ValueError, KeyError):
            return False

    wait_for(healthy, 60, "kiosk-central /healthz")
    return Central(backend, db_url, url, process)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Central]:
    folder = tmp_path_factory.mktemp(f"central-{request.param}")
    with scratch_database(request.param, folder, "kiosk_sync") as target:
        db_url = f"sqlite:///{target}" if request.param == "sqlite" else target
        server = _start_central(request.param, db_url, folder)
        try:
            yield server
        finally:
            server.process.terminate()
            try:
                server.process.wait(10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


# Stations ------------------------------------------------------------------


@dataclass
class Station:
    code: str
    api_key: str
    folder: Path
    config: Path
    central: Central
    settings: Settings = field(init=False)

    def __post_init__(self) -> None:
        self.settings = load_settings(self.config)

    def write_config(
        self, url: str, api_key: str | None = None, **central: Any
    ) -> None:
        key = self.api_key if api_key is None else api_key
        text = render_config(self.config, self.code, "", url, key)
        options = {
            "batch_size": 20,
            "connect_timeout": 1.0,
            "read_timeout": 1.5,
            "backoff_base": 0.05,
            "backoff_cap": 0.3,
            "sync_interval": 0.3,
        }
        options.update(central)
        lines = "".join(
            f"{name} = {json.dumps(value)}\n" for name, value in options.items()
        )
        text = text.replace("[central]\n", "[central]\n" + lines, 1)
        self.config.write_text(text, encoding="utf-8")
        self.settings = load_settings(self.config)

    def kiosk(self, *args: str, timeout: float = 120) -> Completed:
        return subprocess.run(
            [PYTHON, "-m", "kiosk", "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [PYTHON, "-m", "kiosk", "--config", str(self.config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def local(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.settings.database_path, timeout=30) as connection:
            return connection.execute(sql, params).fetchall()

    def pending(self) -> int:
        rows = self.local("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL")
        return int(rows[0][0])

    def station_events(self) -> list[str]:
        sql = "SELECT uuid FROM ticket_event WHERE origin = 'station'"
        return [row[0] for row in self.local(sql)]

    def tickets(self) -> list[str]:
        return [row[0] for row in self.local("SELECT uuid FROM ticket")]

    def assert_exactly_once(self) -> None:
        """The central holds every ticket and every event of ours, once."""
        at_central = self.central.station_events(self.code)
        assert len(at_central) == len(set(at_central))
        assert sorted(at_central) == sorted(self.station_events())
        central_tickets = self.central.station_tickets(self.code)
        assert sorted(central_tickets) == sorted(self.tickets())
        assert self.pending() == 0


_codes = iter(range(1, 10_000))


@pytest.fixture
def station(central: Central, tmp_path: Path) -> Iterator[Station]:
    code = f"S{os.getpid() % 1000:03d}{next(_codes):03d}"
    code = code[:8]
    api_key = central.add_station(code)
    folder = tmp_path / "station"
    folder.mkdir()
    config = folder / "kiosk.toml"
    config.write_text(render_config(config, code, "", central.url, api_key))
    made = Station(code, api_key, folder, config, central)
    made.write_config(central.url)
    open_database(made.settings.database_path)
    yield made
    database.close()


# The fault proxy -------------------------------------------------------------


@dataclass
class Seen:
    at: float
    method: str
    path: str
    fault: str


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 that can fail requests on purpose.

    ``faults`` is a list consumed one per request: "pass", "500", "503:<secs>"
    (with Retry-After), "hang" (forward to the central, never answer until
    closed), "cut" (forward, then send half of the answer and close), "gate"
    (wait until ``release`` is called, then forward), "413>N" (413 for bodies
    over N bytes, then forward; stays in place).
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.faults: list[str] = []
        self.sticky: str | None = None
        self.seen: list[Seen] = []
        self.in_flight = 0  # requests received and not answered yet
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.released = threading.Semaphore(0)
        self.closing = threading.Event()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self.released.release()

    def close(self) -> None:
        self.closing.set()
        self.release(1000)
        self.server.close()

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            self._serve_requests(client)
        except OSError:
            pass  # a client killed mid-request: its connection is gone

    def _serve_requests(self, client: socket.socket) -> None:
        with client:
            reader = client.makefile("rb")
            while not self.closing.is_set():
                request = _read_http(reader)
                if request is None:
                    return
                head, body = request
                method, path = head.split(b" ")[:2]
                with self.lock:
                    fault = self.faults.pop(0) if self.faults else "pass"
                    if self.sticky and fault == "pass":
                        fault = self.sticky
                    self.seen.append(
                        Seen(time.monotonic(), method.decode(), path.decode(), fault)
                    )
                    self.in_flight += 1
                    self.max_in_flight = max(self.max_in_flight, self.in_flight)
                try:
                    if not self._answer(client, fault, head, body):
                        return
                finally:
                    with self.lock:
                        self.in_flight -= 1

    def _answer(
        self, client: socket.socket, fault: str, head: bytes, body: bytes
    ) -> bool:
        if fault == "500":
            client.sendall(_response(500, b'{"detail": "boom"}'))
            return True
        if fault.startswith("503:"):
            client.sendall(
                _response(503, b'{"detail": "busy"}', {"Retry-After": fault[4:]})
            )
            return True
        if fault.startswith("413>") and len(body) > int(fault[4:]):
            client.sendall(_response(413, b'{"detail": "too big", "errors": []}'))
            return True
        if fault == "gate":
            self.released.acquire()
            if self.closing.is_set():
                return False
        answer = self._forward(head, body)
        if answer is None:
            return False  # the central closed without answering: so does the proxy
        if fault == "hang":
            self.closing.wait()
            return False
        if fault == "cut":
            client.sendall(answer[: len(answer) - max(len(answer) // 3, 5)])
            client.shutdown(socket.SHUT_RDWR)
            return False
        client.sendall(answer)
        return True

    def _forward(self, head: bytes, body: bytes) -> bytes | None:
        host, _, port = self.upstream.partition(":")
        with socket.create_connection((host, int(port)), timeout=30) as up:
            lines = [
                line
                for line in head.split(b"\r\n")
                if not line.lower().startswith(b"connection:")
            ]
            lines.append(b"Connection: close")
            up.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
            chunks = []
            while data := up.recv(65536):
                chunks.append(data)
        raw = b"".join(chunks)
        head_end = raw.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        response_head = raw[:head_end].replace(b"connection: close", b"X-Was: close")
        return response_head + raw[head_end:]


def _read_http(reader: Any) -> tuple[bytes, bytes] | None:
    lines = []
    while True:
        line = reader.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        lines.append(line.rstrip(b"\r\n"))
    head = b"\r\n".join(lines)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head, reader.read(length) if length else b""


def _response(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    reason = {413: "Payload Too Large", 500: "Internal Server Error"}.get(
        status, "Service Unavailable"
    )
    lines = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json"]
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    server = FaultProxy(central.url)
    yield server
    server.close()
