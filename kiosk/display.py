"""What the waiting room's TV shows (``kiosk display``): the number called
now, the ones called before it, and how many are still waiting.

Read-only, from the desk's queue calls (kiosk.queue_calls) and today's
tickets; no Textual here (screens/display/ draws it).
"""

from __future__ import annotations

from dataclasses import dataclass

from db import QueueCall, Ticket
from kiosk.queue_calls import Called, recent_calls
from kiosk.states import WITHDRAWN

RECENT_SHOWN = 5  # the number called now and the four before it


@dataclass(frozen=True)
class QueueBoard:
    """The TV's picture of the queue on one day."""

    day: str
    calls: tuple[Called, ...]  # newest first: calls[0] is being served now
    waiting: int  # today's tickets not called yet (withdrawn ones left out)

    @property
    def now_serving(self) -> Called | None:
        return self.calls[0] if self.calls else None

    @property
    def called_before(self) -> tuple[Called, ...]:
        return self.calls[1:]


def queue_board(day: str, shown: int = RECENT_SHOWN) -> QueueBoard:
    """Today's queue as the desk's "call next" (kiosk.desk) sees it."""
    called = QueueCall.select(QueueCall.ticket).where(QueueCall.day == day)
    waiting = (
        Ticket.select()
        .where(
            (Ticket.day == day)
            & (Ticket.status != WITHDRAWN)
            & ~Ticket.uuid.in_(called)
        )
        .count()
    )
    return QueueBoard(day, tuple(recent_calls(day, shown)), waiting)
