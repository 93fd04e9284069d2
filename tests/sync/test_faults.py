"""Sync against a real kiosk-central (SQLite and PostgreSQL), with faults.

After every fault the central must hold each ticket and event of the station
exactly once, and the station's outbox must drain to zero.
"""

from __future__ import annotations

import json
import random
import signal
import threading
import time

from db import database
from kiosk.demo import load_demo
from kiosk.sync.engine import PUSH_STREAMS, SyncEngine
from kiosk.sync.state import sync_status
from kiosk.tickets import TicketDraft, issue_ticket
from tests.sync.conftest import Central, FaultProxy, Station, refusing_port, wait_for


def _backlog(station: Station, tickets: int) -> int:
    load_demo(station.settings, tickets, pending=True, seed=tickets)
    return station.pending()


def test_once_drains_backlog_and_stats_tell(station: Station) -> None:
    pending = _backlog(station, 40)
    assert pending > 40  # tickets come with their histories
    done = station.kiosk("sync", "--once")
    assert done.returncode == 0, done.stderr
    assert f"pushed {pending} events" in done.stdout
    station.assert_exactly_once()
    stats = json.loads(station.kiosk("stats", "--json").stdout)
    assert stats["tickets"] == 40
    assert stats["pending_events"] == 0
    assert stats["last_sync_ok"]
    assert sync_status(station.settings).online

    # A new ticket later: only it goes, and a second run sends nothing.
    issue_ticket(station.settings, TicketDraft(category="housing", item="lift"))
    again = station.kiosk("sync", "--once")
    assert again.returncode == 0, again.stderr
    assert "pushed 1 events" in again.stdout
    assert "pushed 0 events" in station.kiosk("sync", "--once").stdout
    station.assert_exactly_once()


def test_central_down_exits_with_one_line(station: Station) -> None:
    _backlog(station, 5)
    before = station.pending()
    with refusing_port() as port:
        station.write_config(f"http://127.0.0.1:{port}")
        done = station.kiosk("sync", "--once")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "cannot reach the central" in done.stderr
    assert "Traceback" not in done.stderr
    assert station.pending() == before
    status = sync_status(station.settings)
    assert not status.online
    assert status.pending_events == before
    assert "cannot reach" in (status.last_sync_error or "")

    station.write_config(station.central.url)
    assert station.kiosk("sync", "--once").returncode == 0
    station.assert_exactly_once()
    assert sync_status(station.settings).online


def test_500_then_recovery(station: Station, proxy: FaultProxy) -> None:
    _backlog(station, 10)
    station.write_config(proxy.url)
    proxy.faults = ["500"]
    engine = SyncEngine(station.settings)
    first = engine.run_once()
    assert first.error and "HTTP 500" in first.error
    assert 0 < first.retry_in <= 0.3  # full jitter under the cap
    assert station.central.station_events(station.code) == []
    errors = station.local("SELECT DISTINCT last_error FROM outbox WHERE attempts > 0")
    assert errors == [("the central at " + proxy.url + " is unavailable (HTTP 500)",)]
    second = engine.run_once(respect_schedule=False)
    assert second.ok, second.error
    assert second.pending == 0
    station.assert_exactly_once()


def _arrival_order_is_outbox_order(station: Station) -> None:
    """Each ticket's events reached the central in the order they were made."""
    made = station.local(
        "SELECT e.ticket_uuid, e.uuid FROM outbox o "
        "JOIN ticket_event e ON e.uuid = o.event_uuid ORDER BY o.id"
    )
    arrived = station.central.query(
        "SELECT ticket_uuid, uuid FROM event WHERE station = ? ORDER BY id",
        (station.code,),
    )
    for ticket in {row[0] for row in arrived}:
        sent = [row[1] for row in arrived if row[0] == ticket]
        assert sent == [row[1] for row in made if row[0] == ticket][: len(sent)]


