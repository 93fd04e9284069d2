"""Inputs that once crashed the central: each gets a clear 4xx, never a 5xx.

A station retries a 5xx push forever, so a 500 on one bad event blocks its
whole push stream; a 4xx tells it (and an Open311 client) what to fix.
"""

from __future__ import annotations

import pytest

from tests.central.conftest import Central, new_ticket, pull_all


@pytest.mark.parametrize(
    "since",
    [
        "c1.\u00b2.0",  # '²'.isdigit() is true, int('²') fails
        "c1.0.\u00b2",
        "c1.0.9999999999999999999",  # past a signed 64-bit integer
        "c1.9999999999999999999.0",
        "c1.\u0665.\u0660",  # Arabic-Indic digits
        "c1.5.0",  # well formed, but never handed out
        "c1.0.123456789",
    ],
)
def test_a_cursor_the_central_never_handed_out_is_a_422(
    central: Central, since: str
) -> None:
    with central.client("PHY3") as client:
        answer = client.get("/api/v1/events", params={"since": since})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "since"


def test_the_cursors_the_central_hands_out_are_taken_back(central: Central) -> None:
    with central.client("PHY3") as client:
        first = client.get("/api/v1/events", params={"limit": 1})
        assert first.status_code == 200, first.text
        cursor = first.json()["cursor"]
        again = client.get("/api/v1/events", params={"since": cursor})
        assert again.status_code == 200, again.text
        assert client.get("/api/v1/events", params={"since": "c1.0.0"}).is_success


def test_another_stations_cursor_is_not_taken(central: Central) -> None:
    received, _ = new_ticket("DTJ7")
    with central.client("DTJ7") as dtj7:
        assert dtj7.post("/api/v1/events", json={"events": [received]}).is_success
    central.cli(
        "ticket", "update", received["ticket_no"], "--kind", "note", "--text", "看过了"
    )
    with central.client("DTJ7") as dtj7:
        cursor = pull_all(dtj7, 1)["cursor"]
    assert cursor != "c1.0.0"
    with central.client("PHY3") as phy3:
        answer = phy3.get("/api/v1/events", params={"since": cursor})
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize(
    "params",
    [
        {"page": "\u00b2"},
        {"page_size": "\u0661\u0660"},
        {"page": "99999999999999999999999"},
        {"start_date": "0001-01-01T00:00:00+14:00"},
        {"end_date": "0001-01-01"},
        {"start_date": "9999-12-31T23:00:00-14:00"},
        {"end_date": "9999-12-31T23:59:59-14:00"},
        {"start_date": "0001-01-01T00:00:00+14:00", "end_date": "0001-01-02"},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_reads_with_bad_numbers_or_dates_are_a_400(
    central: Central, params: dict[str, str], fmt: str
) -> None:
    with central.client() as client:
        answer = client.get(f"/open311/v2/requests.{fmt}", params=params)
    assert answer.status_code == 400, answer.text
    if fmt == "json":
        assert answer.json()[0]["code"] == 400
        assert answer.json()[0]["description"]


@pytest.mark.parametrize(
    "field", ["created_at", "due_at"], ids=["created_at", "due_at"]
)
@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "0001-01-01T00:00:00+00:00",
    ],
)
def test_a_pushed_ticket_with_a_time_out_of_range_is_a_422(
    central: Central, field: str, moment: str
) -> None:
    received, _ = new_ticket(**{field: moment})
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == f"events[0].payload.{field}"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+14:00", "2026-W48-4T09:30+08"])
def test_an_event_at_a_time_out_of_range_or_form_is_a_422(
    central: Central, moment: str
) -> None:
    received, _ = new_ticket()
    received["at"] = moment
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "events[0].at"
