"""Issuing tickets: one transaction, gap-free numbers, clean text, clear failures."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest

from db import DailyCounter, Outbox, Ticket, TicketEvent, database, open_database
from kiosk.text import clean_text
from kiosk.tickets import (
    TicketDraft,
    TicketInputError,
    TicketSaveError,
    issue_ticket,
    mask_mobile,
    normalize_mobile,
)
from tests.helpers import FIXED_NOW, ZONE


def draft(**fields: object) -> TicketDraft:
    values: dict[str, object] = {"category": "housing", "item": "lift"}
    values.update(fields)
    return TicketDraft(**values)  # type: ignore[arg-type]


def test_ticket_event_and_outbox_are_written_together(settings, station_db):
    ticket = issue_ticket(settings, draft(description="电梯停在5楼"), now=FIXED_NOW)
    assert ticket.ticket_no == "PHY3-261125-001"
    assert ticket.queue_no == "B001"
    assert ticket.url == f"http://127.0.0.1:8311/t/PHY3-261125-001?k={ticket.token}"
    assert ticket.due_at == datetime(2026, 11, 27, 9, 30, tzinfo=ZONE)
    event = TicketEvent.get()
    payload = json.loads(event.payload)
    assert payload["ticket_no"] == ticket.ticket_no and payload["unit"] == "property"
    assert Outbox.get().event_uuid == event.uuid
    assert Outbox.get().sent_at is None


def test_the_same_draft_issues_once(settings, station_db):
    one = draft()
    first = issue_ticket(settings, one, now=FIXED_NOW)
    second = issue_ticket(settings, one, now=FIXED_NOW)
    assert first.ticket_no == second.ticket_no
    assert Ticket.select().count() == TicketEvent.select().count() == 1


def test_numbers_are_daily_and_queue_letters_per_category(settings, station_db):
    issued = [
        issue_ticket(settings, draft(category=c, item="other"), now=FIXED_NOW)
        for c in ("housing", "fire", "housing")
    ]
    assert [t.ticket_no[-3:] for t in issued] == ["001", "002", "003"]
    assert [t.queue_no for t in issued] == ["B001", "F001", "B002"]
    next_day = issue_ticket(
        settings, draft(), now=datetime(2026, 11, 26, 0, 5, tzinfo=ZONE)
    )
    assert next_day.ticket_no == "PHY3-261126-001" and next_day.queue_no == "B001"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("139 1234 5678", "13912345678"),
        ("199-0000-1111", "19900001111"),
    ],
)
def test_mobile_numbers_accepted(raw, expected):
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["12345678901", "1380013800", "138001380001", "23800138000", "1380013800a", ""],
)
def test_mobile_numbers_refused(raw):
    with pytest.raises(TicketInputError) as caught:
        normalize_mobile(raw)
    assert caught.value.field_name == "mobile"


def test_mask_mobile():
    assert mask_mobile("13812345678") == "138****5678"


def test_contact_needs_consent(settings, station_db):
    with pytest.raises(TicketInputError) as caught:
        issue_ticket(settings, draft(contact_mobile="13800138000"))
    assert caught.value.field_name == "consent"
    assert Ticket.select().count() == 0


def test_unknown_category_is_refused(settings, station_db):
    with pytest.raises(TicketInputError):
        issue_ticket(settings, draft(category="nonsense"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[2J\x1b[31mred\x1b[0m", "red"),
        ("title\x1b]0;pwned\x07 here", "title here"),
        ("a\x00b\x07c\x08d", "abcd"),
        ("line\nbreak\ttab", "line break tab"),
        ("\u202eevil\u202c", "evil"),
        ("[@click=app.quit]x[/]", "[@click=app.quit]x[/]"),
        ("  屋顶　漏水  ", "屋顶 漏水"),
    ],
)
def test_clean_text_removes_control_and_escape_sequences(raw, expected):
    assert clean_text(raw, 500) == expected


def test_description_is_limited_to_500_characters(settings, station_db):
    ticket = issue_ticket(settings, draft(description="漏" * 800))
    assert len(ticket.description) == 500


def test_a_locked_database_issues_nothing_and_says_why(settings, tmp_path):
    open_database(settings.database_path, busy_timeout_ms=200)
    locker = sqlite3.connect(settings.database_path)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(TicketSaveError) as caught:
            issue_ticket(settings, draft())
        assert "busy" in str(caught.value)
    finally:
        locker.rollback()
        locker.close()
    assert Ticket.select().count() == 0
    assert DailyCounter.select().count() == 0  # no number was used up
    assert issue_ticket(settings, draft()).ticket_no.endswith("-001")
    database.close()


def test_a_database_refusing_writes_issues_nothing(settings, station_db):
    # query_only makes SQLite refuse every write, as a read-only medium would.
    database.execute_sql("PRAGMA query_only = 1")
    with pytest.raises(TicketSaveError) as caught:
        issue_ticket(settings, draft())
    assert "read-only" in str(caught.value)
    database.execute_sql("PRAGMA query_only = 0")
    assert Ticket.select().count() == 0


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from db import open_database
    from kiosk.config import DEMO_STATION, Settings
    from kiosk.tickets import TicketDraft, issue_ticket

    path, go = Path(sys.argv[1]), Path(sys.argv[2])
    count, category = int(sys.argv[3]), sys.argv[4]
    settings = Settings(station=DEMO_STATION, database_path=path)
    open_database(path)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.001)
    for _ in range(count):
        issue_ticket(settings, TicketDraft(category=category, item="other"))
    print("done", flush=True)
    """
)


