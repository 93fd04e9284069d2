"""``/healthz`` answers at once however busy the request threads are: a load
balancer must not mark a loaded but working instance down."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.central.conftest import (
    _pg_admin,
    new_ticket,
    run_cli,
    scratch_database,
    start_server,
)

BLOCKED_PUSHES = 60  # more than the server's 40 request threads
WATCH_SECONDS = 3.0
HEALTH_BUDGET = 1.0


def test_healthz_answers_while_every_request_thread_waits(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    key = run_cli(str(db), "station", "add", "PHY3", "--name", "测试站").stdout.split()[
        -1
    ]
    server = start_server(str(db), tmp_path, "--intake-processes", "0")
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # every push now waits for the writer lock

    def push(_: int) -> int:
        received, _uuid = new_ticket()
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            answer = client.post(
                "/api/v1/events",
                json={"events": [received]},
                headers={"Authorization": f"Bearer {key}"},
            )
        return answer.status_code

    try:
        with ThreadPoolExecutor(BLOCKED_PUSHES) as pool:
            pushes = [pool.submit(push, n) for n in range(BLOCKED_PUSHES)]
            slowest = 0.0
            with httpx.Client(base_url=server.base_url, timeout=30) as client:
                watch_until = time.monotonic() + WATCH_SECONDS
                while time.monotonic() < watch_until:
                    started = time.monotonic()
                    health = client.get("/healthz")
                    slowest = max(slowest, time.monotonic() - started)
                    assert health.status_code == 200, health.text
            blocker.execute("ROLLBACK")
            statuses = {future.result() for future in pushes}
        assert slowest < HEALTH_BUDGET, f"/healthz took {slowest:.2f} s"
        assert statuses <= {200, 503}, statuses
    finally:
        blocker.close()
        server.stop()


def _until(condition: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)  # paces the polls; the condition decides
    return True


def test_healthz_says_503_while_the_database_does_not_answer(tmp_path: Path) -> None:
    with scratch_database("postgresql", tmp_path, "kiosk_central_health") as url:
        name = url.rsplit("/", 1)[-1]
        server = start_server(url, tmp_path)
        admin, _ = _pg_admin()
        try:
            with httpx.Client(base_url=server.base_url, timeout=30) as client:

                def status() -> int:
                    return client.get("/healthz").status_code

                assert status() == 200
                with admin.cursor() as cursor:
                    cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s",
                        (name,),
                    )
                assert _until(lambda: status() == 503)
                with admin.cursor() as cursor:
                    cursor.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                assert _until(lambda: status() == 200)
        finally:
            admin.close()
            server.stop()
