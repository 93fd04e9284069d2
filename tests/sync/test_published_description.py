"""The resident's answer to "publish the description?" goes from the kiosk
to the central with the ticket, and Open311 honours it: published cleaned
when yes, empty when no (docs/open311-public.md)."""

from __future__ import annotations

import httpx

from kiosk.tickets import TicketDraft, issue_ticket
from tests.sync.conftest import Station

WORDS = "楼道灯坏了，请打 13800138000 找王秀英"


def _open311_description(station: Station, ticket_no: str) -> str:
    [(public_id,)] = station.central.query(
        "SELECT public_id FROM ticket WHERE ticket_no = ?", (ticket_no,)
    )
    answer = httpx.get(
        f"{station.central.url}/open311/v2/requests/{public_id}.json", timeout=30
    )
    assert answer.status_code == 200, answer.text
    description: str = answer.json()[0]["description"]
    return description


def test_the_residents_answer_reaches_open311(station: Station) -> None:
    published = issue_ticket(
        station.settings,
        TicketDraft(
            category="housing",
            item="lift",
            description=WORDS,
            contact_name="王秀英",
            contact_mobile="13800138000",
            consent=True,
            publish_description=True,
        ),
    )
    private = issue_ticket(
        station.settings,
        TicketDraft(category="housing", item="lift", description=WORDS),
    )
    done = station.kiosk("sync", "--once")
    assert done.returncode == 0, done.stderr
    assert _open311_description(station, published.ticket_no) == (
        "楼道灯坏了，请打 *** 找***"
    )
    assert _open311_description(station, private.ticket_no) == ""
