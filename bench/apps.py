"""The apps under measurement and a probe for "this screen has been painted".

Imported by the measured child processes after their start time is taken, so
importing this module (and Textual with it) counts towards cold start. Kiosk
modules are imported inside functions: the hello-world run never loads them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import events
from textual._context import active_message_pump
from textual.app import App, ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

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


def kiosk_config(database_path: Path) -> Path:
    """A config file for the demo station with its database at ``database_path``
    (written beside it), as ``kiosk init`` writes one."""
    from kiosk.config import DEMO_STATION, render_config

    path = database_path.with_suffix(".toml")
    text = render_config(path, DEMO_STATION.code, "", "", "")
    text = text.replace('path = "kiosk.db"', f'path = "{database_path}"')
    path.write_text(text, encoding="utf-8")
    return path


def import_kiosk() -> None:
    """Import what the ``kiosk`` command imports to show the welcome screen.

    The driver has already called ``kiosk.lean.prepare_process()``, as the
    command's entry point does before anything else.
    """
    import kiosk.cli  # noqa: F401
    import screens.resident.app  # noqa: F401
    import screens.resident.welcome  # noqa: F401


def kiosk_target(
    database_path: Path, clock: Callable[[], float] | None = None
) -> Target:
    """Settings, log, database and the app: ``kiosk --config FILE`` up to
    ``app.run()`` (kiosk.cli.start_resident), with a config for the demo
    station that puts the database at ``database_path``."""
    from kiosk.cli import start_resident
    from screens.resident.welcome import WelcomeScreen

    config = kiosk_config(database_path)
    options: dict[str, Any] = {} if clock is None else {"clock": clock}
    app = start_resident(str(config), **options)
    if isinstance(app, int):
        raise RuntimeError(f"the kiosk did not start (exit code {app})")
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
        self._marked = asyncio.Event()

    def hook(self, message: Message) -> None:
        if self.watchers:
            pump = active_message_pump.get(None)
            for watch in self.watchers:
                watch(message, pump)

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, time.perf_counter())
        self._marked.set()

    async def wait_mark(self, name: str, timeout: float = 30.0) -> float:
        """Wait, without polling, until ``name`` is marked; its time."""
        deadline = time.perf_counter() + timeout
        while name not in self.marks:
            self._marked.clear()
            if not self.app.is_running:
                raise RuntimeError(f"the app stopped before {name!r}")
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"{name!r} never happened")
            try:
                await asyncio.wait_for(self._marked.wait(), min(remaining, 0.5))
            except TimeoutError:
                continue
        return self.marks[name]

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

    def watch_screen_shown(
        self, screen_type: type[Screen[Any]], widget_id: str, name: str
    ) -> None:
        """Mark ``name``_shown when a ``screen_type`` screen becomes current
        (mounted anew or shown again), and ``name`` after the first refresh
        that paints its widget ``widget_id``."""

        def watch(message: Message, pump: object) -> None:
            if isinstance(message, events.ScreenResume) and isinstance(
                pump, screen_type
            ):
                self.mark(f"{name}_shown")
                for widget in pump.query(f"#{widget_id}"):
                    self.after_paint(widget, lambda: self.mark(name))

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
