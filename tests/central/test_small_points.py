"""Issue 11's smaller points: names, error formats, content types, messages."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import httpx
import pytest

from tests.central.conftest import Central, new_ticket, run_cli, start_server


def _form(central: Central, **fields: str) -> dict[str, str]:
    return {
        "api_key": central.open311_keys["PHY3"],
        "service_code": "housing",
        "address_string": "5号楼",
        "description": "楼道灯坏了",
        **fields,
    }


def _contact_name(central: Central, answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    public_id = answer.json()[0]["service_request_id"]
    rows = central.rows(
        "SELECT contact_name FROM ticket WHERE public_id = ?", (public_id,)
    )
    return str(rows[0][0])


@pytest.mark.parametrize(
    ("last", "first", "kept"),
    [
        ("张", "三", "张三"),
        ("欧阳", "修", "欧阳修"),
        ("Lovelace", "Ada", "Lovelace Ada"),
    ],
)
def test_a_chinese_name_gains_no_space(
    central: Central, last: str, first: str, kept: str
) -> None:
    with central.client() as client:
        answer = client.post(
            "/open311/v2/requests.json",
            data=_form(central, last_name=last, first_name=first),
        )
    assert _contact_name(central, answer) == kept


def test_a_multipart_open311_post_is_taken(central: Central) -> None:
    form = _form(central, last_name="张", first_name="三")
    with central.client() as client:
        answer = client.post(
            "/open311/v2/requests.json",
            files={name: (None, value) for name, value in form.items()},
        )
    assert answer.headers["content-type"].startswith("application/json")
    assert _contact_name(central, answer) == "张三"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_oversized_open311_post_answers_in_open311_form(
    central: Central, fmt: str
) -> None:
    with central.client() as client:
        answer = client.post(
            f"/open311/v2/requests.{fmt}",
            data=_form(central, description="长" * 40_000),
        )
    assert answer.status_code == 413, answer.text
    if fmt == "json":
        assert answer.json()[0]["code"] == 413
    else:
        root = ElementTree.fromstring(answer.content)
        assert root.tag == "errors"
        assert root.findtext("error/code") == "413"


def test_a_push_that_is_not_json_is_a_415(central: Central) -> None:
    received, _ = new_ticket()
    with central.client("PHY3") as client:
        answer = client.post(
            "/api/v1/events",
            content=httpx.Request("POST", "/", json={"events": [received]}).content,
            headers={"Content-Type": "text/plain"},
        )
    assert answer.status_code == 415, answer.text
    assert "application/json" in answer.json()["detail"]


def test_serve_names_a_sqlite_url_that_works(tmp_path: Path) -> None:
    db = tmp_path / "central.db"
    run_cli(str(db), "stats")
    server = start_server(str(db), tmp_path)
    server.stop()
    assert f"(sqlite://{db})" in server.log()
    run_cli(f"sqlite://{db}", "stats")
