"""Fixtures for the staff terminal: accounts, tickets, an app on a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk import accounts
from kiosk.config import Settings
from kiosk.tickets import IssuedTicket, TicketDraft, issue_ticket
from screens.staff.app import StaffApp
from tests.conftest import FIXED_NOW, ManualClock

HEAD_PIN = "246810"
STAFF_PIN = "135790"


def issue(
    settings: Settings,
    category: str = "housing",
    item: str = "lift",
    description: str = "",
    building: str = "五巷3号楼",
    mobile: str = "",
    at: datetime | None = None,
) -> IssuedTicket:
    draft = TicketDraft(
        category=category,
        item=item,
        building=building,
        description=description,
        contact_mobile=mobile,
        contact_name="张" if mobile else "",
        consent=bool(mobile),
    )
    return issue_ticket(settings, draft, now=at or FIXED_NOW - timedelta(hours=1))


@pytest.fixture
def staff_accounts(settings: Settings, station_db: Path) -> None:
    accounts.add_user(settings, "wang", "head", HEAD_PIN, now=FIXED_NOW)
    accounts.add_user(settings, "li", "staff", STAFF_PIN, now=FIXED_NOW)


@pytest.fixture
def head(settings: Settings, staff_accounts: None) -> accounts.StaffSession:
    return accounts.login(settings, "wang", HEAD_PIN, now=FIXED_NOW)


@pytest.fixture
def clerk(settings: Settings, staff_accounts: None) -> accounts.StaffSession:
    return accounts.login(settings, "li", STAFF_PIN, now=FIXED_NOW)


@pytest.fixture
def make_staff_app(
    settings: Settings, staff_accounts: None, clock: ManualClock
) -> Callable[..., StaffApp]:
    def build(**options: object) -> StaffApp:
        return StaffApp(settings, clock=clock, now=lambda: FIXED_NOW, **options)  # type: ignore[arg-type]

    return build
