"""The resident kiosk: a locked-down, full-screen Textual app.

This is the only module of kiosk/ that imports Textual; screens live in
screens/ and talk to the domain through this app object.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

import assets
from db import KeyValue, Outbox, database
from kiosk.catalog import Catalog, load_catalog
from kiosk.config import Settings
from kiosk.i18n import other_language, translate
from kiosk.tickets import IssuedTicket, TicketDraft
from screens.idle import IdleScreen
from screens.messages import StationStatus
from screens.widgets.chrome import KioskHeader

log = logging.getLogger(__name__)

# Keys that would leave the flow in a stock Textual app (quit, suspend, the
# command palette, screenshots, the help panel): bound first and inert here.
LOCKED_KEYS = (
    "ctrl+q,ctrl+c,ctrl+z,ctrl+p,ctrl+s,ctrl+backslash,ctrl+d,ctrl+w,"
    "ctrl+x,ctrl+t,ctrl+l,f1,ctrl+f1"
)
ONLINE_WITHIN_SECONDS = 300
WEEKDAYS = {
    "zh-CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


class KioskApp(App[None], inherit_bindings=False):
    """The resident flow, and nothing else."""

    CSS_PATH = str(Path(assets.__file__).parent / "kiosk.tcss")
    ENABLE_COMMAND_PALETTE = False
    ESCAPE_TO_MINIMIZE = False
    BINDINGS = [
        Binding(LOCKED_KEYS, "locked", "Locked", id="locked", show=False, priority=True)
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.catalog = catalog or load_catalog()
        self.clock = clock
        self._now = now
        self.language = settings.kiosk.language
        self.large_text = settings.kiosk.large_text
        self.draft = TicketDraft(language=self.language)
        self.last_input = clock()
        self.screen_since = clock()
        self.online = False
        self.pending_events = 0

    # -- time, text and frame ------------------------------------------------

    def now(self) -> datetime:
        return self._now() if self._now else datetime.now(self.settings.zone)

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)

    def station_label(self) -> str:
        station = self.settings.station
        return station.name_en if self.language == "en" else station.name

    def refresh_frame(self, screen: Screen[Any] | None = None) -> None:
        """Clock and online dot in the header of the given (or current) screen."""
        screen = screen or self.screen
        for header in screen.query(KioskHeader):
            moment = self.now()
            header.show_time(moment, WEEKDAYS[self.language][moment.weekday()])
            label = self.t("status.online" if self.online else "status.offline")
            header.show_status(self.online, label)

    def on_mount(self) -> None:
        from screens.welcome import WelcomeScreen

        self.set_class(self.large_text, "-large")
        self.push_screen(WelcomeScreen())
        self.set_interval(1.0, self.tick, name="tick")
        self.set_interval(10.0, self.read_status, name="status")
        self.read_status()

    # -- input, idle reset and lockdown --------------------------------------

    async def on_event(self, event: object) -> None:
        from textual import events

        if isinstance(event, events.Key | events.MouseDown):
            self.last_input = self.clock()
        await super().on_event(event)  # type: ignore[arg-type]

    def action_locked(self) -> None:
        """Quit, suspend, palette and screenshot keys do nothing here."""

    def tick(self) -> None:
        now = self.clock()
        screen = self.screen
        idle_for = now - self.last_input
        timeout = self.settings.kiosk.idle_timeout
        if isinstance(screen, IdleScreen):
            remaining = self.settings.kiosk.idle_countdown - (now - self.screen_since)
            screen.show_remaining(remaining)
            if remaining <= 0:
                screen.dismiss(False)
            return
        from screens.ticket import TicketScreen
        from screens.welcome import WelcomeScreen

        if isinstance(screen, TicketScreen):
            if now - self.screen_since >= self.settings.kiosk.ticket_screen_seconds:
                self.reset_flow()
            elif idle_for < timeout:
                self.refresh_frame()
            return
        if isinstance(screen, WelcomeScreen):
            if idle_for >= timeout and self._changed_from_defaults():
                self.reset_flow()
            self.refresh_frame()
            return
        if idle_for >= timeout:
            self.screen_since = now
            self.push_screen(
                IdleScreen(self.settings.kiosk.idle_countdown), self._idle_answer
            )
        else:
            self.refresh_frame()

    def _changed_from_defaults(self) -> bool:
        return (
            self.language != self.settings.kiosk.language
            or self.large_text != self.settings.kiosk.large_text
        )

    def _idle_answer(self, more_time: bool | None) -> None:
        if more_time:
            self.last_input = self.clock()
        else:
            log.info("idle: flow reset")
            self.reset_flow()

    # -- the flow ------------------------------------------------------------

    def start_request(self) -> None:
        from screens.category import CategoryScreen

        self.draft = TicketDraft(language=self.language)
        self.push_screen(CategoryScreen())

    def show_ticket(self, ticket: IssuedTicket) -> None:
        from screens.ticket import TicketScreen

        self._pop_to_welcome()
        self.draft = TicketDraft(language=self.language)
        self.screen_since = self.clock()
        self.push_screen(TicketScreen(ticket))

    def reset_flow(self) -> None:
        """Back to the welcome screen with nothing of the last resident kept."""
        self.draft = TicketDraft(language=self.settings.kiosk.language)
        self._pop_to_welcome()
        changed = self._changed_from_defaults()
        self.language = self.settings.kiosk.language
        self.large_text = self.settings.kiosk.large_text
        self.set_class(self.large_text, "-large")
        self.last_input = self.clock()
        welcome = self.screen_stack[-1]
        if changed and hasattr(welcome, "relabel"):
            welcome.relabel()

    def _pop_to_welcome(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_toggle_language(self) -> None:
        self.language = other_language(self.language)
        self.draft.language = self.language
        screen = self.screen
        if hasattr(screen, "relabel"):
            screen.relabel()

    def action_toggle_large_text(self) -> None:
        self.large_text = not self.large_text
        self.set_class(self.large_text, "-large")

    # -- station status (from the database, never the network) --------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="status")
    def read_status(self) -> None:
        try:
            with database.connection_context():
                pending = Outbox.select().where(Outbox.sent_at.is_null()).count()
                row = KeyValue.get_or_none(KeyValue.key == "last_sync_ok")
        except Exception as error:  # status is best effort; the flow goes on
            log.warning("status not read: %s", error)
            return
        online = False
        if row is not None and self.settings.central.url:
            try:
                last = datetime.fromisoformat(row.value)
                online = (self.now() - last).total_seconds() < ONLINE_WITHIN_SECONDS
            except ValueError:
                online = False
        self.post_message(StationStatus(online=online, pending_events=pending))

    @on(StationStatus)
    def station_status(self, message: StationStatus) -> None:
        changed = message.online != self.online
        self.online = message.online
        self.pending_events = message.pending_events
        if changed:
            self.refresh_frame()