def test_push_streams_keep_each_tickets_order_and_a_failure_keeps_what_was_answered(
    station: Station, proxy: FaultProxy
) -> None:
    _backlog(station, 30)
    station.write_config(proxy.url)  # 20 events per batch
    assert station.pending() > 100
    proxy.faults = ["gate", "gate", "pass", "500"]
    engine = SyncEngine(station.settings)
    results = []
    worker = threading.Thread(target=lambda: results.append(engine.run_once()))
    worker.start()
    try:
        wait_for(lambda: len(proxy.seen) == 1, what="the first push")
        # Until a first batch got through, one request at a time; while it is
        # held, its attempt is counted and the next batches are read.
        wait_for(
            lambda: (
                station.local("SELECT COUNT(*) FROM outbox WHERE attempts > 0")
                == [(20,)]
            ),
            what="the first attempt to be counted",
        )
        assert len(proxy.seen) == 1
        proxy.release()
        # Then the streams run side by side: the second push is held while
        # the other stream's push is answered and its next one refused.
        wait_for(lambda: len(proxy.seen) == 4, what="the other stream's pushes")
        assert proxy.max_in_flight == PUSH_STREAMS
    finally:
        proxy.release()
        worker.join(60)
    first = results[0]
    assert first.error and "HTTP 500" in first.error
    rows = station.local(
        "SELECT sent_at IS NOT NULL, attempts, last_error IS NOT NULL FROM outbox"
    )
    # The three answered batches are marked sent; the refused one waits with
    # its error; batches read ahead but never sent were never counted.
    assert first.pushed == 60
    assert rows.count((1, 1, 0)) == 60
    assert rows.count((0, 1, 1)) == 20
    assert rows.count((0, 0, 0)) == len(rows) - 80
    assert len(station.central.station_events(station.code)) == 60
    _arrival_order_is_outbox_order(station)

    second = engine.run_once(respect_schedule=False)
    assert second.ok, second.error
    station.assert_exactly_once()
    _arrival_order_is_outbox_order(station)
    attempts = [row[0] for row in station.local("SELECT attempts FROM outbox")]
    assert attempts.count(2) == 20
    assert attempts.count(1) == len(attempts) - 20


def test_503_retry_after_is_honoured(station: Station, proxy: FaultProxy) -> None:
    _backlog(station, 10)
    station.write_config(proxy.url)
    proxy.faults = ["503:2"]
    engine = SyncEngine(station.settings)
    first = engine.run_once()
    assert first.retry_after == 2
    assert first.retry_in >= 2
    # Nobody (this engine, another process) goes to the network before then.
    requests_seen = len(proxy.seen)
    waiting = SyncEngine(station.settings).run_once()
    assert waiting.waiting and waiting.retry_in > 1
    assert len(proxy.seen) == requests_seen

    # The daemon honours it too: its next request comes 2 s after the 503.
    daemon = station.popen("sync")
    try:
        wait_for(lambda: station.pending() == 0, 30, "the daemon to drain")
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(10) == 0
    assert proxy.seen[1].at - proxy.seen[0].at >= 2.0
    station.assert_exactly_once()


def test_hanging_central_times_out(station: Station, proxy: FaultProxy) -> None:
    _backlog(station, 10)
    station.write_config(proxy.url)
    proxy.faults = ["hang"]  # the central stores the batch; the answer never comes
    started = time.monotonic()
    done = station.kiosk("sync", "--once")
    assert done.returncode == 1
    assert "did not answer within 1.5 s" in done.stderr
    assert time.monotonic() - started < 20
    # The retry resends the stored batch: duplicates, stored once.
    result = SyncEngine(station.settings).run_once(respect_schedule=False)
    assert result.ok, result.error
    assert result.duplicates == 20
    station.assert_exactly_once()


def test_connection_cut_mid_answer(station: Station, proxy: FaultProxy) -> None:
    _backlog(station, 10)
    station.write_config(proxy.url)
    proxy.faults = ["pass", "cut"]
    engine = SyncEngine(station.settings)
    first = engine.run_once()
    assert first.error and "cut off" in first.error
    # The cut batch was stored but not answered: not counted, not marked
    # (the other push stream's batch, answered meanwhile, is both).
    sent = station.local("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL")
    cut = station.local(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND last_error IS NOT NULL"
    )[0][0]
    assert first.pushed == sent[0][0] >= 20
    assert cut > 0
    at_central = station.central.station_events(station.code)
    assert len(at_central) == first.pushed + cut
    second = engine.run_once(respect_schedule=False)
    assert second.ok, second.error
    assert second.duplicates == cut
    station.assert_exactly_once()


def test_too_big_halves_and_bad_event_is_parked(
    station: Station, proxy: FaultProxy
) -> None:
    _backlog(station, 10)
    station.write_config(proxy.url, batch_size=40, backoff_cap=120)
    proxy.sticky = "413>6000"
    # One event the central must refuse (422): it is parked, the rest flow.
    bad_uuid = station.local(
        "SELECT event_uuid FROM outbox ORDER BY id LIMIT 1 OFFSET 7"
    )[0][0]
    # A corrupted event: the history refuses rewrites, so the test lifts
    # that guard first, as only damage to the file could.
    station.local("DROP TRIGGER ticket_event_no_update")
    station.local("UPDATE ticket_event SET kind = 'bogus' WHERE uuid = ?", (bad_uuid,))
    done = station.kiosk("sync", "--once")
    assert done.returncode == 1
    assert "1 events were refused by the central" in done.stderr
    assert "422" in done.stderr
    assert any(seen.fault.startswith("413") for seen in proxy.seen)
    assert station.pending() == 1
    at_central = set(station.central.station_events(station.code))
    assert bad_uuid not in at_central
    assert len(at_central) == len(station.station_events()) - 1
    # Parked until the backoff cap: the daemon-style run leaves it alone.
    station.local("UPDATE ticket_event SET kind = 'note' WHERE uuid = ?", (bad_uuid,))
    assert SyncEngine(station.settings).run_once().pushed == 0
    assert station.kiosk("sync", "--once").returncode == 0
    station.assert_exactly_once()


