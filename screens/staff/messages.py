"""Messages that the staff terminal's workers post to its screens."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kiosk.accounts import StaffSession
from kiosk.search import BoardPage, TicketDetail


@dataclass
class LoggedIn(Message):
    session: StaffSession


@dataclass
class LoginRefused(Message):
    reason: str


@dataclass
class BoardLoaded(Message):
    page: BoardPage
    marker: tuple[int, int]


@dataclass
class CountsLoaded(Message):
    counts: dict[str, int]


@dataclass
class DataChanged(Message):
    """Another process (or this one) wrote tickets or events."""

    marker: tuple[int, int]


@dataclass
class DetailLoaded(Message):
    detail: TicketDetail | None
    units: list[str]


@dataclass
class ActionDone(Message):
    """An action was written; ``notice`` says what happened."""

    notice: str
    reveal: str = ""


@dataclass
class ActionRefused(Message):
    """An action was refused or failed; nothing was written."""

    reason: str
    session_ended: bool = False


@dataclass
class LoadFailed(Message):
    reason: str


@dataclass
class ServingLoaded(Message):
    """The queue number being served now ('' when none was called today)."""

    queue_no: str
