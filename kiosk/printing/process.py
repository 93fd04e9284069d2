"""Printing in a helper process, so the resident screen never carries it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.helper_process import HelperFailed, HelperProcess
from kiosk.printing.outcome import PrintOutcome

if TYPE_CHECKING:
    from kiosk.config import Settings


def _print_in_child(settings: Settings, ticket_no: str) -> PrintOutcome:
    """Runs in the print process: open the database, print, record the state."""
    # Pillow, the font and the printers load in the print process only.
    from db import database, open_database
    from kiosk.printing.printer import print_ticket

    open_database(settings.database_path)
    try:
        return print_ticket(settings, ticket_no)
    finally:
        database.close()


def _check_in_child(settings: Settings) -> str | None:
    """Runs in the print process: find the font (and keep it loaded)."""
    # Pillow loads in the print process only.
    from kiosk.printing.fonts import FontError, find_cjk_font

    try:
        find_cjk_font(settings.printer.font)
    except FontError as error:
        return str(error)
    return None


class PrintProcess:
    """The kiosk's printing, in a helper process (kiosk/helper_process.py).

    The process starts once the welcome screen is up (``check``) or on the
    first ticket, and is replaced if it dies.
    """

    START_SECONDS = 30.0  # allowance for starting the process the first time

    def __init__(self) -> None:
        self._helper = HelperProcess("print")

    @property
    def started(self) -> bool:
        return self._helper.started

    def check(self, settings: Settings) -> str | None:
        """Start the process and find the font: what is wrong, or None."""
        try:
            return self._helper.call(self.START_SECONDS, _check_in_child, settings)
        except HelperFailed as error:
            return str(error)

    def print(self, settings: Settings, ticket_no: str) -> PrintOutcome:
        timeout = settings.printer.timeout + self.START_SECONDS
        try:
            return self._helper.call(timeout, _print_in_child, settings, ticket_no)
        except HelperFailed as error:
            return PrintOutcome(False, str(error), False)

    def close(self) -> None:
        self._helper.close()
