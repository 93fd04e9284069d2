"""The personal-data notice, shown only when a resident leaves contact details."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from screens.resident.base import FLOW_CSS
from screens.widgets.chrome import KeypadBar, Tile

if TYPE_CHECKING:
    from screens.resident.app import KioskApp


class ConsentScreen(ModalScreen[bool]):
    """Agree or decline; its keys are on its own bar, like every screen's."""

    CSS_PATH = FLOW_CSS

    BINDINGS = [
        Binding("1", "agree", "Agree", id="agree", show=False),
        Binding("enter", "agree", "Agree", id="agree-enter", show=False),
        Binding("2", "decline", "Decline", id="decline", show=False),
        Binding("escape", "decline", "Decline", id="decline-escape", show=False),
        Binding("minus", "decline", "Decline", id="decline-minus", show=False),
        Binding("asterisk", "toggle_language", "Language", id="language", show=False),
        Binding("slash", "toggle_large_text", "Large text", id="large", show=False),
    ]

    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)

    def compose(self) -> ComposeResult:
        kiosk = self.kiosk
        with Vertical(id="dialog"):
            yield Static(Content(kiosk.t("consent.title")), id="consent-title")
            yield Static(Content(kiosk.t("consent.notice")), id="notice")
            with Grid(id="answers"):
                large = kiosk.large_text
                yield Tile("1", kiosk.t("consent.agree"), large=large, id="tile-1")
                yield Tile("2", kiosk.t("consent.decline"), large=large, id="tile-2")
        yield KeypadBar(
            [
                ("1/Enter", kiosk.t("consent.agree_key"), "screen.agree"),
                ("2/-", kiosk.t("consent.decline_key"), "screen.decline"),
                ("*", kiosk.t("key.language"), "screen.toggle_language"),
                ("/", kiosk.t("key.large_text"), "screen.toggle_large_text"),
            ]
        )

    def action_agree(self) -> None:
        self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)

    def action_toggle_language(self) -> None:
        self.kiosk.action_toggle_language()
        self.refresh(recompose=True)

    def action_toggle_large_text(self) -> None:
        self.kiosk.action_toggle_large_text()
        self.refresh(recompose=True)

    @on(Tile.Chosen)
    def tile_chosen(self, message: Tile.Chosen) -> None:
        message.stop()
        self.dismiss(message.key == "1")
