"""A real ``kiosk-central serve`` on 127.0.0.1, once on SQLite, once on PostgreSQL.

Every test here runs against both: the session fixture ``backend`` is
parametrized, and PostgreSQL gets a fresh, uniquely named database on the
server at 127.0.0.1:5432 (trust auth), dropped at the end of the session.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest

from central.db import CentralDatabase, parse_target

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_MAINTENANCE_DATABASES = ("test", "postgres")
PG_USERS = ("postgres", "root")
START_TIMEOUT = 30.0
CENTRAL = [sys.executable, "-m", "central"]
# The suite is one client at one address that reads and files far more than
# a person would; the rate limits have tests of their own (test_rates.py).
NO_RATE_LIMITS = (
    "--public-reads-per-minute",
    "1000000",
    "--open311-writes-per-minute",
    "1000000",
    "--public-reads-total-per-minute",
    "1000000",
)


def _pg_admin() -> tuple[Any, str]:
    """An autocommit connection to the maintenance database, and its user."""
    problems = []
    for user in PG_USERS:
        for name in PG_MAINTENANCE_DATABASES:
            try:
                connection = psycopg2.connect(
                    host=PG_HOST,
                    port=PG_PORT,
                    user=user,
                    dbname=name,
                    connect_timeout=5,
                )
            except psycopg2.Error as error:
                problems.append(f"{user}@{name}: {str(error).strip()}")
                continue
            connection.autocommit = True
            return connection, user
    raise RuntimeError(
        "no PostgreSQL at 127.0.0.1:5432 with trust auth (bash .ci/run starts one): "
        + "; ".join(problems)
    )


@contextmanager
def scratch_database(kind: str, folder: Path, prefix: str) -> Iterator[str]:
    """The ``--db`` URL of a fresh, empty database: a file in ``folder``, or
    a uniquely named PostgreSQL database, dropped afterwards."""
    if kind == "sqlite":
        yield str(folder / "central.db")
        return
    admin, user = _pg_admin()
    name = f"{prefix}_{secrets.token_hex(6)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The ``--db`` URL of a fresh, empty database."""
    folder = tmp_path_factory.mktemp("central")
    with scratch_database(request.param, folder, "kiosk_central_test") as url:
        yield url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(
    db_url: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*CENTRAL, *args, "--db", db_url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"kiosk-central {' '.join(args)}: {result.stderr}")
    return result


@dataclass
class Server:
    """One running ``kiosk-central serve`` process."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(db_url: str, log_dir: Path, *extra: str) -> Server:
    port = free_port()
    log_path = log_dir / f"central-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CENTRAL, "serve", "--db", db_url, "--port", str(port), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=2) as client:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"kiosk-central serve exited: {server.log()}")
            try:
                # Up, and its intake processes too (central/intake.py), so
                # that a large push takes the same path in every run.
                health = client.get(f"{server.base_url}/healthz")
                if health.status_code == 200 and health.json()["intake"] != "starting":
                    return server
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise AssertionError(
                    f"kiosk-central serve did not answer: {server.log()}"
                )
            # Polling /healthz is the condition; this only paces the polls.
            time.sleep(0.05)


@dataclass
class Central:
    """The central under test: its server, database and stations' keys."""

    server: Server
    db_url: str
    keys: dict[str, str]
    log_dir: Path
    open311_keys: dict[str, str] = field(default_factory=dict)
    _db: CentralDatabase | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.server.base_url

    def client(self, station: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[station]}"} if station else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_cli(self.db_url, *args, check=check)

    def count(self, table: str) -> int:
        """A row count read straight from the database, as a second opinion."""
        assert table in ("station", "ticket", "event")
        return int(self.rows(f"SELECT COUNT(*) FROM {table}")[0][0])

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows read straight from the database (``?`` placeholders)."""
        if self._db is None:
            self._db = CentralDatabase(parse_target(self.db_url))
            self._db.database.connect(reuse_if_open=True)
        return self._db.rows(sql, params)

    def ticket_no_of(self, public_id: str) -> str:
        """The ticket number behind an Open311 id, read from the database."""
        rows = self.rows(
            "SELECT ticket_no FROM ticket WHERE public_id = ?", (public_id,)
        )
        assert rows, f"no ticket has the public id {public_id!r}"
        return str(rows[0][0])

    def public_id_of(self, ticket_no: str) -> str:
        """A ticket's Open311 id, read from the database."""
        rows = self.rows(
            "SELECT public_id FROM ticket WHERE ticket_no = ?", (ticket_no,)
        )
        assert rows, f"no ticket {ticket_no!r}"
        return str(rows[0][0])

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


@pytest.fixture(scope="session")
def central(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Central]:
    log_dir = tmp_path_factory.mktemp("central-logs")
    keys = {}
    for code, name in (("PHY3", "蒲黄榆第三社区"), ("DTJ7", "东铁营第七社区")):
        output = run_cli(backend, "station", "add", code, "--name", name).stdout
        keys[code] = output.strip().splitlines()[-1]
    added = run_cli(backend, "open311-key", "add", "PHY3", "--name", "市民热线").stdout
    open311_keys = {"PHY3": added.strip().splitlines()[-1]}
    server = start_server(backend, log_dir, *NO_RATE_LIMITS)
    instance = Central(server, backend, keys, log_dir, open311_keys)
    yield instance
    instance.close()
    server.stop()
    # A traceback in the server's log means a request ended in a crash.
    assert "Traceback" not in server.log(), server.log()


def pull_all(client: httpx.Client, count: int, since: str = "") -> dict[str, Any]:
    """Pull until ``count`` events have come (bounded): on PostgreSQL an event
    becomes pullable once no older transaction is still open."""
    deadline = time.monotonic() + 30
    while True:
        answer = client.get("/api/v1/events", params={"since": since, "limit": 500})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if len(body["events"]) >= count or time.monotonic() > deadline:
            return body


_serials = itertools.count(1)


def ticket_no(station: str = "PHY3") -> str:
    return f"{station}-261125-{next(_serials):03d}"


def snapshot(number: str, station: str = "PHY3", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ticket_no": number,
        "queue_no": "B001",
        "station": station,
        "category": "housing",
        "item": "roof-leak",
        "building": "3号楼2单元",
        "description": "屋顶漏水，请尽快处理",
        "contact_name": "王秀英",
        "contact_mobile": "13812345678",
        "created_at": "2026-11-25T09:30:00+08:00",
        "unit": "property",
        "due_at": "2026-11-27T09:30:00+08:00",
        "token": secrets.token_urlsafe(16),
        "language": "zh-CN",
    }
    data.update(changes)
    return data


def event(
    number: str,
    ticket_uuid: str,
    kind: str = "received",
    station: str = "PHY3",
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid4()),
        "ticket_uuid": ticket_uuid,
        "ticket_no": number,
        "station": station,
        "kind": kind,
        "actor": f"kiosk:{station}",
        "at": "2026-11-25T09:30:00+08:00",
        "payload": payload if payload is not None else {},
    }


def new_ticket(
    station: str = "PHY3", **changes: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A ``received`` event and its snapshot, as a station pushes them."""
    number = ticket_no(station)
    data = snapshot(number, station, **changes)
    return event(number, str(uuid.uuid4()), "received", station, data), data


def chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        raise AssertionError(
            "Debian's chromium is not installed (bash .ci/run installs it)"
        )
    return path


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
