"""Messages that workers and widgets post to screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kiosk.tickets import IssuedTicket


@dataclass
class TileChosen(Message):
    """A numbered tile was clicked or tapped."""

    key: str


@dataclass
class TicketIssued(Message):
    """The ticket was stored: show it."""

    ticket: IssuedTicket


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
