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

from screens.widgets.chrome import Tile

if TYPE_CHECKING:
    from screens.resident.app import KioskApp


class ConsentScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("1", "agree", "Agree", id="agree", show=False),
        Binding("enter", "agree", "Agree", id="agree-enter", show=False),
        Binding("2", "decline", "Decline", id="decline", show=False),
        Binding("escape", "decline", "Decline", id="decline-escape", show=False),
        Binding("minus", "decline", "Decline", id="decline-minus", show=False),
    ]

    def compose(self) -> ComposeResult:
        kiosk = cast("KioskApp", self.app)
        with Vertical(id="dialog"):
            yield Static(Content(kiosk.t("consent.title")), id="consent-title")
            yield Static(Content(kiosk.t("consent.notice")), id="notice")
            with Grid(id="answers"):
                yield Tile("1", kiosk.t("consent.agree"), id="tile-1")
                yield Tile("2", kiosk.t("consent.decline"), id="tile-2")

    def action_agree(self) -> None:
        self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)

    @on(Tile.Chosen)
    def tile_chosen(self, message: Tile.Chosen) -> None:
        message.stop()
        self.dismiss(message.key == "1")
