"""The idle countdown: more time, or start over for the next resident."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.resident.base import FLOW_CSS

if TYPE_CHECKING:
    from screens.resident.app import KioskApp


class IdleScreen(ModalScreen[bool]):
    """Dismissed with True on any key or tap; with False when time runs out."""

    CSS_PATH = FLOW_CSS

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        kiosk = cast("KioskApp", self.app)
        with Vertical(id="idle-dialog"):
            yield Static(Content(kiosk.t("idle.question")), id="idle-question")
            yield Static(id="idle-count")

    def on_mount(self) -> None:
        self.show_remaining(self.seconds)

    def show_remaining(self, remaining: float) -> None:
        kiosk = cast("KioskApp", self.app)
        self.query_one("#idle-count", Static).update(
            Content(kiosk.t("idle.countdown", seconds=max(0, math.ceil(remaining))))
        )

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(True)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.dismiss(True)
