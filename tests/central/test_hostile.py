"""Property-based: malformed and hostile requests never crash the central.

Hypothesis sends bodies, forms and URLs built to break things (wrong types,
NUL, lone surrogates, huge numbers, deep nesting, markup, near-valid events).
Whatever comes: no 5xx, and nothing is stored from a rejected request.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.states import EVENT_KINDS
from tests.central.conftest import Central, new_ticket
from tests.helpers import HOSTILE_STRINGS

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(HOSTILE_STRINGS),
)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = (
    "uuid",
    "ticket_uuid",
    "ticket_no",
    "station",
    "kind",
    "actor",
    "at",
    "payload",
)
FAST = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def near_valid_event(draw: st.DrawFn) -> dict[str, Any]:
    """A valid received event with some fields broken, dropped or swapped."""
    received, data = new_ticket()
    received["kind"] = draw(st.sampled_from([*EVENT_KINDS, "received"]))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        action = draw(st.sampled_from(["drop", "replace", "nest"]))
        if action == "drop":
            received.pop(name, None)
        elif action == "replace":
            received[name] = draw(JSON_VALUE)
        else:
            received[name] = {"$gt": draw(JSON_VALUE)}
    for name in draw(st.lists(st.sampled_from(sorted(data)), max_size=3, unique=True)):
        data[name] = draw(JSON_VALUE)
    return received


def _sendable(text: str) -> str:
    """What an HTTP client can send of a string (lone surrogates replaced)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _state(central: Central) -> tuple[int, int]:
    return central.count("event"), central.count("ticket")


def _assert_sane(answer: httpx.Response) -> None:
    assert answer.status_code < 500, answer.text
    assert "Traceback" not in answer.text


@FAST
@given(
    body=st.one_of(
        JSON_VALUE,
        st.builds(
            lambda e: {"events": e},
            st.lists(near_valid_event(), min_size=1, max_size=3),
        ),
    )
)
def test_hostile_push_bodies(central: Central, body: Any) -> None:
    before = _state(central)
    with central.client("PHY3") as client:
        try:
            content = json.dumps(body).encode()
        except (UnicodeEncodeError, ValueError):
            content = repr(body).encode("utf-8", "surrogatepass")
        answer = client.post(
            "/api/v1/events",
            content=content,
            headers={"Content-Type": "application/json"},
        )
    _assert_sane(answer)
    if answer.status_code != 200:
        assert answer.status_code in (401, 403, 413, 422), answer.text
        assert answer.json()["detail"]
        assert _state(central) == before  # nothing of a rejected batch is kept
    else:
        stored = answer.json()["stored"]
        assert central.count("event") == before[0] + len(stored)


@FAST
@given(raw=st.binary(max_size=300))
def test_raw_bytes_are_not_json(central: Central, raw: bytes) -> None:
    before = _state(central)
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", content=raw)
    _assert_sane(answer)
    assert answer.status_code == 422, answer.text
    assert _state(central) == before


def test_deep_nesting_and_huge_numbers(central: Central) -> None:
    received, data = new_ticket()
    nested_payload = dict(received, payload={"a": "PLACE"})
    deep_payload = json.dumps({"events": [nested_payload]}).replace(
        '"PLACE"', "[" * 20_000 + "]" * 20_000
    )
    bodies = [
        b"[" * 200_000 + b"]" * 200_000,
        b'{"events": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        deep_payload.encode(),
        json.dumps(
            {"events": [dict(received, payload=dict(data, queue_no=10**400))]}
        ).encode(),
        b'{"events": [{"uuid": NaN}]}',
    ]
    before = _state(central)
    with central.client("PHY3") as client:
        for body in bodies:
            answer = client.post("/api/v1/events", content=body)
            _assert_sane(answer)
            assert answer.status_code in (413, 422), answer.text
    assert _state(central) == before


FORM_FIELDS = (
    "api_key",
    "service_code",
    "attribute[item]",
    "lat",
    "long",
    "address_string",
    "address_id",
    "description",
    "first_name",
    "last_name",
    "phone",
    "locale",
)


@FAST
@given(
    form=st.dictionaries(
        st.sampled_from(FORM_FIELDS), HOSTILE_TEXT, max_size=len(FORM_FIELDS)
    ),
    with_key=st.booleans(),
    fmt=st.sampled_from(["json", "xml", "html"]),
)
def test_hostile_open311_posts(
    central: Central, form: dict[str, str], with_key: bool, fmt: str
) -> None:
    if with_key:
        form["api_key"] = central.open311_keys["PHY3"]
    before = _state(central)
    body = urlencode({k: _sendable(v) for k, v in form.items()}).encode()
    with httpx.Client(base_url=central.url, timeout=30) as client:
        answer = client.post(
            f"/open311/v2/requests.{fmt}",
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    _assert_sane(answer)
    if answer.status_code == 200:
        assert central.count("ticket") == before[1] + 1
    else:
        assert answer.status_code in (400, 403, 404)
        assert _state(central) == before


@FAST
@given(
    path=st.sampled_from(
        [
            "/open311/v2/requests.json",
            "/open311/v2/requests.xml",
            "/open311/v2/requests/{x}.json",
            "/open311/v2/tokens/{x}.xml",
            "/open311/v2/services/{x}.json",
            "/t/{x}",
            "/api/v1/events",
        ]
    ),
    x=HOSTILE_TEXT,
    params=st.dictionaries(
        st.sampled_from(
            [
                "service_request_id",
                "service_code",
                "start_date",
                "end_date",
                "status",
                "page",
                "page_size",
                "k",
                "lang",
                "since",
                "limit",
                "locale",
            ]
        ),
        HOSTILE_TEXT,
        max_size=4,
    ),
)
def test_hostile_reads(
    central: Central, path: str, x: str, params: dict[str, str]
) -> None:
    safe_x = _sendable(x)
    safe = {k: _sendable(v) for k, v in params.items()}
    url = path.replace("{x}", quote(safe_x, safe="") or "-")
    with central.client("PHY3") as client:
        try:
            answer = client.get(url, params=safe)
        except httpx.InvalidURL:
            return
    _assert_sane(answer)


@pytest.mark.parametrize("station", ["PHY3"])
def test_a_rejected_batch_in_the_middle_keeps_nothing(
    central: Central, station: str
) -> None:
    good, data = new_ticket(station)
    bad = dict(good, uuid=str(uuid.uuid4()), kind="note", ticket_uuid=str(uuid.uuid4()))
    before = _state(central)
    with central.client(station) as client:
        answer = client.post("/api/v1/events", json={"events": [good, bad]})
    assert answer.status_code == 422
    assert _state(central) == before
