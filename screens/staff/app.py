"""The front-desk staff terminal: login, the board, ticket detail and actions."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual import events, on
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from db import database
from db.changes import ChangeWatcher
from kiosk.accounts import StaffSession, record_lock
from kiosk.catalog import Catalog, load_catalog
from kiosk.clock import check_clock
from kiosk.config import Settings
from kiosk.desk import recent_calls
from screens.staff.board import BoardScreen
from screens.staff.commands import StaffCommands
from screens.staff.login import LoginScreen, UnlockScreen
from screens.staff.messages import DatabaseCommitted, LoadFailed, ServingLoaded
from screens.staff.reports import ReportsScreen
from screens.staff.widgets import NARROW_WIDTH, StaffHeader
from screens.workers import database_worker

log = logging.getLogger(__name__)


# How often the staff terminal checks the box's clock (the newest ticket,
# the release date, the skew the last sync measured).
CLOCK_CHECK_SECONDS = 30.0


class ClockChecked(Message):
    """The box's clock, checked: ``problem`` is None when it can be trusted."""

    def __init__(self, problem: str | None, warning: str) -> None:
        super().__init__()
        self.problem = problem
        self.warning = warning


class StaffApp(App[None]):
    """``kiosk staff``: one person logged in at a time, locked when idle."""

    TITLE = "前台工作台"
    CSS_PATH = "staff.tcss"
    # A narrow terminal (80x24 over SSH) gets the class -narrow on its screens.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]
    COMMANDS = App.COMMANDS | {StaffCommands}
    BINDINGS = [
        # A priority binding: it locks from every screen, form and the palette.
        Binding("ctrl+l", "lock", "锁屏", id="lock", priority=True),
        Binding("ctrl+q", "quit", "退出", id="quit", show=False),
        Binding("B", "reports", "报表", id="reports", tooltip="站长查看本月报表"),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        catalog: Catalog | None = None,
        poll_interval: float = 1.0,
        commit_check_interval: float = 0.1,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.catalog = catalog or load_catalog()
        self.clock = clock
        self._now = now
        # The screens poll for changes every poll_interval; commits are
        # noticed much sooner, every commit_check_interval (watch_database).
        self.poll_interval = poll_interval
        self.commit_check_interval = commit_check_interval
        self.commit_watcher: ChangeWatcher | None = None
        self.session: StaffSession | None = None
        self.locked = True
        self.last_input = clock()
        self.serving = ""
        self.clock_warning = ""
        self.clock_problem: str | None = None

    def now(self) -> datetime:
        return self._now() if self._now else datetime.now(self.settings.zone)

    @property
    def actor_label(self) -> str:
        if self.session is None:
            return ""
        role = "站长" if self.session.is_head else "工作人员"
        return f"{self.session.name}（{role}）"

    def on_mount(self) -> None:
        self.push_screen(LoginScreen(), self.logged_in)
        self.set_interval(1.0, self.tick, name="tick")
        self.set_interval(CLOCK_CHECK_SECONDS, self.check_clock_now, name="clock")
        self.watch_database()

    def check_clock_now(self) -> None:
        if not self.locked:
            self.read_clock()

    def on_unmount(self) -> None:
        if self.commit_watcher is not None:
            self.commit_watcher.close()

    # -- noticing commits by any process ---------------------------------------

    def watch_database(self) -> None:
        """Look for commits several times a second and tell the screens, which
        then read what changed (in their workers)."""
        try:
            self.commit_watcher = ChangeWatcher(self.settings.database_path)
        except sqlite3.Error as error:  # the screens' polls still find changes
            log.warning("staff terminal: not watching the database: %s", error)
            return
        self.set_interval(
            self.commit_check_interval, self.look_for_commits, name="commits"
        )

    def look_for_commits(self) -> None:
        # On the UI thread: the pragma reads no table and never waits (a
        # busy database answers at once, and the next look tries again).
        watcher = self.commit_watcher
        try:
            committed = watcher is not None and watcher.changed()
        except sqlite3.Error:
            return
        if committed:
            self.post_message(DatabaseCommitted())

    @on(DatabaseCommitted)
    def database_committed(self) -> None:
        for screen in self.screen_stack:
            screen.post_message(DatabaseCommitted())

    def logged_in(self, session: StaffSession | None) -> None:
        if session is None:
            return
        self.session = session
        self.locked = False
        self.last_input = self.clock()
        if not any(isinstance(screen, BoardScreen) for screen in self.screen_stack):
            self.push_screen(BoardScreen())
        self.refresh_header()
        self.read_calls()
        self.read_clock()

    # -- idle lock --------------------------------------------------------------

    async def on_event(self, event: Any) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.last_input = self.clock()
        await super().on_event(event)

    def tick(self) -> None:
        idle_limit = self.settings.staff.idle_lock_minutes * 60
        if not self.locked and self.clock() - self.last_input >= idle_limit:
            minutes = f"{self.settings.staff.idle_lock_minutes:g}"
            self.lock(
                f"闲置超过 {minutes} 分钟，已自动锁屏。请重新输入 PIN。", "idle_lock"
            )
            return
        self.refresh_header()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lock":
            return not self.locked
        if action == "reports":  # the head's only
            head = bool(self.session and self.session.is_head)
            return (
                not self.locked and head and not isinstance(self.screen, ReportsScreen)
            )
        return True

    def action_reports(self) -> None:
        """The month's numbers (the station head's)."""
        if self.check_action("reports", ()):
            self.push_screen(ReportsScreen())

    def action_lock(self) -> None:
        """Lock the terminal now (the next person logs in)."""
        if not self.locked:
            self.lock("已锁屏。请输入 PIN 继续。", "lock")

    def close_personal_views(self) -> None:
        """Close every screen and dialog above the app's own: ticket views,
        forms, a revealed number, the palette. The next person starts from a
        clean board."""
        while len(self.screen_stack) > 1:
            self.pop_screen()

    def lock(self, notice: str, reason: str) -> None:
        session = self.session
        self.locked = True
        self.session = None
        if session is not None:
            self.record(session, reason)
        self.close_personal_views()
        if session is None:
            self.push_screen(LoginScreen(notice=notice), self.logged_in)
        else:
            screen = UnlockScreen(name=session.name, notice=notice)
            self.push_screen(screen, self.logged_in)

    def session_ended(self, reason: str) -> None:
        """The account was disabled mid-session: back to the login screen."""
        self.session = None
        self.locked = True
        self.close_personal_views()
        self.push_screen(LoginScreen(notice=reason), self.logged_in)

    @database_worker(group="audit", description="record a lock", exclusive=False)
    def record(self, session: StaffSession, reason: str) -> None:
        record_lock(self.settings, session, reason, now=self.now())

    # -- header: who, now serving, clock ----------------------------------------

    def refresh_header(self) -> None:
        moment = self.now()
        for header in self.screen.query(StaffHeader):
            header.show(self.actor_label, self.serving, moment, self.clock_warning)

    @database_worker(
        group="calls",
        description="read the number being served",
        failed=LoadFailed,
        language="zh-CN",
    )
    def read_calls(self) -> None:
        calls = recent_calls(self.now().strftime("%Y-%m-%d"), 1)
        self.post_message(ServingLoaded(calls[0].queue_no if calls else ""))

    @database_worker(group="clock", description="check the box's clock")
    def read_clock(self) -> None:
        check = check_clock(self.settings, self.now())
        self.post_message(ClockChecked(check.problem(), check.header_warning()))

    @on(ClockChecked)
    def clock_checked(self, message: ClockChecked) -> None:
        """The header shows the warning while it lasts; a new problem is
        also said once in a notice."""
        self.clock_warning = message.warning
        self.refresh_header()
        if message.problem and message.problem != self.clock_problem:
            log.warning("staff terminal: %s", message.problem)
            self.notify(
                message.problem,
                title="时钟不准",
                severity="error",
                timeout=600,
                markup=False,
            )
        self.clock_problem = message.problem

    @on(ServingLoaded)
    def serving_loaded(self, message: ServingLoaded) -> None:
        self.serving = message.queue_no
        self.refresh_header()

    @on(LoadFailed)
    def load_failed(self, message: LoadFailed) -> None:
        log.warning("staff terminal: %s", message.reason)
        self.notify(message.reason, title="读取失败", severity="error", markup=False)

    async def action_quit(self) -> None:
        """Quit; the audit log records who logged out."""
        session, self.session = self.session, None
        if session is not None:
            # Written here, not in a worker: the app is about to end.
            with database.connection_context():
                record_lock(self.settings, session, "logout", now=self.now())
        self.exit()

    def action_help_quit(self) -> None:
        """Ctrl+C: say in Chinese how to quit (Textual's own words are English)."""
        self.notify("按 Ctrl+Q 退出工作台", title="要退出吗？", markup=False)
