"""A push's events keep their ticket's order, and an event's uuid is its own.

docs/sync-protocol.md: a ticket's ``received`` comes before its other events;
an event the central already has is a duplicate only if it is the same
ticket's event. Anything else is a 422 and nothing of the batch is stored.
"""

from __future__ import annotations

import uuid

from tests.central.conftest import Central, event, new_ticket


def test_an_event_before_its_tickets_received_in_one_batch_is_a_422(
    central: Central,
) -> None:
    received, _ = new_ticket()
    dispatched = event(received["ticket_no"], received["ticket_uuid"], "dispatched")
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [dispatched, received]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "events[0].ticket_uuid"
    assert central.rows(
        "SELECT COUNT(*) FROM ticket WHERE ticket_no = ?", (received["ticket_no"],)
    ) == [(0,)]
    assert central.rows(
        "SELECT COUNT(*) FROM event WHERE uuid IN (?, ?)",
        (received["uuid"], dispatched["uuid"]),
    ) == [(0,)]


def test_the_same_order_is_stored(central: Central) -> None:
    received, _ = new_ticket()
    dispatched = event(received["ticket_no"], received["ticket_uuid"], "dispatched")
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received, dispatched]})
    assert answer.status_code == 200, answer.text
    assert central.rows(
        "SELECT status FROM ticket WHERE ticket_no = ?", (received["ticket_no"],)
    ) == [("dispatched",)]


def test_a_received_reusing_another_stations_event_uuid_is_a_422(
    central: Central,
) -> None:
    theirs, _ = new_ticket("DTJ7")
    with central.client("DTJ7") as dtj7:
        assert dtj7.post("/api/v1/events", json={"events": [theirs]}).is_success
    mine, _ = new_ticket("PHY3")
    mine["uuid"] = theirs["uuid"]
    with central.client("PHY3") as phy3:
        answer = phy3.post("/api/v1/events", json={"events": [mine]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "events[0].uuid"
    assert "DTJ7" not in answer.text
    # No ticket without events is left behind.
    assert central.rows(
        "SELECT COUNT(*) FROM ticket WHERE ticket_no = ?", (mine["ticket_no"],)
    ) == [(0,)]


def test_an_event_reusing_the_uuid_of_another_of_my_tickets_is_a_422(
    central: Central,
) -> None:
    first, _ = new_ticket()
    second, _ = new_ticket()
    note = event(second["ticket_no"], second["ticket_uuid"], "note")
    note["uuid"] = first["uuid"]
    with central.client("PHY3") as client:
        assert client.post("/api/v1/events", json={"events": [first]}).is_success
        answer = client.post("/api/v1/events", json={"events": [second, note]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "events[1].uuid"


def test_a_retried_batch_is_still_all_duplicates(central: Central) -> None:
    received, _ = new_ticket()
    note = event(received["ticket_no"], received["ticket_uuid"], "note")
    note["uuid"] = str(uuid.uuid4()).upper()  # the same uuid, another spelling
    batch = {"events": [received, note]}
    with central.client("PHY3") as client:
        first = client.post("/api/v1/events", json=batch)
        again = client.post("/api/v1/events", json=batch)
    assert first.status_code == 200, first.text
    assert again.status_code == 200, again.text
    assert again.json() == {
        "stored": [],
        "duplicates": [received["uuid"], note["uuid"].lower()],
    }


def test_one_uuid_for_two_tickets_in_one_batch_is_a_422(central: Central) -> None:
    first, _ = new_ticket()
    second, _ = new_ticket()
    second["uuid"] = first["uuid"]
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [first, second]})
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == "events[1].uuid"
    assert central.rows(
        "SELECT COUNT(*) FROM ticket WHERE ticket_no IN (?, ?)",
        (first["ticket_no"], second["ticket_no"]),
    ) == [(0,)]
