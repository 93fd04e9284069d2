"""Messages that workers and widgets post to screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kiosk.qr import QRRows
from kiosk.staff import Called
from kiosk.tickets import IssuedTicket
from kiosk.tracking import Tracked


@dataclass
class TileChosen(Message):
    """A numbered tile was clicked or tapped."""

    key: str


@dataclass
class TicketIssued(Message):
    """The ticket was stored: show it."""

    ticket: IssuedTicket
    qr_rows: QRRows


@dataclass
class TicketFailed(Message):
    """The ticket could not be stored; nothing was issued."""

    reason: str
    field_name: str = ""


@dataclass
class StationStatus(Message):
    """Fresh station status read from the database."""

    online: bool
    pending_events: int


@dataclass
class PrintFinished(Message):
    """The printer took the ticket, or could not."""

    ticket_no: str
    ok: bool
    detail: str


@dataclass
class TrackFound(Message):
    """The answer to a tracking look-up; None when nothing matched."""

    ticket: Tracked | None


@dataclass
class SyncFinished(Message):
    """A background sync pass ended; the next one is due in ``retry_in`` s."""

    retry_in: float


@dataclass
class QueueCalls(Message):
    """Today's latest queue calls at the desk, newest first."""

    calls: list[Called]
