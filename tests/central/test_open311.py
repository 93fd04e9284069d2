"""Open311 GeoReport v2, read by an Open311 client library used unchanged."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import Any

import httpx
import pytest
import requests
from georeport import GeoReport

from kiosk.catalog import load_catalog
from tests.central.conftest import Central, new_ticket

SECRET_NAME = "王秀英"
SECRET_MOBILE = "13812345678"


def _file(central: Central, fmt: str = "json", **fields: str) -> httpx.Response:
    form = {
        "api_key": central.open311_keys["PHY3"],
        "service_code": "housing",
        "attribute[item]": "lift",
        "address_string": "5号楼",
        "description": "电梯困人后一直停运",
        "first_name": "秀英",
        "last_name": "王",
        "phone": SECRET_MOBILE,
        "email": "wang@example.com",
    }
    form.update(fields)
    form = {k: v for k, v in form.items() if v != "-"}
    with httpx.Client(base_url=central.url, timeout=30) as client:
        return client.post(f"/open311/v2/requests.{fmt}", data=form)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_open311_client_reads_services_and_requests(
    central: Central, fmt: str
) -> None:
    received, data = new_ticket()
    with central.client("PHY3") as client:
        assert (
            client.post("/api/v1/events", json={"events": [received]}).status_code
            == 200
        )
    georeport = GeoReport(f"{central.url}/open311/v2", output_format=fmt)
    services = georeport.get_service_list()
    catalog = load_catalog()
    assert [s["service_code"] for s in services] == [c.code for c in catalog.categories]
    assert services[0]["service_name"] == catalog.categories[0].name
    definition = georeport.get_service_definition("housing")
    attributes = definition["attributes"]
    attribute = attributes[0] if fmt == "json" else attributes["attribute"]
    assert attribute["code"] == "item"
    assert attribute["datatype"] == "singlevaluelist"
    public_id = central.public_id_of(data["ticket_no"])
    one = georeport.get_service_request(public_id)
    assert one["service_request_id"] == public_id
    assert one["status"] == "open"
    assert one["service_code"] == "housing"
    assert one["agency_responsible"] == "物业公司"
    listed = georeport.get_service_requests(service_code="housing", status="open")
    listed = listed if isinstance(listed, list) else [listed]
    assert public_id in [r["service_request_id"] for r in listed]
    raw = requests.get(f"{central.url}/open311/v2/requests.{fmt}", timeout=30).text
    assert SECRET_NAME not in raw and SECRET_MOBILE not in raw


def test_discovery_lists_this_endpoint(central: Central) -> None:
    with httpx.Client(base_url=central.url) as client:
        discovery = client.get("/open311/v2/discovery.json").json()
        xml = ElementTree.fromstring(client.get("/open311/v2/discovery.xml").content)
    endpoint = discovery["endpoints"][0]
    assert endpoint["url"] == f"{central.url}/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert "application/json" in endpoint["formats"]
    assert xml.tag == "discovery"
    assert xml.find("endpoints/endpoint/formats/format") is not None


def test_a_filed_request_belongs_to_the_station_and_reaches_it(
    central: Central,
) -> None:
    with central.client("PHY3") as client:
        page: dict[str, Any] = {"more": True, "cursor": ""}
        while page["more"]:
            page = client.get(
                "/api/v1/events", params={"since": str(page["cursor"]), "limit": 500}
            ).json()
        cursor = str(page["cursor"])
    answer = _file(central)
    assert answer.status_code == 200, answer.text
    [created] = answer.json()
    public_id, token = created["service_request_id"], created["token"]
    number = central.ticket_no_of(public_id)
    assert number.startswith("PHY3-") and "-W" in number
    assert "/t/" + number + "?k=" in created["service_notice"]
    with httpx.Client(base_url=central.url) as client:
        lookup = client.get(f"/open311/v2/tokens/{token}.json").json()
        public_json = client.get(f"/open311/v2/requests/{public_id}.json").text
        public_xml = client.get(f"/open311/v2/requests/{public_id}.xml").text
    assert lookup == [{"service_request_id": public_id, "token": token}]
    for public in (public_json, public_xml):
        assert public_id in public and number not in public
        assert SECRET_NAME not in public and "秀英" not in public
        assert SECRET_MOBILE not in public and "wang@example.com" not in public
    with central.client("PHY3") as client:
        pulled = client.get("/api/v1/events", params={"since": cursor}).json()["events"]
    [arrived] = [e for e in pulled if e["ticket_no"] == number]
    assert arrived["kind"] == "received"
    assert arrived["origin"] == "central"
    assert arrived["payload"]["station"] == "PHY3"
    assert arrived["payload"]["item"] == "lift"
    assert (
        arrived["payload"]["contact_mobile"] == SECRET_MOBILE
    )  # the owner may call back
    assert arrived["payload"]["contact_name"] == "王秀英"
    with central.client("DTJ7") as client:
        theirs = client.get("/api/v1/events", params={"limit": 500}).json()["events"]
    assert number not in [e["ticket_no"] for e in theirs]


def test_post_errors_follow_the_spec(central: Central) -> None:
    tickets_before = central.count("ticket")
    no_key = _file(central, api_key="-")
    wrong_key = _file(central, fmt="xml", api_key="not-a-key")
    no_service = _file(central, service_code="-")
    unknown = _file(central, service_code="teleport")
    nowhere = _file(central, address_string="-")
    bad_phone = _file(central, phone="12345")
    long_text = _file(central, description="长" * 4001)
    assert no_key.status_code == 403
    assert no_key.json() == [
        {"code": 403, "description": "api_key: missing or not valid"}
    ]
    assert wrong_key.status_code == 403
    error = ElementTree.fromstring(wrong_key.content)
    assert error.tag == "errors" and error.findtext("error/code") == "403"
    for answer, words in (
        (no_service, "service_code"),
        (unknown, "not found"),
        (nowhere, "location"),
        (bad_phone, "phone"),
        (long_text, "4000"),
    ):
        assert answer.status_code == 400, answer.text
        assert words in answer.json()[0]["description"]
    assert central.count("ticket") == tickets_before


def test_get_errors_and_filters(central: Central) -> None:
    answer = _file(central, service_code="sanitation", **{"attribute[item]": "rubbish"})
    public_id = answer.json()[0]["service_request_id"]
    central.cli(
        "ticket",
        "update",
        central.ticket_no_of(public_id),
        "--kind",
        "withdrawn",
        "--reason",
        "duplicate",
    )
    with httpx.Client(base_url=central.url) as client:
        missing = client.get("/open311/v2/requests/00000000000000000000.xml")
        unknown_service = client.get("/open311/v2/services/teleport.json")
        too_long = client.get(
            "/open311/v2/requests.json",
            params={
                "start_date": "2026-01-01T00:00:00+08:00",
                "end_date": "2026-06-01T00:00:00+08:00",
            },
        )
        bad_status = client.get(
            "/open311/v2/requests.json", params={"status": "pending"}
        )
        closed = client.get(
            "/open311/v2/requests.json", params={"status": "closed"}
        ).json()
        still_open = client.get(
            "/open311/v2/requests.json", params={"status": "open"}
        ).json()
        by_id = client.get(
            "/open311/v2/requests.json",
            params={"service_request_id": f"{public_id},X-1"},
        ).json()
        paged = client.get("/open311/v2/requests.json", params={"page_size": 1}).json()
        bad_format = client.get("/open311/v2/services.html")
    assert missing.status_code == 404
    assert ElementTree.fromstring(missing.content).findtext("error/code") == "404"
    assert unknown_service.status_code == 404
    assert (
        too_long.status_code == 400 and "90 days" in too_long.json()[0]["description"]
    )
    assert bad_status.status_code == 400
    assert public_id in [r["service_request_id"] for r in closed]
    assert all(r["status"] == "closed" for r in closed)
    assert public_id not in [r["service_request_id"] for r in still_open]
    assert [r["service_request_id"] for r in by_id] == [public_id]
    assert by_id[0]["status_notes"] == "已撤销"
    assert len(paged) == 1
    assert bad_format.status_code == 404
