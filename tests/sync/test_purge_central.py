"""Retention at the central, against a real central process (SQLite and
PostgreSQL): a station's purge reaches it as ``purged`` events and erases its
copies; ``kiosk-central privacy purge`` erases what ended past its limit.
No mobile number of those tickets is left at the central; open and recent
tickets keep theirs; the report figures are the same before and after."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from kiosk import accounts, desk
from kiosk.privacy import purge
from kiosk.tickets import IssuedTicket
from tests.central.conftest import scratch_database
from tests.helpers import FIXED_NOW, HEAD_PIN, issue
from tests.sync.conftest import Central, Station, _start_central

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
OLD, IN_DESCRIPTION, IN_NOTE = "13800000011", "13700000015", "13600000016"
OPEN, RECENT = "13900000013", "13900000014"
# Eleven digits can also turn up by chance inside a random identifier (a
# uuid, a public id): only the numbers the tests write are looked for.
PLANTED = frozenset({OLD, IN_DESCRIPTION, IN_NOTE, OPEN, RECENT})
ENDED_AT = FIXED_NOW - timedelta(days=30)


@pytest.fixture(params=["sqlite", "postgresql"])
def central(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Central]:
    """A central of this test's own: the purge counts every station's tickets."""
    folder = tmp_path_factory.mktemp(f"purge-central-{request.param}")
    with scratch_database(request.param, folder, "kiosk_purge") as target:
        db_url = f"sqlite:///{target}" if request.param == "sqlite" else target
        server = _start_central(request.param, db_url, folder)
        try:
            yield server
        finally:
            server.process.terminate()
            server.process.wait(30)


def _head(station: Station) -> accounts.StaffSession:
    accounts.add_user(station.settings, "wang", "head", HEAD_PIN, now=ENDED_AT)
    return accounts.login(station.settings, "wang", HEAD_PIN, now=ENDED_AT)


def _ended(
    station: Station, head: accounts.StaffSession, mobile: str, at: datetime
) -> IssuedTicket:
    """A ticket closed after its call-back at ``at``, with a mobile in its
    description and in a note, each written against Latin letters."""
    settings = station.settings
    ticket = issue(
        settings, mobile=mobile, description=f"请打TEL{IN_DESCRIPTION}", at=at
    )
    desk.dispatch(settings, head, ticket.ticket_no, "property", now=at)
    desk.add_note(settings, head, ticket.ticket_no, f"已联系 tel:{IN_NOTE}ext", now=at)
    desk.resolve(settings, head, ticket.ticket_no, "已修好", now=at)
    desk.call_back(settings, head, ticket.ticket_no, "satisfied", now=at)
    return ticket


def _sync(station: Station) -> None:
    done = station.kiosk("sync", "--once")
    assert done.returncode == 0, done.stderr


def _mobiles_at_central(central: Central, ticket_uuid: str) -> set[str]:
    """Every planted mobile number in the central's ticket row and events of
    a ticket."""
    found: set[str] = set()
    for row in central.query("SELECT * FROM ticket WHERE uuid = ?", (ticket_uuid,)):
        found |= {match for value in row for match in MOBILE.findall(str(value))}
    events = central.query(
        "SELECT payload FROM event WHERE ticket_uuid = ?", (ticket_uuid,)
    )
    for (payload,) in events:
        found |= set(MOBILE.findall(str(payload)))
    return found & PLANTED


def _contact(central: Central, ticket_uuid: str) -> tuple[object, ...]:
    rows = central.query(
        "SELECT contact_name, contact_mobile, status FROM ticket WHERE uuid = ?",
        (ticket_uuid,),
    )
    return tuple(rows[0])


def _report(central: Central, month: str) -> dict[str, object]:
    done = central.cli(
        "report", "month", month, "--json", "--as-of", "2027-12-01T00:00:00+08:00"
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_a_station_purge_reaches_the_central(
    station: Station, central: Central
) -> None:
    head = _head(station)
    old = _ended(station, head, OLD, ENDED_AT)
    still_open = issue(station.settings, mobile=OPEN, at=ENDED_AT)
    _sync(station)
    assert _mobiles_at_central(central, old.uuid) == {OLD, IN_DESCRIPTION, IN_NOTE}
    month = f"{ENDED_AT:%Y-%m}"
    figures = _report(central, month)

    report = purge(station.settings, now=ENDED_AT + timedelta(days=200))
    assert report.database.tickets == 1
    assert report.database.central_events == 1  # the old ticket's `purged`
    assert station.pending() == 1
    _sync(station)

    assert _mobiles_at_central(central, old.uuid) == set()
    assert _contact(central, old.uuid) == (None, None, "closed")
    kinds = central.query(
        "SELECT kind, payload FROM event WHERE ticket_uuid = ? AND kind = 'purged'",
        (old.uuid,),
    )
    assert len(kinds) == 1 and OLD not in str(kinds[0][1])
    # The open ticket keeps what its call-back needs.
    assert _mobiles_at_central(central, still_open.uuid) == {OPEN}
    assert _report(central, month) == figures
    station.assert_exactly_once()

    # A second purge has nothing more to tell the central.
    again = purge(station.settings, now=ENDED_AT + timedelta(days=400))
    assert again.database.central_events == 0 and station.pending() == 0


def test_kiosk_central_privacy_purge(station: Station, central: Central) -> None:
    head = _head(station)
    old = _ended(station, head, OLD, ENDED_AT)
    recent = _ended(station, head, RECENT, datetime.now(FIXED_NOW.tzinfo))
    still_open = issue(station.settings, mobile=OPEN, at=ENDED_AT)
    _sync(station)
    month = f"{ENDED_AT:%Y-%m}"
    figures = _report(central, month)
    limit = ("--retention-days", "20")

    dry = central.cli("privacy", "purge", *limit, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    would = json.loads(dry.stdout)
    assert (would["tickets"], would["events"], would["texts"]) == (1, 1, 3)
    assert would["dry_run"] is True
    assert _mobiles_at_central(central, old.uuid) == {OLD, IN_DESCRIPTION, IN_NOTE}

    done = central.cli("privacy", "purge", *limit, "--actor", "管理员")
    assert done.returncode == 0, done.stderr
    assert "erased the contact details of 1 tickets and 1 events" in done.stdout
    assert _mobiles_at_central(central, old.uuid) == set()
    assert _contact(central, old.uuid) == (None, None, "closed")
    assert _mobiles_at_central(central, recent.uuid) == {
        RECENT,
        IN_DESCRIPTION,
        IN_NOTE,
    }
    assert _mobiles_at_central(central, still_open.uuid) == {OPEN}
    assert _report(central, month) == figures

    audit = central.cli("audit", "--json")
    entries = [e for e in json.loads(audit.stdout) if e["action"] == "privacy_purge"]
    assert len(entries) == 1  # the dry run left no trace
    detail = json.loads(entries[0]["detail"])
    assert (detail["tickets"], detail["events"], detail["retention_days"]) == (
        1,
        1,
        20,
    )
    assert entries[0]["actor"] == "管理员"
    assert not MOBILE.search(json.dumps(entries, ensure_ascii=False))

    again = central.cli("privacy", "purge", *limit, "--json")
    assert json.loads(again.stdout)["tickets"] == 0


def test_central_purge_refuses_a_bad_limit(central: Central) -> None:
    done = central.cli("privacy", "purge", "--retention-days", "0")
    assert done.returncode == 1
    assert done.stderr.strip() == "kiosk-central: --retention-days 0: use 1-3650"
    assert "Traceback" not in done.stderr
