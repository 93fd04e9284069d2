"""The audit log and the ticket history are evidence: no program that opens
the file can rewrite or remove a row of either, by any path."""

from __future__ import annotations

import sqlite3

import pytest

from kiosk import desk
from tests.helpers import issue

AUDIT_REWRITES = [
    "UPDATE audit_log SET actor = 'someone'",
    "DELETE FROM audit_log",
    "INSERT OR REPLACE INTO audit_log (id, at, actor, action) "
    "VALUES (1, 't', 'someone', 'login')",
    "REPLACE INTO audit_log (id, at, actor, action) VALUES (1, 't', 'x', 'login')",
    "INSERT INTO audit_log (id, at, actor, action) VALUES (1, 't', 'x', 'login') "
    "ON CONFLICT (id) DO UPDATE SET actor = 'someone'",
]
EVENT_REWRITES = [
    "UPDATE ticket_event SET actor = 'staff:someone'",
    "UPDATE ticket_event SET payload = '{}' WHERE kind = 'dispatched'",
    "DELETE FROM ticket_event",
    "INSERT OR REPLACE INTO ticket_event (id, uuid, ticket_uuid, kind, actor, at) "
    "SELECT id, uuid, ticket_uuid, kind, 'staff:someone', at FROM ticket_event",
    "INSERT OR REPLACE INTO ticket_event (uuid, ticket_uuid, kind, actor, at) "
    "SELECT uuid, ticket_uuid, kind, 'staff:someone', at FROM ticket_event",
    "REPLACE INTO ticket_event (id, uuid, ticket_uuid, kind, actor, at) "
    "SELECT id, 'x-' || uuid, ticket_uuid, kind, actor, at FROM ticket_event",
    "INSERT INTO ticket_event (uuid, ticket_uuid, kind, actor, at) "
    "SELECT uuid, ticket_uuid, kind, actor, at FROM ticket_event WHERE true "
    "ON CONFLICT (uuid) DO UPDATE SET actor = 'staff:someone'",
]


def snapshot(connection: sqlite3.Connection) -> tuple[list, list]:
    return (
        connection.execute("SELECT * FROM audit_log ORDER BY id").fetchall(),
        connection.execute("SELECT * FROM ticket_event ORDER BY id").fetchall(),
    )


@pytest.mark.parametrize("statement", AUDIT_REWRITES + EVENT_REWRITES)
def test_no_row_of_the_evidence_can_be_rewritten(settings, head, statement):
    number = issue(settings).ticket_no
    desk.dispatch(settings, head, number, "police")
    connection = sqlite3.connect(settings.database_path, isolation_level=None)
    before = snapshot(connection)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute(statement)
    assert snapshot(connection) == before
    connection.close()


def test_new_rows_are_still_appended(settings, head):
    number = issue(settings).ticket_no
    desk.dispatch(settings, head, number, "police")
    desk.add_note(settings, head, number, "物业已上门")
    connection = sqlite3.connect(settings.database_path, isolation_level=None)
    kinds = [
        row[0]
        for row in connection.execute("SELECT kind FROM ticket_event ORDER BY id")
    ]
    assert kinds == ["received", "dispatched", "note"]
    connection.close()


# -- the hash chain over the audit log -----------------------------------------


def tamper(path, *statements: str) -> None:
    """Edit the file as someone with sqlite3 would: triggers dropped first."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("DROP TRIGGER audit_log_no_delete")
    for statement in statements:
        connection.execute(statement)
    connection.close()


def test_an_intact_audit_log_checks_out(settings, head):
    from kiosk.accounts import check_audit_chain

    desk.dispatch(settings, head, issue(settings).ticket_no, "police")
    checked = check_audit_chain()
    assert checked.broken_at is None and checked.rows >= 4


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'staff:li' WHERE action = 'dispatched'",
        "DELETE FROM audit_log WHERE action = 'login'",
        "UPDATE audit_log SET detail = '' WHERE action = 'dispatched'",
    ],
)
def test_doctor_finds_an_edited_audit_log(settings, head, capsys, tmp_path, statement):
    from kiosk import cli

    desk.dispatch(settings, head, issue(settings).ticket_no, "police")
    desk.add_note(settings, head, issue(settings).ticket_no, "备注")
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[database]\npath = "{settings.database_path}"\n[printer]\ntarget = "none"\n'
    )
    cli.main(["--config", str(config), "doctor"])
    assert "ok   audit log" in capsys.readouterr().out
    tamper(settings.database_path, statement)
    code = cli.main(["--config", str(config), "doctor"])
    out = capsys.readouterr().out
    assert code == 1 and "FAIL audit log" in out


# -- what the audit log records (issue 18, item 8) -----------------------------


def test_dispatch_rows_name_the_unit(settings, head):
    import json

    from db import AuditLog

    number = issue(settings).ticket_no
    desk.dispatch(settings, head, number, "police")
    row = AuditLog.select().where(AuditLog.action == "dispatched").get()
    assert json.loads(row.detail)["unit"] == "police"


def test_a_reprint_with_the_cli_is_audited(settings, station_db, tmp_path, capsys):
    from db import AuditLog
    from kiosk import cli

    number = issue(settings).ticket_no
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[database]\npath = "{settings.database_path}"\n'
        f'[printer]\ntarget = "file:{tmp_path / "paper"}"\n'
    )
    assert cli.main(["--config", str(config), "tickets", "print", number]) == 0
    row = AuditLog.select().order_by(AuditLog.id.desc()).first()
    assert (row.action, row.target) == ("reprint", number)
    assert row.actor.startswith("cli:")
