"""Large pushes are prepared in an intake process (central/intake.py).

What crosses back from the process must be exactly what the request's own
thread would have made, refusals included; a dead intake process costs a
station nothing; and no intake process outlives its central.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from central.intake import HELPER_MIN_BODY, Intake, prepare
from central.schemas import DEFAULT_MAX_BATCH
from central.store.base import Rejected
from tests.central.conftest import CENTRAL, Server, event, new_ticket, start_server
from tests.helpers import process_ended, wait_until

AT = "2026-11-26T09:00:00+08:00"


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
        return [int(child) for child in listing.read().split()]


def intake_pids(central_pid: int) -> list[int]:
    """The central's intake processes (not multiprocessing's resource tracker)."""
    found = []
    for child in children(central_pid):
        with open(f"/proc/{child}/cmdline", "rb") as cmdline:
            if b"spawn_main" in cmdline.read():
                found.append(child)
    return found


def mixed_batch(tickets: int = 120) -> list[dict[str, Any]]:
    """New tickets with their later events, a repeated event, hostile text."""
    events: list[dict[str, Any]] = []
    for number in range(tickets):
        received, _ = new_ticket(description=f"第{number}件 [b]x[/b] \u202e\x1b[2J")
        dispatched = event(
            received["ticket_no"],
            received["ticket_uuid"],
            "dispatched",
            payload={"unit": "property"},
        )
        events += [received, dispatched]
        if number % 10 == 0:
            events.append(dict(dispatched))  # the same event twice
        if number % 7 == 0:
            for kind, payload in (
                ("resolved", {}),
                ("callback", {"rating": "satisfied"}),
            ):
                events.append(
                    event(
                        received["ticket_no"],
                        received["ticket_uuid"],
                        kind,
                        payload=payload,
                    )
                )
    return events


def body_of(events: list[dict[str, Any]]) -> bytes:
    body = json.dumps({"events": events}, ensure_ascii=False).encode()
    assert len(body) >= HELPER_MIN_BODY  # large enough for the intake process
    return body


@pytest.fixture(scope="module")
def intake() -> Iterator[Intake]:
    made = Intake(DEFAULT_MAX_BATCH, 1)
    made.start()
    assert made.ready.wait(60), "the intake process did not start"
    yield made
    made.close()


def test_a_large_push_prepared_in_a_process_is_what_the_thread_makes(
    intake: Intake,
) -> None:
    body = body_of(mixed_batch())
    before = intake.in_process
    prepared = intake.prepare(body, "PHY3", AT)
    assert intake.in_process == before + 1
    assert prepared == prepare(body, DEFAULT_MAX_BATCH, "PHY3", AT)
    assert len(prepared.in_batch_duplicates) == 12
    # A new ticket's row carries the status its events in the batch give it.
    statuses = {row[16] for row in prepared.ticket_rows}
    assert statuses == {"closed", "dispatched"}


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        (lambda events: events[150].update(at="yesterday"), 422, "events[150].at"),
        (
            lambda events: events[200]["payload"].update(created_at="soon"),
            422,
            "events[200].payload.created_at",
        ),
        (lambda events: events[80].update(kind="exploded"), 422, "events[80].kind"),
        (lambda events: events[90].update(station="DTJ7"), 403, None),
    ],
)
def test_a_refused_large_push_says_why_as_in_place(
    intake: Intake,
    change: Callable[[list[dict[str, Any]]], None],
    status: int,
    field: str | None,
) -> None:
    events = mixed_batch()
    events[200] = new_ticket()[0]  # a received event, whatever the batch holds
    change(events)
    body = body_of(events)
    before = intake.in_process
    with pytest.raises(Rejected) as refused:
        intake.prepare(body, "PHY3", AT)
    assert intake.in_process == before + 1
    in_place = prepare(body, DEFAULT_MAX_BATCH, "PHY3", AT)
    assert isinstance(in_place, Rejected)
    assert refused.value.status == in_place.status == status
    assert refused.value.detail == in_place.detail
    assert refused.value.errors == in_place.errors
    if field is not None:
        assert [error.field for error in refused.value.errors] == [field]


def test_a_killed_intake_process_is_replaced_and_no_push_fails(
    intake: Intake,
) -> None:
    first = intake.helper.call(10, os.getpid) if intake.helper else 0
    assert first != os.getpid()
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: process_ended(first), 10, "the intake process to die")

    body = body_of(mixed_batch(80))
    in_place = intake.in_place
    # The dead process is noticed on this push, which is prepared in place.
    assert intake.prepare(body, "PHY3", AT) == prepare(
        body, DEFAULT_MAX_BATCH, "PHY3", AT
    )
    assert intake.in_place == in_place + 1
    assert intake.ready.wait(60), "no new intake process"
    in_process = intake.in_process
    intake.prepare(body, "PHY3", AT)
    assert intake.in_process == in_process + 1
    assert intake.helper is not None
    assert intake.helper.call(10, os.getpid) not in (first, os.getpid())


def test_small_pushes_are_prepared_in_place(intake: Intake) -> None:
    received, _ = new_ticket()
    body = json.dumps({"events": [received]}).encode()
    in_place = intake.in_place
    intake.prepare(body, "PHY3", AT)
    assert intake.in_place == in_place + 1


def _serve(tmp_path: Path) -> tuple[Server, list[int]]:
    server = start_server(
        str(tmp_path / "central.db"), tmp_path, "--intake-processes", "1"
    )
    health = httpx.get(f"{server.base_url}/healthz").json()
    assert health["intake"] == "ready"
    pids = intake_pids(server.process.pid)
    assert len(pids) == 1
    return server, pids


def test_intake_processes_stop_with_the_central(tmp_path: Path) -> None:
    server, pids = _serve(tmp_path)
    server.stop()  # SIGTERM: a clean stop
    wait_until(lambda: all(map(process_ended, pids)), 10, "the intake process to end")
    assert "Traceback" not in server.log()
    assert "leaked" not in server.log()


def test_intake_processes_end_when_the_central_is_killed(tmp_path: Path) -> None:
    server, pids = _serve(tmp_path)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    wait_until(lambda: all(map(process_ended, pids)), 10, "the intake process to end")


def test_a_central_without_intake_processes_says_so(tmp_path: Path) -> None:
    server = start_server(
        str(tmp_path / "central.db"), tmp_path, "--intake-processes", "0"
    )
    try:
        assert httpx.get(f"{server.base_url}/healthz").json()["intake"] == "off"
        assert intake_pids(server.process.pid) == []
    finally:
        server.stop()


def test_the_intake_process_count_is_checked(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CENTRAL, "--db", str(tmp_path / "c.db"), "serve"]
        + ["--intake-processes", "-1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "--intake-processes -1: use 0-64" in done.stderr
    assert "Traceback" not in done.stderr