def test_wrong_key_is_refused_and_never_logged(station: Station) -> None:
    _backlog(station, 3)
    station.write_config(station.central.url, api_key="wrong-" + station.api_key)
    done = station.kiosk("sync", "--once")
    assert done.returncode == 1
    assert "refused this station's API key (401)" in done.stderr
    station.write_config(station.central.url)
    assert station.kiosk("sync", "--once").returncode == 0
    log_text = (station.settings.database_path.parent / "kiosk.log").read_text()
    assert "sync failed" in log_text
    everything = log_text + done.stdout + done.stderr
    everything += repr(station.local("SELECT * FROM key_value"))
    everything += repr(station.local("SELECT last_error FROM outbox"))
    assert station.api_key not in everything


def test_pull_merges_central_events(station: Station, central: Central) -> None:
    draft = TicketDraft(category="housing", item="lift")
    issued = issue_ticket(station.settings, draft)
    assert station.kiosk("sync", "--once").returncode == 0
    update = central.cli(
        "ticket", "update", issued.ticket_no, "--kind", "dispatched",
        "--unit", "property", "--text", "已通知物业",
    )  # fmt: skip
    assert update.returncode == 0, update.stderr
    central.cli("ticket", "update", issued.ticket_no, "--kind", "note", "--text", "x")
    done = station.kiosk("sync", "--once")
    assert done.returncode == 0, done.stderr
    assert "pulled 2" in done.stdout
    rows = station.local(
        "SELECT kind, origin FROM ticket_event WHERE ticket_uuid = ? ORDER BY id",
        (issued.uuid,),
    )
    assert rows == [
        ("received", "station"),
        ("dispatched", "central"),
        ("note", "central"),
    ]
    status = station.local("SELECT status FROM ticket WHERE uuid = ?", (issued.uuid,))
    assert status == [("dispatched",)]
    assert station.pending() == 0  # pulled events never go into the outbox
    assert station.local("SELECT value FROM key_value WHERE key = 'pull_cursor'")
    again = station.kiosk("sync", "--once")
    assert "pulled 0" in again.stdout
    station.assert_exactly_once()


def test_several_pushers_at_once(station: Station) -> None:
    _backlog(station, 60)
    processes = [station.popen("sync", "--once") for _ in range(3)]
    in_process = SyncEngine(station.settings).run_once(wait_for_lock=True)
    codes = [process.wait(60) for process in processes]
    assert codes == [0, 0, 0], [p.stderr.read() for p in processes if p.stderr]
    assert in_process.ok, in_process.error
    station.assert_exactly_once()


def test_sigkill_at_random_points(station: Station, proxy: FaultProxy) -> None:
    _backlog(station, 120)
    station.write_config(proxy.url, batch_size=8)
    proxy.sticky = "gate"
    rng = random.Random(20261125)
    released = 0
    kills = 0
    for _ in range(22):
        process = station.popen("sync", "--once")
        base = len(proxy.seen)
        let_through = rng.randint(0, 3)
        proxy.release(let_through)
        released += let_through
        finished = False
        # Wait until the process holds a request at the gate (or is done).
        while len(proxy.seen) <= base + let_through:
            if process.poll() is not None:
                finished = True
                break
            time.sleep(0.01)
        if not finished:
            if rng.random() < 0.5:
                # Let it go: the kill lands while the central stores the batch
                # or while the station marks it sent.
                proxy.release()
                released += 1
                time.sleep(rng.uniform(0, 0.05))
            process.kill()
            kills += 1
        process.wait(30)
        # Let stale requests of the dead process reach the central (late
        # retransmissions, as on a real network).
        held = len(proxy.seen) - released
        proxy.release(max(held, 0))
        released += max(held, 0)
        if station.pending() == 0:
            break
    assert kills >= 20
    proxy.sticky = None
    wait_for(lambda: len(proxy.seen) <= released, 10, "stale requests to pass")
    done = station.kiosk("sync", "--once")
    assert done.returncode == 0, done.stderr
    station.assert_exactly_once()
    assert station.local("PRAGMA integrity_check") == [("ok",)]


def test_engine_in_a_thread_opens_its_own_connection(station: Station) -> None:
    """How the kiosk app calls it: from a worker thread, with a deadline."""
    import threading

    _backlog(station, 5)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(SyncEngine(station.settings).run_once(10))
    )
    worker.start()
    worker.join(30)
    assert results and results[0].ok and results[0].pending == 0
    assert not database.is_closed()  # the main thread's connection is untouched
    station.assert_exactly_once()
