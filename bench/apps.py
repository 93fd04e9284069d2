"""The apps under measurement and a probe for "this screen has been painted".

Imported by the measured child processes after their start time is taken, so
importing this module (and Textual with it) counts towards cold start. Kiosk
modules are imported inside functions: the hello-world run never loads them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual._context import active_message_pump
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from kiosk.config import Settings

SIZE = (100, 30)


class HelloApp(App[None]):
    """The baseline: a Textual app with one Static."""

    def compose(self) -> ComposeResult:
        yield Static("Hello, world!", id="hello")


@dataclass
class Target:
    """An app, how to recognise its first screen, and the id of a widget on it."""

    app: App[Any]
    is_target: Callable[[Screen[object]], bool]
    marker: str


def hello_target() -> Target:
    return Target(HelloApp(), lambda screen: True, "hello")


def kiosk_settings(database_path: Path) -> Settings:
    """The demo station's settings with the database in ``database_path``."""
    from kiosk.config import default_settings

    return replace(default_settings(), database_path=database_path)


def import_kiosk() -> None:
    """Import what ``kiosk run`` imports to show the welcome screen."""
    import db  # noqa: F401
    import kiosk.app  # noqa: F401
    import screens.welcome  # noqa: F401


def kiosk_target(
    database_path: Path, clock: Callable[[], float] | None = None
) -> Target:
    """Open the database and build the kiosk, as ``kiosk run`` does."""
    from db import open_database
    from kiosk.app import KioskApp
    from screens.welcome import WelcomeScreen

    settings = kiosk_settings(database_path)
    open_database(database_path)
    app = KioskApp(settings) if clock is None else KioskApp(settings, clock=clock)
    return Target(
        app,
        lambda screen: isinstance(screen, WelcomeScreen),
        "tiles",
    )


class PaintProbe:
    """Times events to the moment they happen, and waits for painted screens.

    Used as the ``message_hook`` of ``App.run_test``: it sees every message
    as it is dispatched, so it can time events to the moment they happen
    rather than to the next time a test loop polls (``Pilot.pause`` sleeps at
    least 20 ms). A callback scheduled with ``call_after_refresh`` runs once
    the screen is idle after a compositor refresh, i.e. after the frame that
    includes the widget has been rendered (headless: rendered, not written).
    """

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.watchers: list[Callable[[Message, object], None]] = []
        self.marks: dict[str, float] = {}
        self.shown: Screen[object] | None = None
        self._shown_changed = asyncio.Event()

    def hook(self, message: Message) -> None:
        if self.watchers:
            pump = active_message_pump.get(None)
            for watch in self.watchers:
                watch(message, pump)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, time.perf_counter())

    def after_paint(self, widget: Widget, callback: Callable[[], None]) -> None:
        """Call ``callback`` after the first refresh that shows ``widget``.

        Gives up if the widget leaves the screen or its screen stops being the
        current one first (then it was never shown).
        """

        def check() -> None:
            if not widget.is_attached or widget.screen is not self.app.screen:
                return
            if widget.region.area > 0:
                callback()
            else:
                widget.call_after_refresh(check)

        widget.call_after_refresh(check)

    def watch_first_paint(self, target: Target, name: str = "painted") -> None:
        """Mark ``name`` when the target's first screen has been painted."""
        self.watch_mount(
            target.marker,
            lambda widget: target.is_target(widget.screen),
            name,
        )

    def watch_mount(
        self, widget_id: str, accept: Callable[[Widget], bool], name: str
    ) -> None:
        """Mark ``name`` once a widget with ``widget_id`` is mounted and painted.

        Only ``Mount`` events are looked at, so the hook costs next to nothing
        per message. ``accept`` can reject a widget (say, on the wrong screen).
        """

        def watch(message: Message, pump: object) -> None:
            if (
                isinstance(message, events.Mount)
                and isinstance(pump, Widget)
                and pump.id == widget_id
                and accept(pump)
            ):
                self.mark(f"{name}_mounted")
                self.after_paint(pump, lambda: self.mark(name))

        self.watchers.append(watch)

    def watch_message(self, message_type: type[Message], name: str) -> None:
        """Mark ``name`` when a message of ``message_type`` is dispatched."""

        def watch(message: Message, pump: object) -> None:
            if isinstance(message, message_type):
                self.mark(name)

        self.watchers.append(watch)

    def watch_screens(self) -> None:
        """Keep ``shown``: the last screen painted after it became current."""

        def painted(screen: Screen[object]) -> None:
            self.shown = screen
            self._shown_changed.set()

        def watch(message: Message, pump: object) -> None:
            if isinstance(message, events.ScreenResume) and isinstance(pump, Screen):
                self.after_paint(pump, lambda: painted(pump))

        self.watchers.append(watch)

    async def wait_shown(
        self, screen_type: type[Screen[Any]], timeout: float = 30.0
    ) -> Screen[Any]:
        """Wait, without polling, until a ``screen_type`` screen is painted."""
        deadline = time.perf_counter() + timeout
        while True:
            shown = self.shown
            if isinstance(shown, screen_type) and shown is self.app.screen:
                return shown
            self._shown_changed.clear()
            if not self.app.is_running:
                raise RuntimeError(f"the app stopped before {screen_type.__name__}")
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{screen_type.__name__} was never shown")
            try:
                await asyncio.wait_for(self._shown_changed.wait(), min(remaining, 0.5))
            except TimeoutError:
                continue
