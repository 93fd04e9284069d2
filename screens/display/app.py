"""``kiosk display``: the waiting room's TV.

The number called now in very large type, the ones called before it and how
many are still waiting, in Chinese and English. It reads the queue every
quarter second, so a "call next" at the desk shows within a second, and
says each new call aloud (kiosk/voice.py) when a voice is given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.containers import Center
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Static

from db import database
from kiosk.config import Settings
from kiosk.display import QueueBoard, queue_board
from kiosk.voice import call_words
from screens.display.widgets import HugeNumber

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25  # a desk's call shows on the TV well within a second
TEXT_ROWS = 11  # the rows of text around the number (display.tcss)


class BoardRead(Message):
    def __init__(self, board: QueueBoard) -> None:
        super().__init__()
        self.board = board


class BoardFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class DisplayApp(App[None]):
    """The TV: follows the desk's calls; no input but quitting."""

    CSS_PATH = "display.tcss"
    TITLE = "叫号屏"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        settings: Settings,
        *,
        announce: Callable[[str], Any] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.announce = announce
        self.now = now or (lambda: datetime.now(settings.zone))
        self.board: QueueBoard | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content(self.settings.station.name), id="station")
        yield Static(Content("请到前台  Now serving"), id="now-label")
        with Center(id="now-number"):
            yield HugeNumber("", scale=6, id="number")
        yield Static(Content(""), id="now-words")
        yield Static(Content(""), id="before")
        yield Static(Content(""), id="waiting")
        yield Static(Content(""), id="status")

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self.read_board, name="board")
        self.read_board()

    def on_resize(self, event: events.Resize) -> None:
        # Rows for the lines around the number: header, label, words,
        # called before, waiting, status and their margins.
        for number in self.screen.query("#number").results(HugeNumber):
            number.fit(event.size.width - 2, event.size.height - TEXT_ROWS)

    @work(thread=True, exclusive=True, exit_on_error=False, group="board")
    def read_board(self) -> None:
        day = self.now().strftime("%Y-%m-%d")
        try:
            with database.connection_context():
                board = queue_board(day)
        except Exception as error:  # the TV keeps its last picture
            log.warning("queue not read: %s", error)
            self.post_message(BoardFailed("数据库暂时读不到  Queue not readable"))
            return
        self.post_message(BoardRead(board))

    @on(BoardFailed)
    def board_failed(self, message: BoardFailed) -> None:
        self.show_status(message.reason)

    @on(BoardRead)
    def board_read(self, message: BoardRead) -> None:
        board, previous = message.board, self.board
        self.show_status("")
        if board == previous:
            return
        try:
            self.show(board)
        except NoMatches:  # the app is closing: its widgets are gone
            return
        self.board = board
        # A call made while the TV was watching is said aloud; the one being
        # served when the TV starts is only shown.
        now = board.now_serving
        if previous is not None and now is not None and now != previous.now_serving:
            self.say(call_words(now.queue_no))

    def show_status(self, text: str) -> None:
        for status in self.screen.query("#status").results(Static):
            status.update(Content(text))

    def show(self, board: QueueBoard) -> None:
        screen = self.screen
        now = board.now_serving
        number = screen.query_one("#number", HugeNumber)
        words = screen.query_one("#now-words", Static)
        if now is None:
            number.update("")
            words.update(Content("暂未叫号  No number called yet"))
        else:
            number.update(now.queue_no)
            number.fit(screen.size.width - 2, screen.size.height - TEXT_ROWS)
            words.update(
                Content(f"请 {now.queue_no} 号到前台  Number {now.queue_no}, please")
            )
        before = "  ".join(call.queue_no for call in board.called_before)
        screen.query_one("#before", Static).update(
            Content(f"刚才叫过  Called before:  {before or '—'}")
        )
        screen.query_one("#waiting", Static).update(
            Content(f"等候 {board.waiting} 位  Waiting: {board.waiting}")
        )

    @work(thread=True, exit_on_error=False, group="voice")
    def say(self, words: str) -> None:
        """Speak in a worker thread: the screen never waits for the voice."""
        if self.announce is not None:
            self.announce(words)
