"""The resident kiosk's background sync, in a helper process.

The same engine as ``kiosk sync`` (kiosk.sync.engine.SyncEngine), run pass
by pass in a process of its own (kiosk/helper_process.py): requests, TLS and
the JSON of a week's backlog stay out of the resident screen's process, and a
pass that drains thousands of events never holds the screen's GIL.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kiosk.helper_process import HelperFailed, HelperProcess

if TYPE_CHECKING:
    from kiosk.config import Settings

log = logging.getLogger(__name__)

START_SECONDS = 30.0  # allowance for starting the process the first time
_engine: Any = None  # the helper's SyncEngine, kept from pass to pass


def _pass_in_child(settings: Settings, deadline_seconds: float) -> float | None:
    """Runs in the sync process: one pass; seconds until the next, if told."""
    global _engine
    # Imported in the child only: the resident process never loads the
    # engine (and requests with it).
    from db import open_database
    from kiosk.sync.engine import SyncEngine

    if _engine is None:
        open_database(settings.database_path)
        _engine = SyncEngine(settings)
    result = _engine.run_once(deadline_seconds=deadline_seconds)
    return float(result.retry_in) if result.retry_in else None


class SyncProcess:
    def __init__(self) -> None:
        self._helper = HelperProcess("sync")

    @property
    def started(self) -> bool:
        """Whether its process was ever asked for (and is still there)."""
        return self._helper.started

    def run_pass(self, settings: Settings, deadline_seconds: float) -> float:
        """One push-and-pull pass; the seconds until the next one is due.

        Network faults are the engine's business (it records them for the
        status dot and backs off); a helper that fails is replaced.
        """
        central = settings.central
        allowance = (
            deadline_seconds
            + central.connect_timeout
            + central.read_timeout
            + START_SECONDS
        )
        try:
            retry_in = self._helper.call(
                allowance, _pass_in_child, settings, deadline_seconds
            )
        except HelperFailed as error:
            log.warning("sync pass failed: %s", error)
            return central.sync_interval
        return retry_in or central.sync_interval

    def close(self) -> None:
        self._helper.close()
