"""Text a station pushes follows the kiosk's rules, and the XML feed stays XML.

A description with terminal control characters or a noncharacter once made
``requests.xml`` not well-formed for every XML client, whatever ticket they
asked for.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from georeport import GeoReport

from central.open311 import render
from tests.central.conftest import Central, new_ticket

HOSTILE = "\x07屋顶\x1b[31m漏水\x0b\x0c\x7f\ufffe\u200b 请处理"
CLEANED = "屋顶漏水 请处理"


def test_pushed_text_is_cleaned_and_the_xml_feed_stays_well_formed(
    central: Central,
) -> None:
    received, data = new_ticket(
        description=HOSTILE, building="3号楼\x1b]0;title\x07\x082单元"
    )
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received]})
    assert answer.status_code == 200, answer.text
    with central.client() as client:
        feed = client.get(
            "/open311/v2/requests.xml",
            params={
                "service_request_id": data["ticket_no"],
                "api_key": central.open311_keys["PHY3"],  # free text: own key
            },
        )
    assert feed.status_code == 200, feed.text
    root = ElementTree.fromstring(feed.content)  # expat: raises if not XML
    assert root.findtext("request/description") == CLEANED
    assert root.findtext("request/address") == "3号楼2单元"
    one = GeoReport(f"{central.url}/open311/v2", output_format="xml")
    public_id = central.public_id_of(data["ticket_no"])
    parsed = one.get_service_request(public_id)  # raises if not XML
    assert parsed["service_request_id"] == public_id


def test_xml_drops_what_xml_cannot_carry() -> None:
    body = render(
        "xml",
        "service_requests",
        [{"description": "a\x00b\x07c\x1bd\ufffee\ud800f\n\tg"}],
    ).body
    root = ElementTree.fromstring(bytes(body))
    assert root.findtext("request/description") == "abcdef\n\tg"
