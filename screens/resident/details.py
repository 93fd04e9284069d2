"""Step 3: where, what else, and (only if the resident wants) how to reach them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding

from kiosk.i18n import place_label
from kiosk.tickets import mask_mobile
from screens.resident.choice import ChoiceScreen


class DetailsScreen(ChoiceScreen):
    TITLE_KEY = "details.title"
    HINT_KEY = "details.hint"
    ENTER_KEY = "key.next"
    BINDINGS = [Binding("enter", "forward", "Next", id="next", show=False)]
    shown_options: list[tuple[str, str]] = []

    def options(self) -> list[tuple[str, str]]:
        kiosk = self.kiosk
        draft = kiosk.draft
        grids = kiosk.settings.station.grids
        if draft.contact_mobile:
            contact = " ".join(
                part
                for part in (draft.contact_name, mask_mobile(draft.contact_mobile))
                if part
            )
        else:
            contact = self.t("details.anonymous")
        return [
            (
                self.t("details.where"),
                place_label(draft.building, grids, kiosk.language)
                or self.t("details.not_given"),
            ),
            (
                self.t("details.description"),
                _preview(draft.description) or self.t("details.not_given"),
            ),
            (self.t("details.contact"), contact),
        ]

    def choose(self, index: int) -> None:
        # the next screens load on first use (start-up)
        from screens.resident.contact import ContactScreen
        from screens.resident.description import DescriptionScreen
        from screens.resident.location import LocationScreen

        screens = (LocationScreen, DescriptionScreen, ContactScreen)
        self.go_to(screens[index]())

    def on_screen_resume(self) -> None:
        # Back from a sub-screen: show what changed there (if anything).
        if self.app.screen is self and self.shown_options != self.options():
            self.relabel()

    def compose_body(self) -> ComposeResult:
        self.shown_options = self.options()
        yield from super().compose_body()

    def action_forward(self) -> None:
        # the next screen loads on first use (start-up)
        from screens.resident.review import ReviewScreen

        self.go_to(ReviewScreen())


def _preview(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
