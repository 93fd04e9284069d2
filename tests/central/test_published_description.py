"""A description the resident agreed to publish at the kiosk (the received
event's ``publish_description``): Open311 shows it to anyone, without phone
or id numbers and without the contact's name; every other description stays
empty to anyone without the station's key (docs/open311-public.md)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

import pytest

from central.public_text import public_text
from tests.central.conftest import Central, new_ticket

WORDS = (
    "王秀英家楼上漏水，电话13812345678，座机 010-6765 4321，"
    "身份证11010519491231002X，5单元501室"
)
PUBLISHED = "***家楼上漏水，电话***，座机 ***，身份证***，5单元501室"


def _push(central: Central, **changes: Any) -> str:
    received, data = new_ticket(description=WORDS, contact_name="王秀英", **changes)
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received]})
    assert answer.status_code == 200, answer.text
    return central.public_id_of(str(data["ticket_no"]))


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_published_description_is_shown_cleaned_to_anyone(
    central: Central, fmt: str
) -> None:
    public_id = _push(central, publish_description=True)
    with central.client() as client:
        one = client.get(f"/open311/v2/requests/{public_id}.{fmt}")
        listed = client.get(
            f"/open311/v2/requests.{fmt}", params={"service_request_id": public_id}
        )
    for answer in (one, listed):
        assert answer.status_code == 200, answer.text
        if fmt == "json":
            [request] = answer.json()
            description, address = request["description"], request["address"]
        else:
            root = ElementTree.fromstring(answer.content)
            description = root.findtext("request/description") or ""
            address = root.findtext("request/address") or ""
        assert description == PUBLISHED
        assert address == ""  # the building stays the station's
        assert "13812345678" not in answer.text and "王秀英" not in answer.text


def test_the_stations_key_still_reads_the_words_as_given(central: Central) -> None:
    public_id = _push(central, publish_description=True)
    with central.client() as client:
        mine = client.get(
            f"/open311/v2/requests/{public_id}.json",
            params={"api_key": central.open311_keys["PHY3"]},
        )
    assert mine.json()[0]["description"] == WORDS


@pytest.mark.parametrize("changes", [{}, {"publish_description": False}])
def test_a_description_not_published_stays_empty(
    central: Central, changes: dict[str, Any]
) -> None:
    public_id = _push(central, **changes)
    with central.client() as client:
        answer = client.get(f"/open311/v2/requests/{public_id}.json")
    assert answer.json()[0]["description"] == ""
    assert "漏水" not in answer.text


def test_publish_description_must_be_true_or_false(central: Central) -> None:
    received, _ = new_ticket(publish_description="yes")
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received]})
    assert answer.status_code == 422, answer.text
    assert "publish_description" in answer.text


def test_public_text_keeps_short_numbers_and_words() -> None:
    assert public_text("3号楼2单元501室，2次漏水") == "3号楼2单元501室，2次漏水"
    assert public_text("李四说：找李四", "李四") == "***说：找***"
    assert public_text("王", "王") == "王"  # one character is not taken as a name
