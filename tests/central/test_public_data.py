"""What Open311 shows to anyone (docs/open311-public.md): no free text, and
no ticket numbers. Numbers run in order, so whatever a ticket by number
showed, everyone could read for every ticket by counting; Open311 knows a
ticket by a random public id, and the description and the building (which
name 单元, 室 and 号) only an Open311 key of the ticket's own station sees."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ElementTree

import pytest

from tests.central.conftest import Central, event, new_ticket, snapshot

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
    public_id = central.public_id_of(pushed)
    with central.client() as client:
        one = client.get(f"/open311/v2/requests/{public_id}.{fmt}")
        listed = client.get(
            f"/open311/v2/requests.{fmt}", params={"service_request_id": public_id}
        )
    for answer in (one, listed):
        assert answer.status_code == 200, answer.text
        # The public id is random hex: "501" may be part of it.
        shown = answer.text.replace(public_id, "")
        assert "501" not in shown and "漏水" not in shown
        assert pushed not in shown
        if fmt == "json":
            request = answer.json()[0]
            assert request["service_request_id"] == public_id
            assert request["description"] == "" and request["address"] == ""
            assert request["status"] == "open"
        else:
            root = ElementTree.fromstring(answer.content)
            assert root.findtext("request/service_request_id") == public_id


def test_the_stations_own_open311_key_sees_them(central: Central, pushed: str) -> None:
    public_id = central.public_id_of(pushed)
    with central.client() as client:
        by_id = client.get(
            f"/open311/v2/requests/{public_id}.json",
            params={"api_key": central.open311_keys["PHY3"]},
        )
        by_number = client.get(
            f"/open311/v2/requests/{pushed}.json",
            params={"api_key": central.open311_keys["PHY3"]},
        )
        listed_by_number = client.get(
            "/open311/v2/requests.json",
            params={
                "service_request_id": pushed,
                "api_key": central.open311_keys["PHY3"],
            },
        )
    for mine in (by_id, by_number, listed_by_number):
        assert mine.status_code == 200, mine.text
        [request] = mine.json()
        assert request["service_request_id"] == public_id
        assert request["description"] == DESCRIPTION
        assert request["address"] == BUILDING


def test_another_stations_key_sees_nothing_more(central: Central, pushed: str) -> None:
    key = central.cli("open311-key", "add", "DTJ7", "--name", "别站").stdout.split()[-1]
    public_id = central.public_id_of(pushed)
    with central.client() as client:
        theirs = client.get(
            "/open311/v2/requests.json",
            params={"service_request_id": public_id, "api_key": key},
        )
        by_number = client.get(
            "/open311/v2/requests.json",
            params={"service_request_id": pushed, "api_key": key},
        )
        one_by_number = client.get(
            f"/open311/v2/requests/{pushed}.json", params={"api_key": key}
        )
    assert theirs.status_code == 200, theirs.text
    assert theirs.json()[0]["description"] == ""
    assert theirs.json()[0]["address"] == ""
    assert by_number.status_code == 200 and by_number.json() == []
    assert one_by_number.status_code == 404


WALKED = 12  # tickets numbered one after another


@pytest.fixture
def a_days_tickets(central: Central) -> list[str]:
    """Tickets PHY3-261124-001 … -012, pushed in order as a station does."""
    numbers = [f"PHY3-261124-{serial:03d}" for serial in range(1, WALKED + 1)]
    if not central.rows("SELECT 1 FROM ticket WHERE ticket_no = ?", (numbers[0],)):
        events = []
        for number in numbers:
            data = snapshot(
                number,
                building=BUILDING,
                description=DESCRIPTION,
                created_at="2026-11-24T09:30:00+08:00",
            )
            events.append(event(number, str(uuid.uuid4()), "received", "PHY3", data))
        with central.client("PHY3") as client:
            answer = client.post("/api/v1/events", json={"events": events})
        assert answer.status_code == 200, answer.text
    return numbers


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_counting_through_ticket_numbers_finds_nothing(
    central: Central, a_days_tickets: list[str], fmt: str
) -> None:
    with central.client() as client:
        walked = client.get(
            f"/open311/v2/requests.{fmt}",
            params={"service_request_id": ",".join(a_days_tickets)},
        )
        one_by_one = [
            client.get(f"/open311/v2/requests/{number}.{fmt}")
            for number in a_days_tickets
        ]
        # Without its token, a number does not open the tracking page either.
        untracked = [client.get(f"/t/{number}") for number in a_days_tickets]
        day = client.get(
            f"/open311/v2/requests.{fmt}",
            params={
                "start_date": "2026-11-24T00:00:00+08:00",
                "end_date": "2026-11-25T00:00:00+08:00",
            },
        )
    assert walked.status_code == 200, walked.text
    if fmt == "json":
        assert walked.json() == []
    else:
        assert ElementTree.fromstring(walked.content).findall("request") == []
    assert [answer.status_code for answer in one_by_one] == [404] * WALKED
    assert [answer.status_code for answer in untracked] == [404] * WALKED
    # The day's list shows the requests, but no number says which is which.
    assert day.status_code == 200, day.text
    assert not any(number in day.text for number in a_days_tickets)
    assert "PHY3-261124" not in day.text


def test_public_ids_are_random_not_sequential(
    central: Central, a_days_tickets: list[str]
) -> None:
    public_ids = [central.public_id_of(number) for number in a_days_tickets]
    assert all(re.fullmatch("[0-9a-f]{20}", public_id) for public_id in public_ids)
    assert len(set(public_ids)) == WALKED
    # Consecutive numbers give ids in no order (12 random ids come sorted
    # either way once in 240 million).
    assert public_ids != sorted(public_ids)
    assert public_ids != sorted(public_ids, reverse=True)
    with central.client() as client:
        listed = client.get(
            "/open311/v2/requests.json",
            params={"service_request_id": ",".join(public_ids)},
        )
    assert listed.status_code == 200, listed.text
    assert sorted(r["service_request_id"] for r in listed.json()) == sorted(public_ids)
