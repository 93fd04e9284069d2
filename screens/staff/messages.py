"""Messages that the staff terminal's workers post to its screens.

Plain Message subclasses with an ``__init__``, as the resident app's are
(screens/resident/messages.py): one convention for both apps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from kiosk.accounts import StaffSession
    from kiosk.search import BoardPage, LikelyOriginal, TicketDetail


class LoggedIn(Message):
    """The PIN was right: the session to work in."""

    def __init__(self, session: StaffSession) -> None:
        super().__init__()
        self.session = session


class LoginRefused(Message):
    """Wrong name or PIN, a locked or disabled account, a failed database."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class BoardLoaded(Message):
    """A page of the board and the change marker it was read at."""

    def __init__(
        self,
        page: BoardPage,
        marker: tuple[int, int],
        labels: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.page = page
        self.marker = marker
        # Status words that say what residents did on their phones
        # (kiosk.follow_up), by ticket number.
        self.labels = labels or {}


class CountsLoaded(Message):
    """Tickets per tab."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__()
        self.counts = counts


# Not bubbling: the app hands it to each screen, and it must not come back.
class DatabaseCommitted(Message, bubble=False):
    """Some process committed to the database (db.changes): the screens that
    show data look whether it is theirs."""


class DataChanged(Message):
    """Another process (or this one) wrote tickets or events."""

    def __init__(self, marker: tuple[int, int]) -> None:
        super().__init__()
        self.marker = marker


class DetailLoaded(Message):
    """A ticket with its timeline (None: no such ticket), its units, and the
    recent tickets it may repeat."""

    def __init__(
        self,
        detail: TicketDetail | None,
        units: list[str],
        originals: tuple[LikelyOriginal, ...] = (),
    ) -> None:
        super().__init__()
        self.detail = detail
        self.units = units
        self.originals = originals


class ActionDone(Message):
    """An action was written; ``notice`` says what happened."""

    def __init__(self, notice: str, reveal: str = "") -> None:
        super().__init__()
        self.notice = notice
        self.reveal = reveal


class ActionRefused(Message):
    """An action was refused or failed; nothing was written."""

    def __init__(self, reason: str, session_ended: bool = False) -> None:
        super().__init__()
        self.reason = reason
        self.session_ended = session_ended


class ActionBusy(Message):
    """The database was busy: nothing was written, the same action may work
    in a moment (a form comes back with what was typed)."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class LoadFailed(Message):
    """A read failed; the reason is for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class ServingLoaded(Message):
    """The queue number being served now ('' when none was called today)."""

    def __init__(self, queue_no: str) -> None:
        super().__init__()
        self.queue_no = queue_no


class AuditLoaded(Message):
    """Audit rows for the head's view, newest first."""

    def __init__(self, rows: list[dict[str, object]]) -> None:
        super().__init__()
        self.rows = rows
