"""``kiosk-central serve`` alone bounds what a client can make it hold: header
bytes, time to send a request, open connections, and a push's body before
its key is known. Raw sockets, so the client can misbehave."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.central.conftest import Server, run_cli, start_server

READ_TIMEOUT = 1.0
MAX_CONNECTIONS = 8
WAIT = 10.0  # the longest any answer here may take


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("bounded")
    db = str(folder / "central.db")
    key = run_cli(db, "station", "add", "PHY3", "--name", "测试站").stdout.split()[-1]
    server = start_server(
        db,
        folder,
        "--read-timeout",
        str(READ_TIMEOUT),
        "--max-connections",
        str(MAX_CONNECTIONS),
    )
    yield server, key
    server.stop()
    assert "Traceback" not in server.log(), server.log()


def _connect(server: Server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=WAIT)
    return connection


def _answer(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            return received
        received += chunk


def _healthy(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=WAIT) as client:
        assert client.get("/healthz").status_code == 200


def test_a_huge_header_is_refused_with_431(guarded: tuple[Server, str]) -> None:
    server, _ = guarded
    with _connect(server) as connection:
        connection.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
            + b"a" * (256 * 1024)
            + b"\r\n\r\n"
        )
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    _healthy(server)


def test_a_client_that_never_finishes_its_headers_is_closed(
    guarded: tuple[Server, str],
) -> None:
    server, _ = guarded
    with _connect(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - started < READ_TIMEOUT + 3


def test_a_connection_that_sends_nothing_is_closed(
    guarded: tuple[Server, str],
) -> None:
    server, _ = guarded
    with _connect(server) as connection:
        started = time.monotonic()
        _answer(connection)
    assert time.monotonic() - started < READ_TIMEOUT + 3


def test_a_stalled_body_is_closed(guarded: tuple[Server, str]) -> None:
    server, key = guarded
    with _connect(server) as connection:
        connection.sendall(
            b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + key.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            b'{"events": ['
        )
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_a_push_without_a_valid_key_is_refused_before_its_body(
    guarded: tuple[Server, str], key: str | None
) -> None:
    server, _ = guarded
    authorization = f"Authorization: Bearer {key}\r\n".encode() if key else b""
    with _connect(server) as connection:
        # The headers only: a 4 MiB body is announced and never sent.
        connection.sendall(
            b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\n"
            + authorization
            + b"Content-Type: application/json\r\n"
            b"Content-Length: 4194000\r\n\r\n"
        )
        answer = _answer(connection)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
    assert b"connection: close" in answer.lower()


def test_connections_beyond_the_cap_are_refused(guarded: tuple[Server, str]) -> None:
    server, _ = guarded
    held = [_connect(server) for _ in range(MAX_CONNECTIONS)]
    try:
        # Each held connection is accepted and waits (it has sent nothing);
        # one more is answered 503 and closed at once.
        with _connect(server) as extra:
            answer = _answer(extra)
        assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]
    finally:
        for connection in held:
            connection.close()
    # Once they are gone (closed by the server's read timeout at the latest),
    # the server answers again.
    deadline = time.monotonic() + WAIT
    while True:
        try:
            _healthy(server)
            break
        except (AssertionError, httpx.TransportError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # paces the polls; the condition is the answer
