"""The parts of sync that need no central: backoff, config, demo data, merging."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from db import database
from kiosk.catalog import load_catalog
from kiosk.config import ConfigError, Settings, load_settings, render_config
from kiosk.demo import load_demo
from kiosk.states import STATUSES, Event, derive_status
from kiosk.sync.apply import apply_pulled_events
from kiosk.sync.client import backoff_delay, parse_retry_after, redact
from kiosk.tickets import TicketDraft, issue_ticket


def test_backoff_is_full_jitter_under_the_cap() -> None:
    rng = random.Random(1)
    for failures, ceiling in ((1, 1.0), (2, 2.0), (4, 8.0), (12, 60.0), (80, 60.0)):
        delays = [backoff_delay(failures, 1.0, 60.0, rng) for _ in range(400)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling * 0.8 and min(delays) < ceiling * 0.2


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("7") == 7
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    moment = datetime.now().astimezone() + timedelta(seconds=30)
    seconds = parse_retry_after(format_datetime(moment, usegmt=False))
    assert seconds is not None and 27 <= seconds <= 31


def test_redact_hides_key_and_bearer() -> None:
    text = redact("Authorization: Bearer abc123 for key abc123", "abc123")
    assert "abc123" not in text


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("batch_size = 0", "central.batch_size"),
        ("batch_size = 2.5", "central.batch_size"),
        ('connect_timeout = "fast"', "central.connect_timeout"),
        ("read_timeout = 0", "central.read_timeout"),
        ("backoff_cap = 0.001", "central.backoff_cap"),
        ('ca_bundle = "missing.pem"', "central.ca_bundle"),
    ],
)
def test_bad_sync_settings_name_the_key(tmp_path: Path, line: str, key: str) -> None:
    path = tmp_path / "kiosk.toml"
    text = render_config(path, "DTJ7", "某社区", "https://c.example", "k")
    path.write_text(text.replace("[central]\n", f"[central]\n{line}\n"))
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert raised.value.key == key
    assert str(path) in str(raised.value)


def test_init_writes_a_working_sync_config(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "init", str(path), "--station", "DTJ7"]
        + ["--central", "https://central.example", "--api-key", "secret-key"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    settings = load_settings(path)
    assert settings.central.url == "https://central.example"
    assert settings.central.api_key == "secret-key"
    assert settings.central.batch_size == 2000
    assert settings.central.connect_timeout == 5 and settings.central.read_timeout == 30
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    path.write_text(
        path.read_text().replace(
            "[central]\n", '[central]\nca_bundle = "ca.pem"\nbatch_size = 50\n'
        )
    )
    settings = load_settings(path)
    assert settings.central.ca_bundle == str(bundle)
    assert settings.central.batch_size == 50


def test_demo_load_is_realistic(settings: Settings, station_db: Path) -> None:
    now = datetime(2026, 11, 25, 9, 0, tzinfo=settings.zone)
    report = load_demo(settings, 600, seed=7, now=now, batch_tickets=250)
    assert report.tickets == 600
    catalog = load_catalog()
    buildings = {b for grid in settings.station.grids for b in grid.buildings}
    rows = database.execute_sql(
        "SELECT uuid, ticket_no, category, item, building, description, status, "
        "created_at, day FROM ticket"
    ).fetchall()
    assert len(rows) == 600
    statuses = Counter(row[6] for row in rows)
    assert set(statuses) == set(STATUSES)
    assert statuses["closed"] > statuses["received"]
    codes = {c.code: c for c in catalog.categories}
    for (
        _uuid,
        ticket_no,
        category,
        item,
        building,
        description,
        _s,
        created,
        day,
    ) in rows:
        assert category in codes
        assert item == "other" or item in {i.code for i in codes[category].items}
        assert building in buildings
        assert any("\u4e00" <= ch <= "\u9fff" for ch in description)
        assert ticket_no.startswith(f"PHY3-{day[2:4]}{day[5:7]}{day[8:10]}-")
        assert created.startswith(day)
        assert now - timedelta(days=181) < datetime.fromisoformat(created) < now
    # Every status is what its event history says.
    events: dict[str, list[Event]] = {}
    for ticket_uuid, kind, payload in database.execute_sql(
        "SELECT ticket_uuid, kind, payload FROM ticket_event ORDER BY id"
    ).fetchall():
        events.setdefault(ticket_uuid, []).append(Event(kind, json.loads(payload)))
    for row in rows:
        assert derive_status(events[row[0]]) == row[6], row[1]
        assert events[row[0]][0].kind == "received"
    pending = database.execute_sql(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
    ).fetchone()[0]
    assert pending == 0
    # The next ticket on a demo day never collides with a demo number.
    busiest = Counter(row[8] for row in rows).most_common(1)[0]
    day = datetime.fromisoformat(busiest[0]).replace(hour=17, tzinfo=settings.zone)
    issued = issue_ticket(settings, TicketDraft(category="housing"), now=day)
    assert issued.ticket_no.endswith(f"-{busiest[1] + 1:03d}")


def test_demo_pending_and_repeat_load(settings: Settings, station_db: Path) -> None:
    load_demo(settings, 50, seed=1)
    load_demo(settings, 50, seed=1, pending=True)
    assert database.execute_sql("SELECT COUNT(*) FROM ticket").fetchone()[0] == 100
    unsent = database.execute_sql(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
    ).fetchone()[0]
    events = database.execute_sql("SELECT COUNT(*) FROM ticket_event").fetchone()[0]
    assert 0 < unsent < events


def test_pulled_received_creates_ticket_and_moves_cursor(
    settings: Settings, station_db: Path
) -> None:
    snapshot = {
        "ticket_no": "PHY3-261124-W001",
        "queue_no": "",
        "station": "PHY3",
        "category": "housing",
        "item": "lift",
        "building": "1号楼",
        "description": "电梯停了",
        "contact_name": None,
        "contact_mobile": None,
        "created_at": "2026-11-24T10:00:00+08:00",
        "unit": "property",
        "due_at": "2026-11-26T10:00:00+08:00",
        "token": "t" * 22,
        "language": "zh-CN",
    }
    ticket_uuid = "0b7e0000-0000-4000-8000-000000000001"
    events = [
        {
            "uuid": "0b7e0000-0000-4000-8000-0000000000e1",
            "ticket_uuid": ticket_uuid,
            "kind": "received",
            "actor": "open311:PHY3",
            "at": "2026-11-24T10:00:00+08:00",
            "payload": snapshot,
        },
        {
            "uuid": "0b7e0000-0000-4000-8000-0000000000e2",
            "ticket_uuid": ticket_uuid,
            "kind": "acknowledged",  # refused from 'received': kept, not applied
            "actor": "central:王主任",
            "at": "2026-11-24T10:05:00+08:00",
            "payload": {},
        },
        {
            "uuid": "0b7e0000-0000-4000-8000-0000000000e3",
            "ticket_uuid": ticket_uuid,
            "kind": "dispatched",
            "actor": "central:王主任",
            "at": "2026-11-24T10:10:00+08:00",
            "payload": {"unit": "property"},
        },
        {
            "uuid": "0b7e0000-0000-4000-8000-0000000000e4",
            "ticket_uuid": "0b7e0000-0000-4000-8000-00000000ffff",
            "kind": "note",  # a ticket this station does not have
            "actor": "central:王主任",
            "at": "2026-11-24T10:10:00+08:00",
            "payload": {"text": "?"},
        },
    ]
    applied = apply_pulled_events(settings, events, "c1.0.3")
    assert (applied.pulled, applied.skipped, applied.tickets_created) == (3, 1, 1)
    again = apply_pulled_events(settings, events[:3], "c1.0.3")
    assert again.pulled == 0
    status, origin_count = database.execute_sql(
        "SELECT t.status, COUNT(e.id) FROM ticket t JOIN ticket_event e "
        "ON e.ticket_uuid = t.uuid AND e.origin = 'central' WHERE t.uuid = ?",
        (ticket_uuid,),
    ).fetchone()
    assert (status, origin_count) == ("dispatched", 3)
    assert database.execute_sql("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    cursor = database.execute_sql(
        "SELECT value FROM key_value WHERE key = 'pull_cursor'"
    ).fetchone()
    assert cursor == ("c1.0.3",)
