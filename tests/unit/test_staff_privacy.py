"""What the station's tools print never carries a full mobile number or a
tracking token, at any depth; reading personal data through the CLI is
audited."""

from __future__ import annotations

import dataclasses
import json

import pytest

from db import AuditLog, Ticket
from kiosk import desk
from tests.helpers import issue, run_kiosk_command

MOBILE = "13812345678"


def strings(value: object) -> list[str]:
    """Every key and string value in a JSON document, at any depth."""
    if isinstance(value, dict):
        return [str(k) for k in value] + [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return [str(value)]


@pytest.mark.parametrize(
    "argv",
    [
        ("tickets", "show", "{no}", "--json"),
        ("tickets", "show", "{no}"),
        ("tickets", "list", "--json"),
        ("tickets", "list"),
        ("tickets", "search", "电梯", "--json"),
        ("tickets", "search", "电梯"),
    ],
)
def test_no_tool_prints_a_full_mobile_or_a_token(
    kiosk_config, settings, head, capsys, argv
):
    number = issue(settings, description=f"电梯坏了 回电 {MOBILE}", mobile=MOBILE)
    number_text = number.ticket_no
    desk.dispatch(settings, head, number_text, "property")
    token = Ticket.get(Ticket.ticket_no == number_text).token
    code, out, err = run_kiosk_command(
        capsys, *(a.format(no=number_text) for a in argv)
    )
    assert code == 0, err
    assert MOBILE not in out and token not in out
    assert "token" not in out
    if "--json" in argv:
        document = json.loads(out)
        assert not any(MOBILE in s or token in s for s in strings(document))


def test_reading_a_ticket_through_the_cli_is_audited(
    kiosk_config, settings, station_db, capsys
):
    number = issue(settings, mobile=MOBILE).ticket_no
    assert run_kiosk_command(capsys, "tickets", "show", number, "--json")[0] == 0
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert last.action == "cli_show" and last.target == number
    assert last.actor.startswith("cli:")


# -- account administration (issue 18, item 4) --------------------------------


def as_user(monkeypatch, lines: str) -> None:
    """Run the next command as an ordinary user of the box, with stdin."""
    import io

    monkeypatch.setattr("os.geteuid", lambda: 1000)
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))


def test_administration_needs_a_heads_pin(
    kiosk_config, settings, staff_accounts, capsys, monkeypatch
):
    from db import StaffUser
    from tests.helpers import HEAD_PIN, STAFF_PIN

    as_user(monkeypatch, "777777\n")
    code, _, err = run_kiosk_command(
        capsys, "users", "reset-pin", "wang", "--pin-stdin"
    )
    assert code == 1 and "站长" in err
    # A clerk's PIN is not enough.
    as_user(monkeypatch, f"{STAFF_PIN}\n777777\n")
    argv = ("users", "reset-pin", "wang", "--pin-stdin", "--head", "li")
    code, _, err = run_kiosk_command(capsys, *argv)
    assert code == 1 and "只有站长" in err
    # The head's PIN: done, and the audit names the head.
    as_user(monkeypatch, f"{HEAD_PIN}\n{STAFF_PIN}\n")
    argv = ("users", "disable", "li", "--pin-stdin", "--head", "wang")
    assert run_kiosk_command(capsys, *argv)[0] == 0
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (last.actor, last.action, last.target) == (
        "staff:wang",
        "user_disable",
        "li",
    )
    assert StaffUser.get(StaffUser.name == "li").disabled
    # A disabled account can be enabled again.
    as_user(monkeypatch, f"{HEAD_PIN}\n")
    argv = ("users", "enable", "li", "--pin-stdin", "--head", "wang")
    assert run_kiosk_command(capsys, *argv)[0] == 0
    assert not StaffUser.get(StaffUser.name == "li").disabled
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (last.actor, last.action) == ("staff:wang", "user_enable")


def test_the_box_administrator_and_the_first_head(
    kiosk_config, settings, station_db, capsys, monkeypatch
):
    import io

    # A new station: anyone may add the first head.
    as_user(monkeypatch, "246810\n")
    assert (
        run_kiosk_command(
            capsys, "users", "add", "wang", "--role", "head", "--pin-stdin"
        )[0]
        == 0
    )
    as_user(monkeypatch, "135790\n")
    code, _, err = run_kiosk_command(capsys, "users", "add", "li", "--pin-stdin")
    assert code == 1 and "站长" in err
    # root, the box's administrator, needs no PIN and is named in the audit.
    monkeypatch.setattr("os.geteuid", lambda: 0)
    monkeypatch.setattr("sys.stdin", io.StringIO("135790\n"))
    assert run_kiosk_command(capsys, "users", "add", "li", "--pin-stdin")[0] == 0
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert last.action == "user_add" and last.actor.startswith("cli:")


# -- the CLI never shows a traceback (issue 18, item 21) -----------------------


def cli_process(kiosk_config, *argv: str, **options):
    import subprocess
    import sys

    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(kiosk_config), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **options,
    )


def test_a_closed_pipe_ends_the_listing_quietly(kiosk_config, settings, station_db):
    for _ in range(60):
        issue(settings)
    process = cli_process(kiosk_config, "tickets", "list", "--limit", "60")
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()  # as `| head -1` does
    process.stdout.close()
    error = process.stderr.read().decode()
    process.wait(timeout=30)
    assert "Traceback" not in error and "BrokenPipe" not in error


@pytest.mark.parametrize(
    "argv",
    [
        ("tickets", "list", "--page", "99999999999999999999"),
        ("tickets", "search", "电梯", "--page", "99999999999999999999"),
        ("tickets", "list", "--limit", "99999999999999999999"),
        ("tickets", "list", "--page", "-1"),
    ],
)
def test_out_of_range_numbers_are_a_message(kiosk_config, station_db, argv):
    process = cli_process(kiosk_config, *argv)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert b"Traceback" not in out + err and b"--" in err


def test_the_log_speaks_the_station_time(settings):
    import logging
    from zoneinfo import ZoneInfo

    from kiosk.cli import log_formatter

    zoned = dataclasses.replace(settings, kiosk=settings.kiosk)
    formatter = log_formatter(zoned)
    record = logging.LogRecord("kiosk", logging.INFO, __file__, 1, "hello", None, None)
    record.created = 0.0  # 1970-01-01 00:00 UTC is 08:00 in Beijing
    line = formatter.format(record)
    assert settings.zone == ZoneInfo("Asia/Shanghai")
    assert line.startswith("1970-01-01T08:00:00") and "+08:00" in line
