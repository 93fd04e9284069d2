"""The resident kiosk: a locked-down, full-screen Textual app.

This is the only module of kiosk/ that imports Textual; screens live in
screens/ and talk to the domain through this app object.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on, work
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from db.deferred import open_pending
from db.files import DatabaseUnavailable
from kiosk.config import Settings
from kiosk.draft import TicketDraft
from kiosk.i18n import other_language, translate
from kiosk.printing.process import PrintProcess
from kiosk.read_aloud import ANNOUNCE, ScreenReader, key_speech, screen_speech
from kiosk.screen_scale import apply_large_text, in_box_session
from kiosk.sync.process import SyncProcess
from kiosk.watchdog import notify, watchdog_seconds
from screens.resident.base import KioskScreen
from screens.resident.driver import KioskDriver
from screens.resident.keypad import keypad_key
from screens.resident.messages import (
    LookUpFailed,
    PrintFinished,
    StationStatus,
    SyncFinished,
    TrackFound,
)
from screens.widgets.chrome import KeypadBar, KioskHeader
from screens.workers import DatabaseThread, database_worker

if TYPE_CHECKING:
    from kiosk.catalog import Catalog
    from kiosk.tickets import IssuedTicket
    from kiosk.tracking import Tracked
    from screens.resident.issued_ticket import IssuedTicketScreen
    from screens.widgets.qrcode import QRPicture

log = logging.getLogger(__name__)

# Keys that would leave the flow in a stock Textual app (quit, suspend, the
# command palette, screenshots, the help panel): bound first and inert here.
LOCKED_KEYS = (
    "ctrl+q,ctrl+c,ctrl+z,ctrl+p,ctrl+s,ctrl+backslash,ctrl+d,ctrl+w,"
    "ctrl+x,ctrl+t,ctrl+l,f1,ctrl+f1"
)
READ_ALOUD_KEY = "f12"
SYNC_DEADLINE_SECONDS = 20.0  # one background pass gives way after this
SCAN_LIMIT = 300  # characters: longer is not one of our links
SCAN_PAUSE_SECONDS = 2.0  # a scan that stops without Enter is dropped
SCAN_KEY_GAP = 0.03  # seconds between a scanner's keys; no hand is this fast
SCAN_SCHEMES = ("http://", "https://")
# Digit-only barcodes (a product's EAN, a number printed as a barcode) are
# known by their timing alone. A scanner types a whole code in well under
# 50 ms, a few milliseconds a key; a person needs more than 80 ms between
# two keys. So a digit is held for DIGIT_KEY_GAP: SCAN_MIN_DIGITS digits each
# within DIGIT_KEY_GAP of the one before are a scan, never key presses.
# Fewer (a bounce, keys the box delivered together after a pause) act as keys.
DIGIT_KEY_GAP = 0.02
SCAN_MIN_DIGITS = 6
# A screen change this soon after a key passed was that key's doing (the
# first use of a screen imports its module: slow on a busy box).
KEY_CAUSE_SECONDS = 2.0
PRINTER_WARMUP_SECONDS = 10.0
TICKET_SCREEN = "ticket"  # the installed, reused ticket screen
WEEKDAYS = {
    "zh-CN": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _is_digit(key: events.Key) -> bool:
    character = key.character or ""
    return character.isascii() and character.isdigit()


def release_render_caches() -> None:
    """Let the widgets of closed screens go.

    Textual 8.2.8 memoises ``StylesCache.get_inner_outer`` with an
    ``lru_cache`` on the method, so the cache's keys hold up to 1,024 widgets'
    ``StylesCache`` objects, each with every line it rendered: after ~30
    residents that was ~30,000 strips and ~60 MB kept alive by dead screens.
    Emptying it as a resident leaves costs the next screen a few colour sums.
    """
    # only when a resident leaves; private Textual API, see the docstring
    from rich.cells import cached_cell_len
    from textual._styles_cache import StylesCache

    cache_clear = getattr(StylesCache.get_inner_outer, "cache_clear", None)
    if cache_clear is not None:  # gone in a Textual that fixed it
        cache_clear()
    # Rich remembers the width of the last 4,096 strings it measured: among
    # them what the resident typed and their ticket's numbers. Nothing of a
    # resident is kept once they have gone, and the cache stops growing.
    cached_cell_len.cache_clear()


class KioskApp(App[None], inherit_bindings=False):
    """The resident flow, and nothing else."""

    CSS_PATH = "resident.tcss"
    ENABLE_COMMAND_PALETTE = False
    ESCAPE_TO_MINIMIZE = False
    BINDINGS = [
        Binding(
            LOCKED_KEYS, "locked", "Locked", id="locked", show=False, priority=True
        ),
        # Outside the keypad (whose keys all have a meaning): the box's
        # one-key speaker button sends F12 (kiosk/read_aloud.py).
        Binding(
            READ_ALOUD_KEY,
            "toggle_read_aloud",
            "Read aloud",
            id="read-aloud",
            show=False,
            priority=True,
        ),
    ]

    # What several screens follow, each applied once by its watcher.
    language: reactive[str] = reactive("zh-CN", init=False)
    large_text: reactive[bool] = reactive(False, init=False, toggle_class="-large")
    online: reactive[bool] = reactive(False, init=False)
    read_aloud: reactive[bool] = reactive(False, init=False)

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
        catalog: Catalog | None = None,
        reader: ScreenReader | None = None,
    ) -> None:
        # textual-serve (the browser kiosk, deploy/box/web) names its own
        # driver in TEXTUAL_DRIVER; in a terminal, the kiosk's own.
        web = bool(os.environ.get("TEXTUAL_DRIVER"))
        super().__init__(driver_class=None if web else KioskDriver)
        self.settings = settings
        self.reader = reader or ScreenReader()
        self._catalog = catalog  # read after the first paint (catalog)
        self.clock = clock
        self._now = now
        self.set_reactive(KioskApp.language, settings.kiosk.language)
        self.large_text = settings.kiosk.large_text
        self.draft = TicketDraft(language=self.language)
        self.last_input = clock()
        self.screen_since = clock()
        self.pending_events = 0
        self._scan_buffer: list[str] | None = None
        self._scan_last = 0.0
        self._held_keys: list[events.Key] = []
        self._release_timer: Timer | None = None
        self._held_digits: list[events.Key] = []  # a scan, or a person's keys
        self._digits_timer: Timer | None = None
        self._judged: set[int] = set()  # ids of keys let through after holding
        self._digit_scan_last = 0.0  # Key.time of a digit scan's last key
        self._stale_keys: set[int] = set()  # ids of keys queued before a change
        self._screen_changed_at = 0.0  # by a key: keys pressed before are stale
        self._key_passed_at = 0.0
        self._key_held_for = 0.0  # how long the last key passed was held
        # Wrong check codes per ticket number, and until when each is held.
        self.track_wrong_answers: dict[str, int] = {}
        self.track_locked_until: dict[str, float] = {}
        self.track_digits = ""  # the ticket digits being keyed in
        self.sync_process = SyncProcess()  # started by the first pass
        self.printer = PrintProcess()  # its process starts in start_printer
        self._ticket_screen: IssuedTicketScreen | None = None
        # Tickets are written here, on a connection kept open (ReviewScreen).
        self.ticket_writer = DatabaseThread("ticket-writer")

    @property
    def catalog(self) -> Catalog:
        """The service catalog, read on first use: the welcome screen has no
        need of it, so it is read right after the first paint (about 20 ms
        of parsing), before the resident can ask for a category."""
        return self.read_catalog()

    def read_catalog(self) -> Catalog:
        if self._catalog is None:
            # after the first paint (see catalog)
            from kiosk.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    # -- time, text and frame ------------------------------------------------

    def now(self) -> datetime:
        return self._now() if self._now else datetime.now(self.settings.zone)

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)

    def station_label(self) -> str:
        station = self.settings.station
        return station.name_en if self.language == "en" else station.name

    def current_screen(self) -> Screen[Any] | None:
        """The screen on top; None while the app starts or stops (a worker's
        message can arrive then, when ``self.screen`` would raise)."""
        stack = self.screen_stack
        return stack[-1] if stack else None

    def refresh_frame(self, screen: Screen[Any] | None = None) -> None:
        """Clock and online dot in the header of the given (or current) screen."""
        screen = screen or self.current_screen()
        if screen is None:
            return
        for header in screen.query(KioskHeader):
            moment = self.now()
            header.show_time(moment, WEEKDAYS[self.language][moment.weekday()])
            label = self.t("status.online" if self.online else "status.offline")
            header.show_status(self.online, label)

    def on_mount(self) -> None:
        # screens load on first use: start-up carries the welcome screen only
        from screens.resident.welcome import WelcomeScreen

        self.screen_change_signal.subscribe(self, self._screen_changed)
        self.push_screen(WelcomeScreen())
        # The database opens once the welcome screen is painted (db/deferred.py).
        self.call_after_refresh(self.open_database)
        self.call_after_refresh(self.read_catalog)
        self.set_interval(1.0, self.tick, name="tick")
        self.set_interval(10.0, self.read_status, name="status")
        # Background work starts once the welcome screen is on screen.
        self.call_after_refresh(self.read_status)
        self.call_after_refresh(self.start_sync)
        # The print process starts once the kiosk has settled after boot,
        # ready (font found, or the problem logged) before the first ticket.
        self.set_timer(PRINTER_WARMUP_SECONDS, self.start_printer, name="printer")
        self.call_after_refresh(self.settle_memory)
        self.call_after_refresh(self.ticket_writer.start)
        if self.large_text and in_box_session():
            self.call_after_refresh(self.scale_screen, True)
        self.call_after_refresh(notify, "READY=1")
        interval = watchdog_seconds()
        if interval:
            self.set_interval(interval / 2, self.watchdog_ping, name="watchdog")

    def open_database(self) -> None:
        """Open the database that start-up left for after the first paint
        (kiosk.cli.open_settings); nothing when it is open. Before any key
        acts: a key that comes first opens it (on_event), and so does a
        database worker (screens.workers). A database that fails now stops
        the kiosk with the reason, as it would have before the first paint."""
        try:
            open_pending()
        except DatabaseUnavailable as error:
            log.error("database unavailable: %s", error)
            reason = error.in_language(self.settings.kiosk.language)
            self.exit(return_code=1, message=Text(f"kiosk: {reason}"))

    # -- systemd's watchdog ---------------------------------------------------

    def screens_sane(self) -> bool:
        """The welcome screen at the root of the flow and one of ours on top."""
        # screens load on first use (start-up)
        from screens.resident.welcome import WelcomeScreen

        stack = self.screen_stack
        return (
            len(stack) >= 2
            and isinstance(stack[1], WelcomeScreen)
            and type(stack[-1]).__module__.startswith("screens.resident.")
        )

    def watchdog_ping(self) -> None:
        """From the event loop, so a loop that stops answering stops the
        pings too; so does a screen stack that is not sane (systemd then
        restarts the kiosk: see deploy/kiosk-resident.service)."""
        if self.screens_sane():
            notify("WATCHDOG=1")
        else:
            names = [type(screen).__name__ for screen in self.screen_stack]
            log.error("screens not sane, watchdog not fed: %s", names)

    # -- input, idle reset and lockdown --------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self.open_database()
        if isinstance(event, events.Key):
            self.last_input = self.clock()
            stale = self._pressed_before_change(event)
            event = keypad_key(event)
            held_for = 0.0
            if id(event) in self._judged:  # held, then found a person's
                self._judged.discard(id(event))
                held_for = max(0.0, time.monotonic() - event.time)
            elif stale and self._digit_for_the_flow(event):
                pass  # dropped below; never held, so never let through later
            elif await self._capture_scan(event):
                return  # part of a scan: not a key press for the flow
            if stale:
                # Waiting while another screen was on top (a burst, a bounce,
                # a pause of the box): it was meant for that screen.
                log.info("key %s dropped: pressed for the screen before", event.key)
                return
            self._key_passed_at = time.monotonic()
            self._key_held_for = held_for
        elif isinstance(event, events.MouseDown | events.MouseUp):
            self.last_input = self.clock()
            if self._pressed_before_change(event):
                # A tap held back with the keys (a double tap, a pause of
                # the box): it would choose whatever the next screen has
                # under the finger.
                log.info("tap dropped: made for the screen before")
                return
            if isinstance(event, events.MouseUp):  # may click, and change
                self._key_passed_at = time.monotonic()
                self._key_held_for = 0.0
        await super().on_event(event)

    def _screen_changed(self, _screen: Screen[Any]) -> None:
        """Keys already waiting in the app's queue as the screen changes
        were pressed for the screen before: they will not act on this one."""
        # asyncio.Queue keeps its items in ``_queue`` (private, stable since 3.4)
        waiting = getattr(self._message_queue, "_queue", ())
        self._stale_keys.update(
            id(message)
            for message in waiting
            if isinstance(message, events.Key | events.MouseDown | events.MouseUp)
        )
        # A change that a key just made: keys pressed before it (the clock of
        # Message.time), already passed on to the screen, were meant for the
        # screen before too. A change a worker or timer made only drops the
        # keys that were waiting.
        # A key held to tell it from a scanner changes the screen that much
        # later: the change counts from when the key would have passed.
        now = time.monotonic()
        if now - self._key_passed_at <= KEY_CAUSE_SECONDS:
            self._screen_changed_at = now - self._key_held_for
            self._key_passed_at = 0.0  # one change per key

    def _pressed_before_change(self, key: events.InputEvent) -> bool:
        if id(key) in self._stale_keys:
            self._stale_keys.discard(id(key))
            return True
        return key.time < self._screen_changed_at

    def pop_screen(self) -> AwaitComplete:
        """Never below the welcome screen: the stack can not be emptied."""
        if len(self.screen_stack) <= 2:
            log.warning("pop refused: the welcome screen stays")
            return AwaitComplete.nothing()
        return super().pop_screen()

    def _typing(self) -> bool:
        """A text field has the focus: letters there may be a person's."""
        screen = self.current_screen()
        focused = screen.focused if screen is not None else None
        return bool(getattr(focused, "takes_text", False))

    async def _capture_scan(self, event: events.Key) -> bool:
        """Collect what a barcode scanner types: a link, then Enter.

        On every screen. The keypad never sends letters, so where no text
        field has the focus a letter starts a scan; in a text field only the
        link's scheme (``http://``, ``https://``) typed faster than any hand
        does. Until Enter (or a pause) every key is part of the scan.
        """
        character = event.character or ""
        # A key that bubbled back from the screen was judged as it came in.
        arriving = not event.is_forwarded
        if arriving and self._digit_scan_last:
            return self._continue_digit_scan(event)
        if arriving and self._held_digits:
            return self._hold_digit(event)
        if self._scan_buffer is not None:
            self._scan_last = self.clock()
            if event.key == "enter":
                scanned = "".join(self._scan_buffer)
                self._scan_buffer = None
                self._scanned(scanned)
            elif character.isprintable() and len(self._scan_buffer) < SCAN_LIMIT:
                self._scan_buffer.append(character)
            else:
                self._scan_buffer = None  # not a scanner: drop it
            return True
        if self._held_keys:
            return await self._hold_scheme(event)
        if arriving and character.isascii() and character.isdigit():
            return self._hold_digit(event)
        if not (character.isascii() and character.isalpha()):
            return False
        if self._typing():
            return await self._hold_scheme(event)
        self._scan_last = self.clock()
        self._scan_buffer = [character]
        return True

    async def _hold_scheme(self, event: events.Key) -> bool:
        """In a text field: hold keys while they spell a link's scheme, fast;
        the scheme complete starts a scan, anything else lets them through."""
        held = self._held_keys
        fast = not held or event.time - held[-1].time <= SCAN_KEY_GAP
        spelled = "".join(key.character or "" for key in held)
        spelled += event.character or ""
        if fast and any(s.startswith(spelled.lower()) for s in SCAN_SCHEMES):
            held.append(event)
            if spelled.lower() in SCAN_SCHEMES:
                self._held_keys = []
                self._scan_last = self.clock()
                self._scan_buffer = list(spelled)
            elif self._release_timer is None:
                self._release_timer = self.set_timer(
                    SCAN_KEY_GAP * 2, self._release_held, name="scan-release"
                )
            return True
        await self._release_held()
        return False

    async def _release_held(self) -> None:
        """The held keys were a person's: they act, in order."""
        if self._release_timer is not None:
            self._release_timer.stop()
            self._release_timer = None
        held, self._held_keys = self._held_keys, []
        for key in held:
            await super().on_event(key)

    def _digit_for_the_flow(self, event: events.Key) -> bool:
        """A digit that no scan in progress is taking."""
        character = event.character or ""
        return (
            character.isascii()
            and character.isdigit()
            and not (self._digit_scan_last or self._held_digits)
        )

    def _hold_digit(self, event: events.Key) -> bool:
        """Hold digits while they come faster than any hand: enough of them
        are a scan (dropped, never keys); otherwise they act, in order."""
        held = self._held_digits
        character = event.character or ""
        is_digit = character.isascii() and character.isdigit()
        if held and event.time - held[-1].time > DIGIT_KEY_GAP:
            # A person's keys. The key after them is held on its own a moment,
            # so that it reaches the screen the keys before it open.
            self._let_through(held)
            held = self._held_digits
        elif not is_digit:
            self._let_through([*held, event])
            return True
        held.append(event)
        if sum(_is_digit(key) for key in held) >= SCAN_MIN_DIGITS:
            self._start_digit_scan()
            return True
        if self._digits_timer is None:
            self._digits_timer = self.set_timer(
                DIGIT_KEY_GAP, self._digits_paused, name="digit-release"
            )
        else:
            self._digits_timer.reset()
        return True

    def _start_digit_scan(self) -> None:
        self._stop_digits_timer()
        self._digit_scan_last = self._held_digits[-1].time
        self._held_digits = []
        log.info("scan ignored: digits faster than any hand")

    def _continue_digit_scan(self, event: events.Key) -> bool:
        """Keys of a digit scan are swallowed until its Enter; a key that
        comes slower than a scanner's is a person's again."""
        if event.time - self._digit_scan_last > DIGIT_KEY_GAP:
            self._digit_scan_last = 0.0
            return False
        if event.key == "enter":
            self._digit_scan_last = 0.0
        else:
            self._digit_scan_last = event.time
        return True

    def _digits_paused(self) -> None:
        """No digit followed fast: the held ones were a person's."""
        self._digits_timer = None
        if self._held_digits:
            self._let_through(self._held_digits)

    def _stop_digits_timer(self) -> None:
        if self._digits_timer is not None:
            self._digits_timer.stop()
            self._digits_timer = None

    def _let_through(self, keys: list[events.Key]) -> None:
        """Keys held and judged a person's go to the front of the app's
        queue, in order, as if they had just arrived: what arrived after
        them still comes after, and a screen change drops them as usual."""
        self._stop_digits_timer()
        self._held_digits = []
        # asyncio.Queue keeps its items in ``_queue`` (a deque; see
        # _screen_changed): put them at the end, then rotate them to the front.
        for key in keys:
            self._judged.add(id(key))
            self._message_queue.put_nowait(key)
        waiting = getattr(self._message_queue, "_queue", None)
        if waiting is not None:
            waiting.rotate(len(keys))

    def _scanned(self, text: str) -> None:
        # the tracking code loads on the first scan (start-up)
        from kiosk.tracking import parse_scanned_link

        # screens load on first use (start-up)
        from screens.resident.track import TrackScreen
        from screens.resident.welcome import WelcomeScreen

        link = parse_scanned_link(self.settings, text)
        if link is None:
            log.info("scan ignored: not a tracking link")
            return
        if not isinstance(self.current_screen(), WelcomeScreen | TrackScreen):
            log.info("scan ignored: a request is under way")
            return
        self.look_up_scanned(*link)

    @database_worker(
        group="scan", description="tracking look-up of a scan", failed=LookUpFailed
    )
    def look_up_scanned(self, ticket_no: str, token: str) -> None:
        # the tracking code loads on the first scan (start-up)
        from kiosk.tracking import track_by_token

        self.post_message(TrackFound(track_by_token(ticket_no, token)))

    @on(LookUpFailed)
    def scan_not_looked_up(self, message: LookUpFailed) -> None:
        # screens load on first use (start-up)
        from screens.resident.track import TrackScreen

        screen = self.current_screen()
        if isinstance(screen, TrackScreen):
            screen.show_error("track.failed")

    @on(TrackFound)
    def scanned_ticket_found(self, message: TrackFound) -> None:
        # screens load on first use (start-up)
        from screens.resident.track import TrackScreen

        if message.ticket is not None:
            self.show_tracked(message.ticket)
            return
        screen = self.current_screen()
        if screen is None:
            return
        if not isinstance(screen, TrackScreen):
            self.push_screen(TrackScreen())
        self.call_after_refresh(self._show_not_found)

    def _show_not_found(self) -> None:
        # screens load on first use (start-up)
        from screens.resident.track import TrackScreen

        screen = self.current_screen()
        if isinstance(screen, TrackScreen):
            screen.show_error("track.not_found")

    def show_tracked(self, tracked: Tracked) -> None:
        # screens load on first use (start-up)
        from screens.resident.track_result import TrackResultScreen

        self._pop_to_welcome()
        self.screen_since = self.clock()
        self.push_screen(TrackResultScreen(tracked))

    def action_locked(self) -> None:
        """Quit, suspend, palette and screenshot keys do nothing here."""

    def tick(self) -> None:
        # screens load on first use (start-up)
        from screens.resident.idle import IdleScreen

        now = self.clock()
        if self._scan_buffer is not None and now - self._scan_last > SCAN_PAUSE_SECONDS:
            self._scan_buffer = None
        screen = self.current_screen()
        if screen is None:
            return
        idle_for = now - self.last_input
        timeout = self.settings.kiosk.idle_timeout
        if isinstance(screen, IdleScreen):
            remaining = self.settings.kiosk.idle_countdown - (now - self.screen_since)
            screen.show_remaining(remaining)
            if remaining <= 0:
                screen.dismiss(False)
            return
        # screens load on first use (start-up)
        from screens.resident.issued_ticket import IssuedTicketScreen
        from screens.resident.track_result import TrackResultScreen
        from screens.resident.welcome import WelcomeScreen

        if isinstance(screen, IssuedTicketScreen):
            remaining = screen.seconds_left(now)
            if remaining <= 0:
                self.reset_flow()
            else:
                screen.show_remaining(remaining)
                self.refresh_frame()
            return
        if isinstance(screen, TrackResultScreen):
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
        # screens load on first use (start-up)
        from screens.resident.category import CategoryScreen

        self.draft = TicketDraft(language=self.language)
        self.push_screen(CategoryScreen())
        self.prepare_writing()

    @work(thread=True, exit_on_error=False, group="writing")
    def prepare_writing(self) -> None:
        """The writing screens and their dictionary, read off the UI thread
        while the resident picks a category: the description screen then
        opens without reading them (#12). Once per process; a failure here
        is the pad's to show when it reads the dictionary itself."""
        # the screens that write load before their first use, off the UI thread
        import screens.resident.contact  # noqa: F401
        import screens.resident.description  # noqa: F401
        from kiosk.writing.dictionary import load_dictionary

        try:
            load_dictionary()
        except Exception:  # the pad reads it again and tells the resident
            log.warning("the writing dictionary cannot be read", exc_info=True)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "writing" and event.state == WorkerState.SUCCESS:
            self.read_flow_styles()  # on the UI thread, once the thread is done

    def read_flow_styles(self) -> None:
        """The styles of the screens past the first steps (FLOW_CSS), read
        while the resident picks a category, once per process. Read by
        Textual as the description screen first opened, every style was
        parsed again and every widget styled again: 25 ms or more of that
        opening, for a stylesheet that start-up leaves out."""
        # screens load on first use (start-up)
        from screens.resident.base import FLOW_CSS

        if self.stylesheet.has_source(str(FLOW_CSS)):
            return
        self.stylesheet.read(FLOW_CSS)
        self.stylesheet.reparse()
        self.stylesheet.update(self)

    def show_ticket(self, ticket: IssuedTicket, qr: QRPicture | None = None) -> None:
        """The ticket screen, as fast as it can be after Submit.

        There is one ticket screen, composed for the first ticket and kept
        (installed) for every later one, which only changes its texts and
        QR code: composing, styling and laying out its twenty widgets anew
        was half the time from Submit to the QR on screen. It is pushed over
        the flow's screens, which go when the resident does (reset_flow):
        popping them first would show the welcome screen for one frame, a
        full repaint before the ticket's own.
        """
        # screens load on first use (start-up)
        from screens.resident.issued_ticket import IssuedTicketScreen

        self.draft = TicketDraft(language=self.language)
        self.screen_since = self.clock()
        screen = self._ticket_screen
        if screen is None:
            screen = self._ticket_screen = IssuedTicketScreen(ticket, qr)
            self.install_screen(screen, TICKET_SCREEN)
        screen.show(ticket, qr)
        self.push_screen(TICKET_SCREEN)
        if self.settings.printer.enabled:
            # Once the QR code is on screen: the ticket is stored (its print
            # state "pending"), and the printer's work would only hold up
            # the frame the resident is waiting for.
            self.call_after_refresh(self.print_ticket, ticket.ticket_no)

    @work(thread=True, exit_on_error=False, group="print")
    def start_printer(self) -> None:
        """Start the print process and let it find the font, while the
        kiosk waits for its first resident; a problem goes to the log."""
        if not self.settings.printer.enabled or self.printer.started:
            return
        problem = self.printer.check(self.settings)
        if problem:
            log.error("printing disabled in effect: %s", problem)
        else:
            log.info("print process ready")

    @work(thread=True, exit_on_error=False, group="print")
    def print_ticket(self, ticket_no: str) -> None:
        """Print off the UI thread; the outcome is stored on the ticket."""
        try:
            outcome = self.printer.print(self.settings, ticket_no)
            if not outcome.ok:
                log.error("ticket %s not printed: %s", ticket_no, outcome.detail)
            if not outcome.recorded:
                # loaded with the database, after the first paint (db/deferred.py)
                from db import Ticket, database, write_transaction

                with database.connection_context(), write_transaction():
                    Ticket.update(print_state="failed").where(
                        Ticket.ticket_no == ticket_no
                    ).execute()
        except Exception as error:  # the print state could not even be saved
            log.exception("printing %s failed", ticket_no)
            self.post_message(PrintFinished(ticket_no, False, str(error)))
            return
        self.post_message(PrintFinished(ticket_no, outcome.ok, outcome.detail))

    @on(PrintFinished)
    def print_finished(self, message: PrintFinished) -> None:
        # screens load on first use (start-up)
        from screens.resident.issued_ticket import IssuedTicketScreen

        screen = self.current_screen()
        if (
            isinstance(screen, IssuedTicketScreen)
            and screen.ticket.ticket_no == message.ticket_no
        ):
            screen.show_print_result(message.ok)

    def reset_flow(self) -> None:
        """Back to the welcome screen with nothing of the last resident kept."""
        self.draft = TicketDraft(language=self.settings.kiosk.language)
        self.track_digits = ""
        self._pop_to_welcome()
        if self._ticket_screen is not None:
            self._ticket_screen.forget()
        self.language = self.settings.kiosk.language
        self.large_text = self.settings.kiosk.large_text
        self.read_aloud = False
        self.last_input = self.clock()
        self.collect_garbage()

    def settle_memory(self) -> None:
        """Once the welcome screen is up: collect, then freeze what start-up
        made (modules, styles, the catalog). It lives as long as the process,
        so no later collection needs to walk it. The ``kiosk`` command starts
        with the collector off (kiosk.lean.prepare_process); from here on it
        runs as usual."""
        gc.collect()
        gc.freeze()
        gc.enable()

    def collect_garbage(self) -> None:
        """A full collection as a resident leaves, while the screen goes back
        to the welcome page. Python then has no reason to start one of its
        own in the middle of the next resident's flow, where it would hold up
        Submit; and nothing is frozen that could die later."""
        release_render_caches()
        gc.collect()

    def _pop_to_welcome(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_toggle_language(self) -> None:
        self.language = other_language(self.language)

    def action_toggle_large_text(self) -> None:
        self.large_text = not self.large_text

    def watch_language(self, language: str) -> None:
        """The screen on top speaks it now; the others as they come back
        (KioskScreen.on_screen_resume)."""
        self.draft.language = language
        screen = self.current_screen()
        if isinstance(screen, KioskScreen):
            screen.relabel()

    def watch_large_text(self) -> None:
        """Large text is a layout of its own (fewer, bigger tiles): the
        screen on top is laid out again; the others as they come back. On
        the box the screen's scale grows too (kiosk.screen_scale)."""
        screen = self.current_screen()
        if isinstance(screen, KioskScreen):
            screen.relabel()
        if in_box_session():
            self.scale_screen(self.large_text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="scale")
    def scale_screen(self, large: bool) -> None:
        """Ask the box's compositor for the scale of large text (or 1)."""
        apply_large_text(large, self.size.width, self.size.height)

    def watch_online(self) -> None:
        self.refresh_frame()

    # -- reading the screen aloud (F12) ------------------------------------------

    def action_toggle_read_aloud(self) -> None:
        """F12: read every screen aloud, or stop."""
        self.read_aloud = not self.read_aloud

    def watch_read_aloud(self, reading: bool) -> None:
        on, off = ANNOUNCE[self.language]
        if reading:
            screen = self.current_screen()
            parts = [on, *(self.screen_parts(screen) if screen else [])]
            self.speak(screen_speech(parts, self.language), self.language)
        else:
            self.speak(off, self.language)

    def screen_shown(self, screen: Screen[Any]) -> None:
        """A screen was drawn (new, back on top, or relabelled): read it
        aloud if the resident asked for that."""
        if self.read_aloud and screen is self.current_screen():
            text = screen_speech(self.screen_parts(screen), self.language)
            self.speak(text, self.language)

    def screen_parts(self, screen: Screen[Any]) -> list[str]:
        """What the screen says, in order: its texts and fields, then the
        keypad bar's keys. Not the header (station, clock, online dot)."""
        parts: list[str] = []
        for widget in screen.query("Static, Input"):
            if not widget.display or any(
                isinstance(above, KioskHeader | KeypadBar) for above in widget.ancestors
            ):
                continue
            if isinstance(widget, Input):
                parts.append(widget.value or str(widget.placeholder))
            elif isinstance(widget, Static):
                content = widget.content
                parts.append(str(getattr(content, "plain", content)))
        for bar in screen.query(KeypadBar):
            for key, words, _action in bar.hints:
                parts.append(key_speech(key, words, self.language))
        return parts

    @work(thread=True, exclusive=True, exit_on_error=False, group="read-aloud")
    def speak(self, text: str, language: str) -> None:
        self.reader.read(text, language)

    # -- station status (from the database, never the network) --------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="status")
    def read_status(self) -> None:
        # after the first paint, in a thread: the status needs the database
        from kiosk.sync.state import sync_status

        try:
            status = sync_status(self.settings, self.now())
        except Exception as error:  # status is best effort; the flow goes on
            log.warning("status not read: %s", error)
            return
        online = status.online and bool(self.settings.central.url)
        self.post_message(
            StationStatus(online=online, pending_events=status.pending_events)
        )

    @on(StationStatus)
    def station_status(self, message: StationStatus) -> None:
        self.online = message.online
        self.pending_events = message.pending_events

    # -- background sync (when a central is configured) ----------------------

    def start_sync(self) -> None:
        central = self.settings.central
        if central.url and central.api_key and central.background_sync:
            self.run_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def run_sync(self) -> None:
        """One sync pass, in the sync process; it never raises for network
        faults (kiosk/sync/process.py)."""
        retry_in = self.sync_process.run_pass(self.settings, SYNC_DEADLINE_SECONDS)
        self.post_message(SyncFinished(retry_in=retry_in))

    @on(SyncFinished)
    def sync_finished(self, message: SyncFinished) -> None:
        self.read_status()
        self.set_timer(max(1.0, message.retry_in), self.run_sync, name="sync")

    def _handle_exception(self, error: Exception) -> None:
        """A crash: written to kiosk.log with its traceback, and the kiosk
        exits with status 1 so that systemd restarts it. The traceback is
        never drawn on the resident's screen."""
        log.critical("kiosk crashed: %r", error, exc_info=error)
        super()._handle_exception(error)
        self._exit_renderables.clear()  # Textual's traceback, shown at exit

    async def action_quit(self) -> None:
        """Only a signal or the service manager stops the kiosk; no key does."""

    def on_unmount(self) -> None:
        self.sync_process.close()
        self.printer.close()
        self.ticket_writer.close()