def test_two_processes_get_distinct_consecutive_numbers(settings, station_db, tmp_path):
    go = tmp_path / "go"
    per_process = 60
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(settings.database_path),
                str(go),
                str(per_process),
                category,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for category in ("housing", "housing", "fire")
    ]
    for writer in writers:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
    go.touch()  # all start writing at once
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    tickets = list(Ticket.select().order_by(Ticket.id))
    total = per_process * len(writers)
    serials = sorted(int(t.ticket_no.rsplit("-", 1)[1]) for t in tickets)
    assert serials == list(range(1, total + 1))
    for letter, count in (("B", 2 * per_process), ("F", per_process)):
        queue = sorted(int(t.queue_no[1:]) for t in tickets if t.queue_no[0] == letter)
        assert queue == list(range(1, count + 1))
    assert TicketEvent.select().count() == Outbox.select().count() == total


def test_the_token_is_the_drafts_and_the_likely_number_is_the_next(
    settings, station_db
):
    from kiosk.tickets import likely_ticket_no

    first = draft()
    assert first.token not in repr(first)  # never in a log line
    assert likely_ticket_no(settings, FIXED_NOW) == "PHY3-261125-001"
    ticket = issue_ticket(settings, first, now=FIXED_NOW)
    assert ticket.token == first.token and ticket.ticket_no == "PHY3-261125-001"
    assert likely_ticket_no(settings, FIXED_NOW) == "PHY3-261125-002"
    assert draft().token != first.token


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("👨\u200d👩\u200d👧\u200d👦", "👨👩👧👦"),  # joined: each emoji alone
        ("👍🏽", "👍"),  # a skin tone
        ("☀\ufe0f", "☀"),  # emoji presentation
        ("1\ufe0f\u20e3", "1"),  # a keycap
        ("葛\U000e0100", "葛"),  # an ideographic variation
    ],
)
def test_emoji_sequences_are_kept_as_their_base(typed, kept):
    """A terminal draws a sequence as one cluster, Rich counts its parts:
    kept whole, it would push a border off its line."""
    assert clean_text(f"a{typed}b", 100) == f"a{kept}b"


def test_each_draft_draws_its_own_url_safe_128_bit_token():
    import base64
    import re

    from kiosk.config import TRACKING_TOKEN_CHARACTERS
    from kiosk.draft import TOKEN_BYTES, TicketDraft

    tokens = {TicketDraft().token for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert len(token) == TRACKING_TOKEN_CHARACTERS
        assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
        assert len(base64.urlsafe_b64decode(token + "==")) == TOKEN_BYTES
