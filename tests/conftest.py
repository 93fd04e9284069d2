"""Shared fixtures: a real SQLite file per test, fixed clocks, app helpers."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from db import database, open_database
from kiosk.config import DEMO_STATION, KioskSettings, Settings
from screens.resident.app import KioskApp

ZONE = ZoneInfo("Asia/Shanghai")
FIXED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=ZONE)


class ManualClock:
    """A monotonic clock the test moves by hand (for idle and timeouts)."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


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
