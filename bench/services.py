"""What the central benches run against: a scratch database and a real
``kiosk-central serve`` process on 127.0.0.1."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
START_SECONDS = 60.0


class Unavailable(Exception):
    """PostgreSQL or the central could not be had; the bench says so."""


@contextmanager
def scratch_database(backend: str, folder: Path, prefix: str) -> Iterator[str]:
    """The ``--db`` URL of a fresh database: a new SQLite file in ``folder``,
    or a uniquely named PostgreSQL database, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'{prefix}-{secrets.token_hex(3)}.db'}"
        return
    try:
        import psycopg2
    except ImportError as error:
        raise Unavailable("psycopg2 is not installed") from error
    name = f"{prefix}_{secrets.token_hex(4)}"
    try:
        admin = psycopg2.connect(PG_ADMIN, connect_timeout=5)
    except psycopg2.Error as error:
        raise Unavailable(f"no PostgreSQL at 127.0.0.1:5432: {error}") from error
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@contextmanager
def running_central(
    db_url: str, log: Path | None = None, *options: str
) -> Iterator[str]:
    """``kiosk-central serve`` on a free port, once /healthz answers: its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    output = log.open("wb") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "central", "--db", db_url, "serve"]
        + ["--host", "127.0.0.1", "--port", str(port), *options],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                raise Unavailable("kiosk-central exited at start")
            try:
                # A central that has run for a while: its intake processes
                # (central.intake) have started too.
                health = requests.get(url + "/healthz", timeout=1)
                if health.status_code == 200 and health.json()["intake"] != "starting":
                    break
            except (requests.RequestException, ValueError, KeyError):
                pass
            if time.monotonic() > deadline:
                raise Unavailable("kiosk-central did not answer /healthz")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(15)
        if log is not None:
            output.close()  # type: ignore[union-attr]
