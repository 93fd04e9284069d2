"""The sync API over HTTP: push, pull, auth, limits, idempotency, the cursor."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from central.schemas import DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY
from tests.central.conftest import Central, event, new_ticket, start_server


def test_push_stores_each_event_once(central: Central) -> None:
    received, data = new_ticket()
    note = event(
        data["ticket_no"], received["ticket_uuid"], "note", payload={"text": "x"}
    )
    before = json.loads(central.cli("stats", "--json").stdout)
    with central.client("PHY3") as client:
        first = client.post("/api/v1/events", json={"events": [received, note]})
        again = client.post("/api/v1/events", json={"events": [received, note, note]})
    assert first.status_code == 200, first.text
    assert first.json() == {
        "stored": [received["uuid"], note["uuid"]],
        "duplicates": [],
    }
    assert again.status_code == 200
    assert again.json()["stored"] == []
    assert sorted(again.json()["duplicates"]) == sorted(
        [received["uuid"], note["uuid"], note["uuid"]]
    )
    after = json.loads(central.cli("stats", "--json").stdout)
    assert after["tickets"] == before["tickets"] + 1
    assert after["events"] == before["events"] + 2
    assert after["stations"] == 2


def test_no_key_or_a_wrong_key_is_401(central: Central) -> None:
    received, _ = new_ticket()
    body = {"events": [received]}
    with httpx.Client(base_url=central.url) as client:
        missing = client.post("/api/v1/events", json=body)
        wrong = client.post(
            "/api/v1/events", json=body, headers={"Authorization": "Bearer nope"}
        )
        basic = client.post(
            "/api/v1/events",
            json=body,
            headers={"Authorization": f"Basic {central.keys['PHY3']}"},
        )
        pull = client.get("/api/v1/events")
    for answer in (missing, wrong, basic, pull):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["detail"]
    assert central.count("event") >= 0  # the database is still readable
    with central.client("PHY3") as client:
        # The station's own Open311 key finds its tickets by number.
        assert (
            client.get(
                f"/open311/v2/requests/{received['ticket_no']}.json",
                params={"api_key": central.open311_keys["PHY3"]},
            ).status_code
            == 404
        )


def test_another_stations_ticket_is_403_and_nothing_of_the_batch_is_stored(
    central: Central,
) -> None:
    theirs, their_data = new_ticket("DTJ7")
    with central.client("DTJ7") as client:
        assert (
            client.post("/api/v1/events", json={"events": [theirs]}).status_code == 200
        )
    mine, _ = new_ticket("PHY3")
    foreign_note = event(
        their_data["ticket_no"], theirs["ticket_uuid"], "note", station="PHY3"
    )
    events_before = central.count("event")
    tickets_before = central.count("ticket")
    with central.client("PHY3") as client:
        # PHY3's key, an event on DTJ7's ticket (claiming to be PHY3).
        wrong_owner = client.post(
            "/api/v1/events", json={"events": [mine, _as_phy3(foreign_note)]}
        )
        # An event that says it comes from another station.
        posing = client.post("/api/v1/events", json={"events": [mine, theirs]})
    assert wrong_owner.status_code == 403, wrong_owner.text
    assert posing.status_code == 403, posing.text
    assert "DTJ7" in posing.json()["detail"]
    assert central.count("event") == events_before
    assert central.count("ticket") == tickets_before


def _as_phy3(note: dict[str, object]) -> dict[str, object]:
    """A note on DTJ7's ticket whose number is dressed up as PHY3's."""
    changed = dict(note)
    changed["ticket_no"] = "PHY3-" + str(note["ticket_no"]).split("-", 1)[1]
    return changed


def test_an_event_on_a_foreign_ticket_uuid_is_403(central: Central) -> None:
    theirs, their_data = new_ticket("DTJ7")
    with central.client("DTJ7") as client:
        assert (
            client.post("/api/v1/events", json={"events": [theirs]}).status_code == 200
        )
    # PHY3 reuses DTJ7's ticket uuid under a PHY3-shaped number.
    hijack, _ = new_ticket("PHY3")
    hijack["ticket_uuid"] = theirs["ticket_uuid"]
    before = central.count("event")
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [hijack]})
    assert answer.status_code == 403, answer.text
    assert central.count("event") == before


def test_oversized_bodies_and_batches_are_413(central: Central) -> None:
    received, _ = new_ticket()
    many = [
        dict(received, uuid=str(uuid.uuid4())) for _ in range(DEFAULT_MAX_BATCH + 1)
    ]
    huge = {"events": [received], "padding": "x" * (DEFAULT_MAX_BODY + 1)}
    before = central.count("event")
    with central.client("PHY3") as client:
        too_many = client.post("/api/v1/events", json={"events": many})
        too_big = client.post("/api/v1/events", json=huge)
    assert too_many.status_code == 413, too_many.text
    assert too_big.status_code == 413, too_big.text
    assert str(DEFAULT_MAX_BODY) in too_big.json()["detail"]
    assert central.count("event") == before


def test_malformed_data_is_422_with_the_field_named(central: Central) -> None:
    received, data = new_ticket()
    bad_kind = dict(received, kind="teleported")
    no_time = dict(
        received, payload={k: v for k, v in data.items() if k != "created_at"}
    )
    with central.client("PHY3") as client:
        kind_answer = client.post("/api/v1/events", json={"events": [bad_kind]})
        time_answer = client.post(
            "/api/v1/events", json={"events": [received, no_time]}
        )
        not_json = client.post(
            "/api/v1/events",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        orphan = client.post(
            "/api/v1/events",
            json={"events": [event(data["ticket_no"], str(uuid.uuid4()), "note")]},
        )
    assert kind_answer.status_code == 422
    assert [e["field"] for e in kind_answer.json()["errors"]] == ["events[0].kind"]
    assert time_answer.status_code == 422
    assert "events[1].payload.created_at" in [
        e["field"] for e in time_answer.json()["errors"]
    ]
    assert not_json.status_code == 422
    assert not_json.json()["errors"][0]["field"] == "body"
    assert orphan.status_code == 422
    assert orphan.json()["errors"][0]["field"] == "events[0].ticket_uuid"
    with central.client("PHY3") as client:
        # The station's own Open311 key finds its tickets by number.
        open311 = client.get(
            f"/open311/v2/requests/{data['ticket_no']}.json",
            params={"api_key": central.open311_keys["PHY3"]},
        )
    assert open311.status_code == 404  # the valid first event was not kept either


def test_a_batch_of_many_bad_events_lists_the_first_problems(
    central: Central,
) -> None:
    events = []
    for _ in range(300):
        received, _ = new_ticket()
        events.append(dict(received, at="yesterday"))
    before = central.count("event")
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": events})
    assert answer.status_code == 422
    body = answer.json()
    assert [e["field"] for e in body["errors"]] == [
        f"events[{index}].at" for index in range(50)
    ]
    assert "300 problems; the first 50 are listed" in body["detail"]
    assert central.count("event") == before


def test_central_changes_reach_the_station_and_its_own_events_do_not(
    central: Central,
) -> None:
    received, data = new_ticket()
    with central.client("PHY3") as client:
        start = client.get("/api/v1/events", params={"limit": 500}).json()
        while start["more"]:
            start = client.get(
                "/api/v1/events", params={"since": start["cursor"], "limit": 500}
            ).json()
        assert (
            client.post("/api/v1/events", json={"events": [received]}).status_code
            == 200
        )
        central.cli(
            "ticket",
            "update",
            data["ticket_no"],
            "--kind",
            "dispatched",
            "--text",
            "已通知物业",
            "--unit",
            "property",
            "--actor",
            "王主任",
        )
        central.cli("ticket", "update", data["ticket_no"], "--kind", "acknowledged")
        first = client.get(
            "/api/v1/events", params={"since": start["cursor"], "limit": 1}
        ).json()
        second = client.get(
            "/api/v1/events", params={"since": first["cursor"], "limit": 1}
        ).json()
        third = client.get("/api/v1/events", params={"since": second["cursor"]}).json()
        bad = client.get("/api/v1/events", params={"since": "c1.x.1"})
        dtj7 = {"Authorization": f"Bearer {central.keys['DTJ7']}"}
        other = client.get("/api/v1/events", params={"limit": 500}, headers=dtj7)
        other = other.json()
        # A cursor is the station's own: another station's is refused.
        borrowed = client.get(
            "/api/v1/events", params={"since": second["cursor"]}, headers=dtj7
        )
    assert [e["kind"] for e in first["events"]] == ["dispatched"]
    assert first["more"] is True
    assert first["events"][0]["payload"] == {"text": "已通知物业", "unit": "property"}
    assert first["events"][0]["actor"] == "central:王主任"
    assert first["events"][0]["origin"] == "central"
    assert first["events"][0]["ticket_uuid"] == received["ticket_uuid"]
    assert [e["kind"] for e in second["events"]] == ["acknowledged"]
    assert third == {"events": [], "cursor": second["cursor"], "more": False}
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "since"
    assert all(e["ticket_no"] != data["ticket_no"] for e in other["events"])
    assert borrowed.status_code == 422, borrowed.text


def test_an_illegal_central_move_is_refused_with_the_reason(central: Central) -> None:
    received, data = new_ticket()
    with central.client("PHY3") as client:
        assert (
            client.post("/api/v1/events", json={"events": [received]}).status_code
            == 200
        )
    refused = central.cli(
        "ticket", "update", data["ticket_no"], "--kind", "resolved", check=False
    )
    assert refused.returncode == 1
    assert "cannot resolved a ticket that is received" in refused.stderr
    missing = central.cli(
        "ticket", "update", "PHY3-000000-999", "--kind", "note", check=False
    )
    assert missing.returncode == 1
    assert "no ticket" in missing.stderr


def test_the_same_event_at_once_through_two_instances_is_stored_once(
    central: Central,
) -> None:
    second = start_server(central.db_url, central.log_dir)
    try:
        batches = []
        for _ in range(8):
            received, data = new_ticket()
            notes = [
                event(
                    data["ticket_no"], received["ticket_uuid"], "note", payload={"n": n}
                )
                for n in range(5)
            ]
            batches.append({"events": [received, *notes]})
        urls = [central.url, second.base_url]
        gate = threading.Barrier(16)

        def push(position: int) -> dict[str, list[str]]:
            body = batches[position // 2]
            with httpx.Client(
                base_url=urls[position % 2],
                headers={"Authorization": f"Bearer {central.keys['PHY3']}"},
                timeout=30,
            ) as client:
                gate.wait()
                answer = client.post("/api/v1/events", json=body)
            assert answer.status_code == 200, answer.text
            return answer.json()

        before = central.count("event")
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(push, range(16)))
        stored = [u for result in results for u in result["stored"]]
        every = {e["uuid"] for batch in batches for e in batch["events"]}
        assert sorted(stored) == sorted(every)  # each one stored by exactly one push
        assert central.count("event") == before + len(every)
    finally:
        second.stop()
    assert "Traceback" not in second.log()


def test_concurrent_central_writes_are_all_pulled_none_skipped(
    central: Central,
) -> None:
    """The cursor never passes an event that commits later (many writers)."""
    with central.client("PHY3") as client:
        cursor = ""
        while True:
            page = client.get("/api/v1/events", params={"since": cursor, "limit": 500})
            cursor = page.json()["cursor"]
            if not page.json()["more"]:
                break
    filed: list[str] = []  # Open311 ids
    done = threading.Event()
    pulled: list[str] = []

    def file(number: int) -> None:
        with httpx.Client(base_url=central.url, timeout=30) as writer:
            answer = writer.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": central.open311_keys["PHY3"],
                    "service_code": "sanitation",
                    "address_string": f"{number}号楼",
                    "description": "测试",
                },
            )
        assert answer.status_code == 200, answer.text
        filed.append(answer.json()[0]["service_request_id"])

    def pull_once(client: httpx.Client) -> None:
        nonlocal cursor
        page = client.get("/api/v1/events", params={"since": cursor}).json()
        pulled.extend(e["ticket_no"] for e in page["events"])
        cursor = page["cursor"]

    def pull_while_writing() -> None:
        with central.client("PHY3") as client:
            while not done.is_set():
                pull_once(client)

    puller = threading.Thread(target=pull_while_writing)
    puller.start()
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(file, range(60)))
    done.set()
    puller.join(timeout=60)
    assert not puller.is_alive()
    # Every write has committed; on PostgreSQL an event becomes pullable once
    # no older transaction is still open, so pull until all are in (bounded).
    deadline = time.monotonic() + 30
    with central.client("PHY3") as client:
        while len(pulled) < len(filed) and time.monotonic() < deadline:
            pull_once(client)
        pull_once(client)
    filed_numbers = [central.ticket_no_of(public_id) for public_id in filed]
    assert sorted(pulled) == sorted(filed_numbers)  # every one, and each once
