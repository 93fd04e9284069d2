"""Large and mixed push batches: every ticket ends with the right status.

The central writes a ticket created by a batch once, with the status its
events in that batch give it, and updates the tickets that existed before in
one statement per few thousand; these tests hold that to the same answer as
folding every stored event in order (kiosk.states), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from central.schemas import PAYLOAD_LIMIT
from tests.central.conftest import Central, event, new_ticket


def _at(minute: int) -> str:
    return f"2026-11-25T10:{minute:02d}:00+08:00"


def _step(
    received: dict[str, Any], kind: str, minute: int, **payload: Any
) -> dict[str, Any]:
    made = event(received["ticket_no"], received["ticket_uuid"], kind, payload=payload)
    made["at"] = _at(minute)
    return made


def _ticket(central: Central, number: str) -> tuple[str, str]:
    rows = central.rows(
        "SELECT status, updated_at FROM ticket WHERE ticket_no = ?", (number,)
    )
    assert len(rows) == 1, rows
    return str(rows[0][0]), str(rows[0][1])


def _push(central: Central, events: list[dict[str, Any]]) -> dict[str, Any]:
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": events})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_batch_mixing_new_tickets_and_changes_sets_every_status(
    central: Central,
) -> None:
    old, _ = new_ticket()
    _push(central, [old])
    kept, _ = new_ticket()  # an old ticket with no event in the batch
    _push(central, [kept])
    fresh, _ = new_ticket()
    fresh["at"] = _at(1)
    withdrawn, _ = new_ticket()
    withdrawn["at"] = _at(2)
    untouched, _ = new_ticket()
    untouched["at"] = _at(3)
    batch = [
        _step(old, "dispatched", 4),
        fresh,
        _step(fresh, "dispatched", 5),
        withdrawn,
        _step(old, "acknowledged", 6),
        _step(fresh, "acknowledged", 7),
        _step(withdrawn, "withdrawn", 8, reason="duplicate"),
        untouched,
        _step(fresh, "note", 9, text="已联系物业"),
        # Refused by the rules (not resolved yet): kept, status unchanged.
        _step(old, "callback", 10, rating="satisfied"),
    ]
    result = _push(central, batch)
    assert result["stored"] == [item["uuid"] for item in batch]
    assert _ticket(central, old["ticket_no"]) == ("acknowledged", _at(6))
    assert _ticket(central, fresh["ticket_no"]) == ("acknowledged", _at(9))
    assert _ticket(central, withdrawn["ticket_no"]) == ("withdrawn", _at(8))
    assert _ticket(central, untouched["ticket_no"]) == ("received", _at(3))
    assert _ticket(central, kept["ticket_no"])[0] == "received"

    # The same batch again changes nothing; a longer retry adds only what
    # is new, on top of the status already stored.
    again = _push(central, batch)
    assert again["stored"] == []
    assert sorted(again["duplicates"]) == sorted(item["uuid"] for item in batch)
    more = [*batch, _step(fresh, "resolved", 11), _step(old, "resolved", 12)]
    longer = _push(central, more)
    assert longer["stored"] == [more[-2]["uuid"], more[-1]["uuid"]]
    assert _ticket(central, fresh["ticket_no"]) == ("resolved", _at(11))
    assert _ticket(central, old["ticket_no"]) == ("resolved", _at(12))
    assert _ticket(central, withdrawn["ticket_no"]) == ("withdrawn", _at(8))


def test_a_new_ticket_whose_event_uuid_is_taken_is_refused_whole(
    central: Central,
) -> None:
    other, _ = new_ticket()
    _push(central, [other])
    received, _ = new_ticket()
    received["at"] = _at(20)
    dispatched = _step(received, "dispatched", 21)
    dispatched["uuid"] = other["uuid"]  # already stored, for another ticket
    acknowledged = _step(received, "acknowledged", 22)
    assert _rejected_field(central, [received, dispatched, acknowledged]) == [
        "events[1].uuid"
    ]
    assert central.rows(
        "SELECT COUNT(*) FROM ticket WHERE ticket_no = ?", (received["ticket_no"],)
    ) == [(0,)]


def test_a_full_batch_of_new_tickets_is_stored_whole(central: Central) -> None:
    events = []
    for _ in range(150):
        received, _ = new_ticket()
        events += [
            received,
            _step(received, "dispatched", 30),
            _step(received, "acknowledged", 31),
            _step(received, "resolved", 32),
        ]
    before = central.count("event")
    result = _push(central, events)
    assert len(result["stored"]) == len(events)
    assert central.count("event") == before + len(events)
    numbers = [item["ticket_no"] for item in events if item["kind"] == "received"]
    statuses = {_ticket(central, number)[0] for number in numbers}
    assert statuses == {"resolved"}


def _rejected_field(central: Central, events: list[dict[str, Any]]) -> list[str]:
    before = central.count("event")
    with central.client("PHY3") as client:
        answer = client.post(
            "/api/v1/events",
            content=json.dumps({"events": events}).encode(),
            headers={"Content-Type": "application/json"},
        )
    assert answer.status_code == 422, answer.text
    assert central.count("event") == before
    return [error["field"] for error in answer.json()["errors"]]


def test_payloads_over_the_limit_or_unstorable_are_422_with_the_field_named(
    central: Central,
) -> None:
    received, _ = new_ticket()
    # {"text": "..."} serialized (ensure_ascii=False) at exactly the limit.
    at_limit = _step(received, "note", 40, text="x" * (PAYLOAD_LIMIT - 12))
    assert len(json.dumps(at_limit["payload"]).encode()) == PAYLOAD_LIMIT
    assert _push(central, [received, at_limit])["stored"]

    over = _step(received, "note", 41, text="字" * (PAYLOAD_LIMIT // 3))
    assert _rejected_field(central, [_step(received, "note", 42), over]) == [
        "events[1].payload"
    ]
    for payload in (
        {"text": "a\x00b"},
        {"te\x00xt": "a"},
        {"text": "\ud800"},
        {"deep": json.loads("[" * 20 + "]" * 20)},
        ["not", "an", "object"],
    ):
        bad = _step(received, "note", 43)
        bad["payload"] = payload
        assert _rejected_field(central, [bad]) == ["events[0].payload"], payload
    stored = central.rows(
        "SELECT payload FROM event WHERE uuid = ?", (at_limit["uuid"],)
    )
    assert json.loads(stored[0][0]) == at_limit["payload"]


def test_the_stored_payload_is_the_payload_as_sent(central: Central) -> None:
    received, data = new_ticket()
    note = _step(
        received,
        "note",
        50,
        text='引号" 反斜杠\\ 换行\n 表情😀',
        n=[1, 2.5, -0.0, 1e300, None, True, {"a": {}}],
    )
    _push(central, [received, note])
    for sent in (received, note):
        rows = central.rows("SELECT payload FROM event WHERE uuid = ?", (sent["uuid"],))
        assert rows[0][0] == json.dumps(sent["payload"], ensure_ascii=False)
    assert str(uuid.UUID(received["ticket_uuid"])) == received["ticket_uuid"]
    assert data["ticket_no"] == received["ticket_no"]
