"""Printing a stored ticket: the service the kiosk's print process and the
staff use. The ticket itself is never affected, only its print state."""

from __future__ import annotations

import logging

from db import Ticket, write_transaction
from kiosk.config import Settings
from kiosk.printing.backends import PrintError, default_target, send
from kiosk.printing.fonts import find_cjk_font
from kiosk.printing.outcome import PrintOutcome
from kiosk.printing.ticket_image import printable, render_ticket

log = logging.getLogger("kiosk.printing")


def print_ticket(
    settings: Settings,
    ticket_no: str,
    target: str | None = None,
    *,
    record: bool = True,
) -> PrintOutcome:
    """Print a stored ticket and record the outcome as its print state."""
    ticket = Ticket.get_or_none(Ticket.ticket_no == ticket_no)
    if ticket is None:
        return PrintOutcome(False, f"no ticket {ticket_no}")
    chosen = target or settings.printer.target or default_target(settings)
    if chosen == "none":
        return PrintOutcome(False, "no printer is configured")
    try:
        font = find_cjk_font(settings.printer.font)
        image = render_ticket(printable(settings, ticket), settings.printer.width, font)
        where = send(settings, chosen, image, ticket.ticket_no)
    except (PrintError, OSError) as error:
        outcome = PrintOutcome(False, str(error))
    except Exception as error:  # a bad font file or the like: never crash the kiosk
        log.exception("printing %s failed", ticket_no)
        outcome = PrintOutcome(False, f"printing failed: {error}")
    else:
        outcome = PrintOutcome(True, where)
    if record:
        with write_transaction():
            Ticket.update(print_state="printed" if outcome.ok else "failed").where(
                Ticket.id == ticket.id
            ).execute()
    if outcome.ok:
        log.info("printed %s to %s", ticket_no, outcome.detail)
    else:
        log.warning("ticket %s not printed: %s", ticket_no, outcome.detail)
    return outcome
