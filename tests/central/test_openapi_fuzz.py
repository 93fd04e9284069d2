"""Schemathesis over the /openapi.json of a real central, every check on,
on SQLite and on PostgreSQL: what the description promises, the central does.

Bounded: MAX_EXAMPLES cases per operation and phase, one worker, a fixed
seed (the same cases each run), and the run killed after RUN_SECONDS. Half
the ids it tries are a real ticket's (schemathesis dictionaries), so the
paths behind a 404 are reached too. tests/central/schemathesis.toml holds the
one setting and says why.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.central.conftest import (
    NO_RATE_LIMITS,
    run_cli,
    scratch_database,
    start_server,
)

MAX_EXAMPLES = 40
SEED = 1
RUN_SECONDS = 150
SETTINGS = Path(__file__).with_name("schemathesis.toml")


def _real_ids(base_url: str, open311_key: str) -> str:
    """A request filed through Open311, as schemathesis dictionaries: each
    id a path or query parameter takes, real half of the time."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        answer = client.post(
            "/open311/v2/requests.json",
            data={
                "api_key": open311_key,
                "service_code": "housing",
                "address_string": "5号楼",
                "description": "楼道灯坏了",
            },
        )
    assert answer.status_code == 200, answer.text
    [created] = answer.json()
    link = re.search(r"/t/([^?]+)\?k=(\S+)", created["service_notice"])
    assert link is not None, created
    values = {
        "path.request_id": created["service_request_id"],
        "path.token": created["token"],
        "path.ticket_no": link[1],
        "query.k": link[2],
        "path.code": "housing",
    }
    lines = []
    for number, value in enumerate(values.values()):
        lines += [f"[dictionaries.real{number}]", f'values = ["{value}"]']
    lines.append("[parameters]")
    for number, name in enumerate(values):
        lines.append(f'"{name}" = {{ dictionary = "real{number}", probability = 0.5 }}')
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_schemathesis_finds_nothing(kind: str, tmp_path: Path) -> None:
    with scratch_database(kind, tmp_path, "kiosk_central_fuzz") as db_url:
        station_key = run_cli(db_url, "station", "add", "PHY3", "--name", "蒲黄榆")
        open311_key = run_cli(db_url, "open311-key", "add", "PHY3", "--name", "热线")
        server = start_server(db_url, tmp_path, *NO_RATE_LIMITS)
        try:
            settings = tmp_path / "schemathesis.toml"
            settings.write_text(
                _real_ids(server.base_url, open311_key.stdout.split()[-1])
                + SETTINGS.read_text(encoding="utf-8"),
                encoding="utf-8",
            )
            run = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "schemathesis.cli",
                    "--config-file",
                    str(settings),
                    "--no-color",
                    "run",
                    f"{server.base_url}/openapi.json",
                    "--checks",
                    "all",
                    "--header",
                    f"Authorization: Bearer {station_key.stdout.split()[-1]}",
                    "--max-examples",
                    str(MAX_EXAMPLES),
                    "--seed",
                    str(SEED),
                    "--workers",
                    "1",
                    "--request-timeout",
                    "10",
                ],
                capture_output=True,
                text=True,
                timeout=RUN_SECONDS,
                cwd=tmp_path,
            )
        finally:
            server.stop()
        report = run.stdout + run.stderr
        assert run.returncode == 0, report
        assert "generated" in report and " passed" in report, report
        assert "Traceback" not in server.log(), server.log()
