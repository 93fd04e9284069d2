"""What the station's tools print never carries a full mobile number or a
tracking token, at any depth; reading personal data through the CLI is
audited."""

from __future__ import annotations

import json

import pytest

from db import AuditLog, Ticket
from kiosk import cli, desk
from tests.helpers import issue

MOBILE = "13812345678"


@pytest.fixture
def config(settings, tmp_path, monkeypatch):
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[database]\npath = "{settings.database_path}"\n')
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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
def test_no_tool_prints_a_full_mobile_or_a_token(config, settings, head, capsys, argv):
    number = issue(settings, description=f"电梯坏了 回电 {MOBILE}", mobile=MOBILE)
    number_text = number.ticket_no
    desk.dispatch(settings, head, number_text, "property")
    token = Ticket.get(Ticket.ticket_no == number_text).token
    code, out, err = run(capsys, *(a.format(no=number_text) for a in argv))
    assert code == 0, err
    assert MOBILE not in out and token not in out
    assert "token" not in out
    if "--json" in argv:
        document = json.loads(out)
        assert not any(MOBILE in s or token in s for s in strings(document))


def test_reading_a_ticket_through_the_cli_is_audited(
    config, settings, station_db, capsys
):
    number = issue(settings, mobile=MOBILE).ticket_no
    assert run(capsys, "tickets", "show", number, "--json")[0] == 0
    last = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert last.action == "cli_show" and last.target == number
    assert last.actor.startswith("cli:")
