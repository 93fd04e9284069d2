"""``kiosk restore`` against a real central: after a restore every event
reaches the central exactly once, none is lost, no ticket number repeats."""

from __future__ import annotations

import gc
import json
from pathlib import Path

from db import database, open_database
from kiosk.tickets import IssuedTicket, TicketDraft, issue_ticket
from tests.sync.conftest import Central, Station


def _issue(station: Station, count: int) -> list[IssuedTicket]:
    return [
        issue_ticket(
            station.settings,
            TicketDraft(
                category="housing",
                item="lift",
                contact_mobile="13812345678",
                contact_name="张",
                consent=True,
            ),
        )
        for _ in range(count)
    ]


def _sync(station: Station) -> None:
    done = station.kiosk("sync", "--once")
    assert done.returncode == 0, done.stderr


def _let_go(station: Station) -> None:
    """This process closes the station database (Station.local's connections
    are freed by the cycle collector), as a stopped kiosk would."""
    database.close()
    gc.collect()


def _backup(station: Station, folder: Path) -> Path:
    done = station.kiosk("backup", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    return Path(json.loads(done.stdout)["path"])


def test_restore_then_sync_sends_every_event_once(
    station: Station, central: Central, tmp_path: Path
) -> None:
    _issue(station, 3)
    _sync(station)
    _issue(station, 2)  # still in the outbox when the backup is taken
    copy = _backup(station, tmp_path / "backups")
    after_backup = _issue(station, 1)[0]
    _sync(station)  # the central now has all six tickets
    _let_go(station)

    done = station.kiosk("restore", str(copy), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["events_to_send"] == 2 and report["tickets"] == 5
    assert Path(report["replaced"]).is_file()
    assert station.pending() == 2  # sent since the backup: they go again
    assert after_backup.uuid not in station.tickets()

    open_database(station.settings.database_path)
    newer = _issue(station, 1)[0]
    # The counters kept the number issued after the backup.
    assert newer.ticket_no != after_backup.ticket_no
    _sync(station)
    at_central = station.central.station_events(station.code)
    assert len(at_central) == len(set(at_central))  # nothing twice
    assert set(station.station_events()) <= set(at_central)  # nothing lost
    assert len(at_central) == len(station.station_events()) + 1  # + after_backup
    central_numbers = central.query(
        "SELECT ticket_no FROM ticket WHERE station = ?", (station.code,)
    )
    numbers = [row[0] for row in central_numbers]
    assert len(numbers) == len(set(numbers)) == 7
    assert station.pending() == 0


def test_restore_refuses_to_lose_unsent_events(
    station: Station, tmp_path: Path
) -> None:
    _issue(station, 1)
    copy = _backup(station, tmp_path / "backups")
    _issue(station, 2)  # never sent, not in the backup
    _let_go(station)
    refused = station.kiosk("restore", str(copy))
    assert refused.returncode == 1
    assert "2 events" in refused.stderr and "kiosk sync --once" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(station.tickets()) == 3  # untouched
    _sync(station)
    _let_go(station)
    done = station.kiosk("restore", str(copy))
    assert done.returncode == 0, done.stderr
    assert len(station.tickets()) == 1
    open_database(station.settings.database_path)


def test_an_imported_ledger_reaches_the_central_only_when_asked(
    station: Station, central: Central, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text(
        "日期,类别,内容,状态,评价\n"
        "2025-03-01,房屋设施报修,电梯停运,已办结,\n"
        "2025-03-02,环境卫生,楼道堆物,已回访,满意\n",
        encoding="utf-8",
    )
    _let_go(station)
    kept = station.kiosk("import", str(ledger))
    assert kept.returncode == 0, kept.stderr
    _sync(station)
    assert central.station_tickets(station.code) == []
    sent = tmp_path / "sent.csv"
    sent.write_text(
        "日期,类别,内容,状态,评价\n2025-03-03,消防安全,消防通道被占,已回访,满意\n",
        encoding="utf-8",
    )
    done = station.kiosk("import", str(sent), "--send")
    assert done.returncode == 0, done.stderr
    _sync(station)
    assert len(central.station_tickets(station.code)) == 1
    assert station.pending() == 0
    # Its four events (received, dispatched, resolved, call-back), once each.
    at_central = central.station_events(station.code)
    assert len(at_central) == len(set(at_central)) == 4
    open_database(station.settings.database_path)
