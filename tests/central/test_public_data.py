"""What Open311 shows to anyone: no free text. Ticket numbers run in order,
so whatever a ticket by number shows, everyone can read for every ticket;
the description and the building (which name 单元, 室 and 号) are shown
only to an Open311 key of the ticket's own station."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from tests.central.conftest import Central, new_ticket

BUILDING = "3号楼2单元501室"
DESCRIPTION = "501室楼上漏水，王阿姨家"


@pytest.fixture
def pushed(central: Central) -> str:
    received, data = new_ticket(building=BUILDING, description=DESCRIPTION)
    with central.client("PHY3") as client:
        assert client.post("/api/v1/events", json={"events": [received]}).is_success
    return str(data["ticket_no"])


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_anyone_sees_no_description_and_no_building(
    central: Central, pushed: str, fmt: str
) -> None:
    with central.client() as client:
        one = client.get(f"/open311/v2/requests/{pushed}.{fmt}")
        listed = client.get(
            f"/open311/v2/requests.{fmt}", params={"service_request_id": pushed}
        )
    for answer in (one, listed):
        assert answer.status_code == 200, answer.text
        assert "501" not in answer.text and "漏水" not in answer.text
        if fmt == "json":
            request = answer.json()[0]
            assert request["service_request_id"] == pushed
            assert request["description"] == "" and request["address"] == ""
            assert request["status"] == "open"
        else:
            root = ElementTree.fromstring(answer.content)
            assert root.findtext("request/service_request_id") == pushed


def test_the_stations_own_open311_key_sees_them(central: Central, pushed: str) -> None:
    with central.client() as client:
        mine = client.get(
            f"/open311/v2/requests/{pushed}.json",
            params={"api_key": central.open311_keys["PHY3"]},
        )
    assert mine.status_code == 200, mine.text
    assert mine.json()[0]["description"] == DESCRIPTION
    assert mine.json()[0]["address"] == BUILDING


def test_another_stations_key_sees_nothing_more(central: Central, pushed: str) -> None:
    key = central.cli("open311-key", "add", "DTJ7", "--name", "别站").stdout.split()[-1]
    with central.client() as client:
        theirs = client.get(
            "/open311/v2/requests.json",
            params={"service_request_id": pushed, "api_key": key},
        )
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()[0]["description"] == ""
    assert theirs.json()[0]["address"] == ""
