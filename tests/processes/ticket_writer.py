"""A process that issues tickets until told to stop (tests/processes).

``python -m tests.processes.ticket_writer DB STOP_FILE NAME`` issues tickets
one by one until STOP_FILE exists, printing one JSON line per ticket as soon
as it is committed: its uuid and the monotonic clock (system-wide on Linux)
right after the commit. Any exception ends it with exit code 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from db import open_database
from kiosk.config import DEMO_STATION, Settings
from kiosk.tickets import TicketDraft, issue_ticket


def main(path: str, stop_file: str, name: str) -> None:
    settings = Settings(station=DEMO_STATION, database_path=Path(path))
    open_database(settings.database_path)
    stop = Path(stop_file)
    index = 0
    while not stop.exists():
        draft = TicketDraft(
            category="housing",
            item="lift",
            description=f"{name} 电梯故障 {index}",
            contact_name="张",
            contact_mobile="13812345678",
            consent=True,
        )
        issued = issue_ticket(settings, draft)
        committed = time.monotonic()
        print(json.dumps({"uuid": issued.uuid, "at": committed}), flush=True)
        index += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
