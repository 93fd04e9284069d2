"""The welcome screen: what the kiosk is for and the two ways in."""

from __future__ import annotations

import logging

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static

from kiosk.queue_calls import Called, recent_calls
from screens.resident.choice import ChoiceScreen
from screens.resident.messages import QueueCalls
from screens.workers import database_worker

log = logging.getLogger(__name__)

# How often the welcome screen reads the desk's queue calls, and how many.
CALLS_INTERVAL = 2.0
CALLS_SHOWN = 4


class WelcomeScreen(ChoiceScreen):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Called] = []

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
        serving = Static(self.serving_line(), id="serving")
        serving.set_class(bool(self.calls), "-shown")
        yield serving
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
            # the next screen loads on first use (start-up)
            from screens.resident.track import TrackScreen

            self.go_to(TrackScreen())
        elif index == 2:
            self.kiosk.action_toggle_language()
        elif index == 3:
            self.kiosk.action_toggle_large_text()

    # -- the desk's queue calls ("now serving") --------------------------------

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(CALLS_INTERVAL, self.read_calls, name="calls")
        self.call_after_refresh(self.read_calls)  # the tiles come first

    @database_worker(group="calls", description="reading the desk's queue calls")
    def read_calls(self) -> None:
        day = self.kiosk.now().strftime("%Y-%m-%d")
        self.post_message(QueueCalls(recent_calls(day, CALLS_SHOWN)))

    @on(QueueCalls)
    def queue_calls(self, message: QueueCalls) -> None:
        if message.calls == self.calls:
            return
        self.calls = message.calls
        for serving in self.query("#serving").results(Static):
            serving.update(self.serving_line())
            serving.set_class(bool(self.calls), "-shown")

    def serving_line(self) -> Content:
        if not self.calls:
            return Content("")
        line = Content(self.t("welcome.serving", number=self.calls[0].queue_no))
        earlier = [call.queue_no for call in self.calls[1:]]
        if earlier:
            called = self.t("welcome.called", numbers=" ".join(earlier))
            line = Content.assemble(line, ("   " + called, "not bold"))
        return line

    def action_back(self) -> None:
        """The welcome screen is the start: there is nothing to go back to."""
