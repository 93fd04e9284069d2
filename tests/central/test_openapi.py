"""The OpenAPI description says what the central really does: its bearer
keys, its answers, its bodies and formats; a 405 names every method."""

from __future__ import annotations

from typing import Any

import pytest

from tests.central.conftest import Central


@pytest.fixture
def spec(central: Central) -> dict[str, Any]:
    with central.client() as client:
        answer = client.get("/openapi.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_a_405_lists_every_allowed_method(central: Central, method: str) -> None:
    with central.client("PHY3") as client:
        answer = client.request(method, "/api/v1/events")
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == "GET, POST"


def test_the_sync_api_declares_its_bearer_key(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes["stationKey"] == {"type": "http", "scheme": "bearer"}
    for method in ("get", "post"):
        operation = spec["paths"]["/api/v1/events"][method]
        assert operation["security"] == [{"stationKey": []}]


def test_the_push_documents_its_answers(spec: dict[str, Any]) -> None:
    answers = spec["paths"]["/api/v1/events"]["post"]["responses"]
    assert {"200", "401", "403", "409", "413", "415", "422", "503"} <= set(answers)


def test_times_and_cursors_have_formats(spec: dict[str, Any]) -> None:
    event = spec["components"]["schemas"]["EventIn"]["properties"]["at"]
    assert event["format"] == "date-time"
    since = next(
        parameter
        for parameter in spec["paths"]["/api/v1/events"]["get"]["parameters"]
        if parameter["name"] == "since"
    )
    pattern = since["schema"]["anyOf"][0]["pattern"]
    assert pattern == r"^(c1\.[0-9]{1,19}\.[0-9]{1,19})?$"


def test_the_open311_post_has_its_form(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/open311/v2/requests.{fmt}"]["post"]["requestBody"]
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"api_key", "service_code"} <= set(form["required"])
    assert "multipart/form-data" in body["content"]
    answers = spec["paths"]["/open311/v2/requests.{fmt}"]["post"]["responses"]
    assert {"200", "400", "403", "413", "429", "503"} <= set(answers)


def test_public_paths_name_their_formats_and_errors(spec: dict[str, Any]) -> None:
    public = {
        path: operations
        for path, operations in spec["paths"].items()
        if path.startswith(("/open311/", "/t/"))
    }
    # Open311's five, the tracking page and its two forms.
    assert len(public) == 9
    for action in ("answer", "note"):
        answers = public[f"/t/{{ticket_no}}/{action}"]["post"]["responses"]
        assert {"303", "400", "403", "404", "409", "429", "503"} <= set(answers)
    for path, operations in public.items():
        for operation in operations.values():
            errors = {"404", "429", "503"} | ({"400"} if "open311" in path else set())
            assert errors <= set(operation["responses"]), path
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "fmt":
                    assert parameter["schema"]["enum"] == ["json", "xml"]


@pytest.mark.parametrize(
    "form",
    [
        {"description": "灯坏了\x00"},  # a NUL in a value
        {"remark\x00": "x"},  # a NUL in a field's name
    ],
)
def test_the_open311_form_schema_refuses_what_the_central_refuses(
    central: Central, spec: dict[str, Any], form: dict[str, str]
) -> None:
    # jsonschema_rs comes with schemathesis: the validator it generates with.
    import jsonschema_rs

    fields = {"api_key": central.open311_keys["PHY3"], "service_code": "housing"}
    fields.update(form)
    with central.client() as client:
        answer = client.post("/open311/v2/requests.json", data=fields)
    assert answer.status_code == 400, answer.text
    body = spec["paths"]["/open311/v2/requests.{fmt}"]["post"]["requestBody"]
    schema = body["content"]["application/x-www-form-urlencoded"]["schema"]
    assert not jsonschema_rs.validator_for(schema).is_valid(fields)
