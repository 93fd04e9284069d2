"""The resident kiosk, the staff terminal and sync as three processes on one
database file: nothing fails with "database is locked", nothing is lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from db import Outbox, Ticket, TicketEvent
from kiosk.states import Event, derive_status

ROOT = Path(__file__).resolve().parents[2]
TICKETS = 40


def test_kiosk_staff_and_sync_at_once(settings, staff_accounts):
    path = str(settings.database_path)
    processes = {
        role: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.processes.concurrent_worker",
                role,
                path,
                str(TICKETS),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("kiosk", "staff", "sync")
    }
    results = {}
    for role, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert "locked" not in err and "busy" not in err, err
        assert process.returncode == 0, err
        results[role] = json.loads(out)
    issued = results["kiosk"]["issued"]
    assert len(issued) == TICKETS
    assert Ticket.select().count() == TICKETS
    staff_events = results["staff"]["events"]
    assert len(staff_events) == TICKETS * 2
    assert TicketEvent.select().where(
        TicketEvent.uuid.in_(staff_events)
    ).count() == len(staff_events)
    # Every event has its outbox entry; the status follows from the events.
    assert Outbox.select().count() == TicketEvent.select().count() == TICKETS * 3
    for ticket in Ticket.select():
        events = [
            Event(e.kind, json.loads(e.payload))
            for e in TicketEvent.select()
            .where(TicketEvent.ticket == ticket.uuid)
            .order_by(TicketEvent.id)
        ]
        assert ticket.status == derive_status(events) == "dispatched"
    assert results["sync"]["sent"] > 0
