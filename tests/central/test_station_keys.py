"""An operator disables, enables and rotates a station's key from the CLI, and
every change is in the audit log."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.central.conftest import (
    Server,
    new_ticket,
    run_cli,
    scratch_database,
    start_server,
)


@pytest.fixture
def fresh(tmp_path: Path, backend: str) -> Iterator[tuple[str, Server]]:
    kind = "postgresql" if backend.startswith("postgresql") else "sqlite"
    with scratch_database(kind, tmp_path, "kiosk_central_keys") as url:
        server = start_server(url, tmp_path)
        try:
            yield url, server
        finally:
            server.stop()


def _add(url: str, code: str) -> str:
    return run_cli(url, "station", "add", code, "--name", "测试站").stdout.split()[-1]


def _push_status(server: Server, key: str, station: str) -> int:
    received, _ = new_ticket(station)
    with httpx.Client(base_url=server.base_url, timeout=30) as client:
        answer = client.post(
            "/api/v1/events",
            json={"events": [received]},
            headers={"Authorization": f"Bearer {key}"},
        )
    return answer.status_code


def test_disable_enable_and_rotate_a_station_key(fresh: tuple[str, Server]) -> None:
    url, server = fresh
    key = _add(url, "KEY1")
    assert _push_status(server, key, "KEY1") == 200

    run_cli(url, "station", "disable", "KEY1", "--actor", "李工")
    assert _push_status(server, key, "KEY1") == 401
    listed = json.loads(run_cli(url, "station", "list", "--json").stdout)
    assert [entry["disabled"] for entry in listed if entry["code"] == "KEY1"] == [1]

    run_cli(url, "station", "enable", "KEY1", "--actor", "李工")
    assert _push_status(server, key, "KEY1") == 200

    rotated = run_cli(url, "station", "rotate-key", "KEY1", "--actor", "李工")
    new_key = rotated.stdout.split()[-1]
    assert new_key != key and len(new_key) >= 43
    assert _push_status(server, key, "KEY1") == 401
    assert _push_status(server, new_key, "KEY1") == 200

    audit = json.loads(run_cli(url, "audit", "--json").stdout)
    assert [(entry["action"], entry["subject"], entry["actor"]) for entry in audit] == [
        ("station.add", "KEY1", getpass.getuser()),
        ("station.disable", "KEY1", "李工"),
        ("station.enable", "KEY1", "李工"),
        ("station.rotate-key", "KEY1", "李工"),
    ]
    assert key not in json.dumps(audit) and new_key not in json.dumps(audit)


def test_an_unknown_station_is_named_and_nothing_is_audited(
    fresh: tuple[str, Server],
) -> None:
    url, _ = fresh
    for command in ("disable", "enable", "rotate-key"):
        refused = run_cli(url, "station", command, "NOPE", check=False)
        assert refused.returncode == 1
        assert "no station NOPE" in refused.stderr
    assert json.loads(run_cli(url, "audit", "--json").stdout) == []
