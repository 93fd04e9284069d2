"""The resident kiosk syncs in the background and shows it in the header."""

from __future__ import annotations

import dataclasses
import uuid

from db import Ticket
from kiosk.sync.engine import SyncEngine
from screens.resident.app import KioskApp
from screens.resident.issued_ticket import IssuedTicketScreen
from tests.helpers import screen_text, wait_for, wait_screen


def _new_station(central, settings, **central_settings):
    """Settings for a station new to the central, syncing every 0.2 s."""
    code = "K" + uuid.uuid4().hex[:5].upper()
    key = central.add_station(code)
    return dataclasses.replace(
        settings,
        station=dataclasses.replace(settings.station, code=code),
        central=dataclasses.replace(
            settings.central,
            url=central.url,
            api_key=key,
            sync_interval=0.2,
            **central_settings,
        ),
        printer=dataclasses.replace(settings.printer, target="none"),
    )


async def test_a_new_ticket_reaches_the_central_and_the_dot_turns_online(
    central, settings, station_db, clock
):
    chosen = _new_station(central, settings)
    app = KioskApp(chosen, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "6", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        ticket = Ticket.get()
        await wait_for(
            pilot,
            lambda: ticket.uuid in central.station_tickets(chosen.station.code),
            timeout=30,
        )
        # The central stores the ticket before the station hears its answer
        # and clears the outbox row, and the header may already say online
        # from the pass made at start-up: wait until both hold together.
        app.read_status()
        await wait_for(
            pilot,
            lambda: "在线" in screen_text(app) and app.pending_events == 0,
            timeout=30,
        )


async def test_with_the_daemon_syncing_the_kiosk_starts_no_sync_of_its_own(
    central, settings, station_db, clock
):
    """``background_sync = false``: the kiosk-sync daemon does the syncing
    (here its engine, run once); the kiosk's header still follows it."""
    chosen = _new_station(central, settings, background_sync=False)
    code = chosen.station.code
    app = KioskApp(chosen, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("1", "6", "1", "enter", "enter")
        await wait_screen(pilot, IssuedTicketScreen)
        ticket = Ticket.get()
        app.read_status()
        await wait_for(pilot, lambda: app.pending_events > 0, timeout=10)
        assert "离线" in screen_text(app)

        engine = SyncEngine(chosen)  # what the daemon runs
        try:
            result = engine.run_once(respect_schedule=False)
        finally:
            engine.close()
        assert result.ok and result.pending == 0
        assert ticket.uuid in central.station_tickets(code)
        app.read_status()
        await wait_for(pilot, lambda: "在线" in screen_text(app), timeout=30)
        assert app.pending_events == 0
        assert not app.sync_process.started  # no process of its own
