"""Track my ticket: how a resident follows a request after leaving."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from screens.base import KioskScreen


class TrackScreen(KioskScreen):
    TITLE_KEY = "track.title"

    def compose_body(self) -> ComposeResult:
        yield Static(Content(self.t("track.how")), id="track-how")
