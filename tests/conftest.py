"""Shared fixtures: a real SQLite file per test, fixed clocks, the two apps,
staff accounts. Constants and helpers live in tests/helpers.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from db import database, open_database
from kiosk import accounts
from kiosk.config import DEMO_STATION, KioskSettings, Settings
from screens.resident.app import KioskApp
from screens.staff.app import StaffApp
from tests.helpers import FIXED_NOW, HEAD_PIN, STAFF_PIN, ManualClock


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        station=DEMO_STATION,
        kiosk=KioskSettings(),
        database_path=tmp_path / "station" / "kiosk.db",
    )


@pytest.fixture
def station_db(settings: Settings) -> Iterator[Path]:
    open_database(settings.database_path)
    yield settings.database_path
    database.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def make_app(settings: Settings, station_db: Path, clock: ManualClock):  # type: ignore[no-untyped-def]
    def build(**kiosk_overrides: Any) -> KioskApp:
        chosen = settings
        if kiosk_overrides:
            chosen = dataclasses.replace(
                settings, kiosk=dataclasses.replace(settings.kiosk, **kiosk_overrides)
            )
        return KioskApp(chosen, clock=clock, now=lambda: FIXED_NOW)

    return build


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


@pytest.fixture
def kiosk_config(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A config file for the test's station database, found via KIOSK_CONFIG
    (for the ``kiosk`` commands run in this process)."""
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[database]\npath = "{settings.database_path}"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    return path
