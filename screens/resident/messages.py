"""Messages that workers and widgets post to screens.

Plain classes rather than dataclasses: building a dataclass costs ~0.6 ms at
import, and these are imported on every kiosk start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from kiosk.queue_calls import Called
    from kiosk.tickets import IssuedTicket
    from kiosk.tracking import Tracked
    from screens.widgets.qrcode import QRPicture


class TicketIssued(Message):
    """The ticket was stored: show it."""

    def __init__(self, ticket: IssuedTicket, qr: QRPicture) -> None:
        super().__init__()
        self.ticket = ticket
        self.qr = qr


class TicketFailed(Message):
    """The ticket could not be stored; nothing was issued."""

    def __init__(self, reason: str, field_name: str = "") -> None:
        super().__init__()
        self.reason = reason
        self.field_name = field_name


class StationStatus(Message):
    """Fresh station status read from the database."""

    def __init__(self, online: bool, pending_events: int) -> None:
        super().__init__()
        self.online = online
        self.pending_events = pending_events


class PrintFinished(Message):
    """The printer took the ticket, or could not."""

    def __init__(self, ticket_no: str, ok: bool, detail: str) -> None:
        super().__init__()
        self.ticket_no = ticket_no
        self.ok = ok
        self.detail = detail


class TrackFound(Message):
    """The answer to a tracking look-up; None when nothing matched."""

    def __init__(self, ticket: Tracked | None) -> None:
        super().__init__()
        self.ticket = ticket


class SyncFinished(Message):
    """A background sync pass ended; the next one is due in ``retry_in`` s."""

    def __init__(self, retry_in: float) -> None:
        super().__init__()
        self.retry_in = retry_in


class QueueCalls(Message):
    """Today's latest queue calls at the desk, newest first."""

    def __init__(self, calls: list[Called]) -> None:
        super().__init__()
        self.calls = calls


class LookUpFailed(Message):
    """A tracking look-up could not be made (the database is busy)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
