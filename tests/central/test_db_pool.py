"""On PostgreSQL each instance holds at most ``--db-pool`` connections, and
gives them back when the load is over: three instances must not exhaust a
server's ``max_connections`` and starve its other users."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.central.conftest import (
    _pg_admin,
    run_cli,
    scratch_database,
    start_server,
)

POOL = 3
CLIENTS = 40
REQUESTS_PER_CLIENT = 10


def _connections(admin: object, name: str) -> int:
    with admin.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        return int(cursor.fetchone()[0])


def test_an_instance_holds_at_most_its_pool_and_releases_it_when_idle(
    tmp_path: Path,
) -> None:
    with scratch_database("postgresql", tmp_path, "kiosk_central_pool") as url:
        name = url.rsplit("/", 1)[-1]
        key = run_cli(url, "station", "add", "PHY3", "--name", "测试站").stdout.split()[
            -1
        ]
        server = start_server(url, tmp_path, "--db-pool", str(POOL), "--db-idle", "1")
        admin, _ = _pg_admin()
        try:

            def client_load(_: int) -> set[int]:
                statuses = set()
                with httpx.Client(
                    base_url=server.base_url,
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=60,
                ) as client:
                    for _ in range(REQUESTS_PER_CLIENT):
                        statuses.add(client.get("/api/v1/events").status_code)
                return statuses

            most = 0
            with ThreadPoolExecutor(CLIENTS) as pool:
                load = [pool.submit(client_load, n) for n in range(CLIENTS)]
                while not all(future.done() for future in load):
                    most = max(most, _connections(admin, name))
                statuses = set().union(*(future.result() for future in load))
            assert statuses == {200}
            assert 1 <= most <= POOL, most
            deadline = time.monotonic() + 15
            while _connections(admin, name) > 1:
                assert time.monotonic() < deadline, _connections(admin, name)
                time.sleep(0.1)  # paces the polls; the count decides
        finally:
            admin.close()
            server.stop()
