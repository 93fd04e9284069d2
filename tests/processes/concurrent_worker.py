"""One of the three processes of test_concurrency (run as a module).

``python -m tests.processes.concurrent_worker kiosk|staff|sync DB COUNT`` prints
one JSON line with what it wrote; any exception ends it with exit code 1.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime
from pathlib import Path

from db import Outbox, open_database, write_transaction
from kiosk import accounts, desk
from kiosk.config import DEMO_STATION, Settings
from kiosk.search import BoardQuery, board_page
from kiosk.tickets import TicketDraft, issue_ticket


def main(role: str, path: str, count: int) -> dict[str, object]:
    settings = Settings(station=DEMO_STATION, database_path=Path(path))
    open_database(settings.database_path)
    if role == "kiosk":
        numbers = []
        for index in range(count):
            draft = TicketDraft(
                category="housing", item="lift", description=f"电梯故障 {index}"
            )
            numbers.append(issue_ticket(settings, draft).ticket_no)
        return {"issued": numbers}
    if role == "staff":
        session = accounts.login(settings, "wang", "246810")
        events: list[object] = []
        deadline = time.monotonic() + 60
        while len(events) < count * 2 and time.monotonic() < deadline:
            now = datetime.now(settings.zone)
            page = board_page(BoardQuery(tab="dispatch", page_size=5), now)
            for row in page.rows:
                result = desk.dispatch(settings, session, row.ticket_no, "property")
                events.append(result.event_uuid)
                note = desk.add_note(settings, session, row.ticket_no, "已派单")
                events.append(note.event_uuid)
        return {"events": events}
    sent = 0
    deadline = time.monotonic() + 60
    idle_rounds = 0
    while time.monotonic() < deadline and idle_rounds < 20:
        with write_transaction():
            pending = list(Outbox.select().where(Outbox.sent_at.is_null()).limit(50))
            stamp = datetime.now(settings.zone).isoformat()
            for entry in pending:
                Outbox.update(sent_at=stamp, attempts=Outbox.attempts + 1).where(
                    Outbox.id == entry.id
                ).execute()
        sent += len(pending)
        idle_rounds = 0 if pending else idle_rounds + 1
        time.sleep(0.05)  # a sync daemon's pause between batches
    return {"sent": sent}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], int(sys.argv[3]))))
