"""The welcome screen: what the kiosk is for and the two ways in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from screens.choice import ChoiceScreen


class WelcomeScreen(ChoiceScreen):
    DEFAULT_CSS = """
    WelcomeScreen #tiles { grid-size: 2; }
    """
    TITLE_KEY = "welcome.title"
    HINT_KEY = "welcome.hint"

    def options(self) -> list[tuple[str, str]]:
        return [
            (self.t("welcome.request"), self.t("welcome.request_detail")),
            (self.t("welcome.track"), self.t("welcome.track_detail")),
            (self.t("welcome.language"), self.t("welcome.language_detail")),
            (self.t("welcome.large_text"), self.t("welcome.large_text_detail")),
        ]

    def compose_body(self) -> ComposeResult:
        yield from super().compose_body()
        yield Static(Content(self.t("welcome.privacy")), id="footnote")

    def keypad_hints(self) -> list[tuple[str, str, str]]:
        return [
            ("1-4", self.t("key.choose"), "screen.pick('1')"),
            ("*", self.t("key.language"), "app.toggle_language"),
            ("/", self.t("key.large_text"), "app.toggle_large_text"),
        ]

    def choose(self, index: int) -> None:
        if index == 0:
            self.kiosk.start_request()
        elif index == 1:
            from screens.track import TrackScreen

            self.app.push_screen(TrackScreen())
        elif index == 2:
            self.kiosk.action_toggle_language()
        elif index == 3:
            self.kiosk.action_toggle_large_text()

    def action_back(self) -> None:
        """The welcome screen is the start: there is nothing to go back to."""
