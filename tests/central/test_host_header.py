"""The links the central writes never come from the request's Host header."""

from __future__ import annotations

from pathlib import Path

from tests.central.conftest import Central, free_port, run_cli

EVIL = "evil.example"


def test_open311_links_ignore_the_host_header(central: Central) -> None:
    form = {
        "api_key": central.open311_keys["PHY3"],
        "service_code": "housing",
        "address_string": "5号楼",
        "description": "楼道灯坏了",
    }
    with central.client() as client:
        filed = client.post(
            "/open311/v2/requests.json",
            data=form,
            headers={"Host": EVIL, "Accept-Language": "en"},
        )
        discovery = client.get("/open311/v2/discovery.json", headers={"Host": EVIL})
    assert filed.status_code == 200, filed.text
    notice = filed.json()[0]["service_notice"]
    assert EVIL not in notice
    assert f"Track it at {central.url}/t/" in notice
    assert discovery.status_code == 200, discovery.text
    assert discovery.json()["endpoints"][0]["url"] == f"{central.url}/open311/v2"


def test_serving_beyond_this_machine_needs_the_public_url(tmp_path: Path) -> None:
    db = str(tmp_path / "central.db")
    refused = run_cli(
        db, "serve", "--host", "0.0.0.0", "--port", str(free_port()), check=False
    )
    assert refused.returncode == 1, refused.stderr
    assert "--public-base-url" in refused.stderr
