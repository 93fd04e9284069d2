"""Open311 clients have keys of their own: they file and read Open311
requests, nothing else, and an operator can revoke or rotate them."""

from __future__ import annotations

import json

import httpx

from tests.central.conftest import Central

FORM = {
    "service_code": "housing",
    "address_string": "5号楼",
    "description": "楼道灯坏了",
}


def _file(central: Central, key: str) -> httpx.Response:
    with central.client() as client:
        return client.post("/open311/v2/requests.json", data={**FORM, "api_key": key})


def test_a_stations_sync_key_does_not_file_open311_requests(central: Central) -> None:
    answer = _file(central, central.keys["PHY3"])
    assert answer.status_code == 403, answer.text
    assert answer.json() == [
        {"code": 403, "description": "api_key: missing or not valid"}
    ]


def test_an_open311_key_files_for_its_station_and_cannot_sync(
    central: Central,
) -> None:
    key = central.open311_keys["PHY3"]
    answer = _file(central, key)
    assert answer.status_code == 200, answer.text
    public_id = answer.json()[0]["service_request_id"]
    assert central.ticket_no_of(public_id).startswith("PHY3-")
    with httpx.Client(
        base_url=central.url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as client:
        assert client.get("/api/v1/events").status_code == 401
        assert client.post("/api/v1/events", json={"events": []}).status_code == 401


def test_revoke_enable_and_rotate_an_open311_key(central: Central) -> None:
    added = central.cli(
        "open311-key", "add", "DTJ7", "--name", "12345 热线", "--actor", "李工"
    )
    key = added.stdout.split()[-1]
    listed = json.loads(central.cli("open311-key", "list", "--json").stdout)
    mine = [entry for entry in listed if entry["name"] == "12345 热线"]
    assert len(mine) == 1
    assert set(mine[0]) == {"id", "station", "name", "created_at", "disabled"}
    key_id = str(mine[0]["id"])
    assert _file(central, key).status_code == 200

    central.cli("open311-key", "disable", key_id, "--actor", "李工")
    assert _file(central, key).status_code == 403
    central.cli("open311-key", "enable", key_id, "--actor", "李工")
    assert _file(central, key).status_code == 200
    rotated = central.cli("open311-key", "rotate", key_id, "--actor", "李工")
    new_key = rotated.stdout.split()[-1]
    assert _file(central, key).status_code == 403
    assert _file(central, new_key).status_code == 200

    audit = json.loads(central.cli("audit", "--json").stdout)
    assert [
        (entry["action"], entry["subject"])
        for entry in audit
        if entry["actor"] == "李工"
    ] == [
        ("open311-key.add", key_id),
        ("open311-key.disable", key_id),
        ("open311-key.enable", key_id),
        ("open311-key.rotate", key_id),
    ]
    assert key not in json.dumps(audit) and new_key not in json.dumps(audit)


def test_a_disabled_stations_open311_keys_stop_too(central: Central) -> None:
    added = central.cli("open311-key", "add", "DTJ7", "--name", "物业热线")
    key = added.stdout.split()[-1]
    assert _file(central, key).status_code == 200
    central.cli("station", "disable", "DTJ7")
    try:
        assert _file(central, key).status_code == 403
    finally:
        central.cli("station", "enable", "DTJ7")
    assert _file(central, key).status_code == 200


def test_an_unknown_key_id_or_station_is_named(central: Central) -> None:
    refused = central.cli("open311-key", "disable", "999999", check=False)
    assert refused.returncode == 1
    assert "no Open311 key 999999" in refused.stderr
    refused = central.cli("open311-key", "add", "NOPE", "--name", "x", check=False)
    assert refused.returncode == 1
    assert "no station NOPE" in refused.stderr
