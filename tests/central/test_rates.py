"""Public reads and Open311 filings are rate limited (429 with Retry-After);
station pushes are not, and keep going while the public is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.central.conftest import Server, new_ticket, run_cli, start_server

READS = 5
WRITES = 3


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, str, str]]:
    folder = tmp_path_factory.mktemp("rates")
    db = str(folder / "central.db")
    key = run_cli(db, "station", "add", "PHY3", "--name", "测试站").stdout.split()[-1]
    open311 = run_cli(db, "open311-key", "add", "PHY3", "--name", "热线").stdout
    server = start_server(
        db,
        folder,
        "--public-reads-per-minute",
        str(READS),
        "--open311-writes-per-minute",
        str(WRITES),
    )
    yield server, key, open311.split()[-1]
    server.stop()
    assert "Traceback" not in server.log(), server.log()


def test_public_reads_beyond_the_rate_get_429_and_pushes_go_on(
    limited: tuple[Server, str, str],
) -> None:
    server, key, _ = limited
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        statuses = [
            client.get(
                "/open311/v2/requests.json", params={"service_request_id": "PHY3-1"}
            ).status_code
            for _ in range(READS + 1)
        ]
        refused = client.get("/open311/v2/services.xml")
        received, _ = new_ticket()
        pushed = client.post(
            "/api/v1/events",
            json={"events": [received]},
            headers={"Authorization": f"Bearer {key}"},
        )
    assert statuses == [200] * READS + [429]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.content.startswith(b"<?xml")
    assert pushed.status_code == 200, pushed.text


def test_open311_filings_beyond_the_rate_get_429(
    limited: tuple[Server, str, str],
) -> None:
    server, _, open311_key = limited
    form = {
        "api_key": open311_key,
        "service_code": "housing",
        "address_string": "5号楼",
        "description": "楼道灯坏了",
    }
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        statuses = [
            client.post("/open311/v2/requests.json", data=form).status_code
            for _ in range(WRITES + 1)
        ]
        last = client.post("/open311/v2/requests.json", data=form)
    assert statuses == [200] * WRITES + [429]
    assert last.status_code == 429
    assert last.json()[0]["code"] == 429
    assert int(last.headers["Retry-After"]) >= 1


def test_tracking_page_posts_beyond_the_address_rate_get_a_page_to_read(
    limited: tuple[Server, str, str],
) -> None:
    server, _, _ = limited
    form = {"k": "x" * 22, "text": "楼道灯还是不亮"}
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        for _ in range(WRITES + 1):
            client.post("/t/PHY3-261125-001/note", data=form)
        chinese = client.post("/t/PHY3-261125-001/note", data=form)
        english = client.post(
            "/t/PHY3-261125-001/answer",
            data=form,
            headers={"Accept-Language": "en-US,en"},
        )
    assert chinese.status_code == english.status_code == 429
    assert chinese.headers["content-type"].startswith("text/html")
    assert "提交太频繁，请" in chinese.text and '<html lang="zh-CN">' in chinese.text
    assert "Too many tries; please wait" in english.text
    assert int(chinese.headers["Retry-After"]) >= 1


TOTAL_AT_ONCE = 11  # a page of 1000 requests' cost: the least burst there is


def test_a_crowd_of_addresses_each_under_its_rate_is_held_to_the_total(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "central.db")
    key = run_cli(db, "station", "add", "PHY3", "--name", "测试站").stdout.split()[-1]
    server = start_server(
        db,
        tmp_path,
        "--public-reads-per-minute",
        "1000",
        "--public-reads-total-per-minute",
        "6",  # a read every 10 s once the first TOTAL_AT_ONCE are spent
    )
    try:
        statuses = []
        for number in range(TOTAL_AT_ONCE + 1):
            # Each read from an address of its own (127.0.0.0/8 is loopback).
            address = f"127.0.2.{number + 1}"
            transport = httpx.HTTPTransport(local_address=address)
            with httpx.Client(
                base_url=server.base_url, transport=transport, timeout=30
            ) as client:
                last = client.get(
                    "/open311/v2/requests.json",
                    params={"service_request_id": "PHY3-1"},
                )
            statuses.append(last.status_code)
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            received, _ = new_ticket()
            pushed = client.post(
                "/api/v1/events",
                json={"events": [received]},
                headers={"Authorization": f"Bearer {key}"},
            )
    finally:
        server.stop()
    assert statuses == [200] * TOTAL_AT_ONCE + [429]
    assert int(last.headers["Retry-After"]) >= 1
    assert last.json()[0]["code"] == 429
    assert pushed.status_code == 200, pushed.text
    assert "Traceback" not in server.log(), server.log()
