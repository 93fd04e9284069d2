"""A station's own ticket numbered like an Open311 one does not block its
Open311 intake: the W series skips numbers already taken."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from tests.central.conftest import Central, event, snapshot

ZONE = ZoneInfo("Asia/Shanghai")


def test_open311_numbering_skips_numbers_a_station_took(central: Central) -> None:
    today = datetime.now(ZONE)
    rows = central.rows(
        "SELECT value FROM counter WHERE station = 'DTJ7' AND day = ?",
        (today.strftime("%Y-%m-%d"),),
    )
    serial = int(rows[0][0]) if rows else 0
    taken = [f"DTJ7-{today:%y%m%d}-W{serial + n:03d}" for n in (1, 2, 3)]
    events = []
    for number in taken:
        data = snapshot(number, "DTJ7")
        events.append(event(number, str(uuid.uuid4()), "received", "DTJ7", data))
    with central.client("DTJ7") as client:
        pushed = client.post("/api/v1/events", json={"events": events})
    assert pushed.status_code == 200, pushed.text
    key = central.cli(
        "open311-key", "add", "DTJ7", "--name", "编号测试"
    ).stdout.split()[-1]
    with httpx.Client(base_url=central.url, timeout=30) as client:
        filed = client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": "housing",
                "address_string": "5号楼",
                "description": "楼道灯坏了",
            },
        )
    assert filed.status_code == 200, filed.text
    number = central.ticket_no_of(filed.json()[0]["service_request_id"])
    assert number == f"DTJ7-{today:%y%m%d}-W{serial + 4:03d}"
