"""Where: pick the grid, then the building, from the station's list."""

from __future__ import annotations

from textual.binding import Binding

from kiosk.config import Grid
from screens.resident.choice import ChoiceScreen


class LocationScreen(ChoiceScreen):
    TITLE_KEY = "location.title"
    HINT_KEY = "location.hint"
    ENTER_KEY = "key.skip"
    BINDINGS = [Binding("enter", "forward", "Skip", id="skip", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.grid: Grid | None = None

    def options(self) -> list[tuple[str, str]]:
        language = self.kiosk.language
        if self.grid is None:
            return [
                (
                    grid.name_en if language == "en" else grid.name,
                    "、".join(grid.buildings[:3])
                    + ("…" if len(grid.buildings) > 3 else ""),
                )
                for grid in self.kiosk.settings.station.grids
            ]
        options = [(building, "") for building in self.grid.buildings]
        options.append((self.t("location.whole_grid"), ""))
        return options

    def choose(self, index: int) -> None:
        if self.grid is None:
            self.grid = self.kiosk.settings.station.grids[index]
            self.page = 0
            self.relabel()
            return
        if index < len(self.grid.buildings):
            self.kiosk.draft.building = f"{self.grid.name} {self.grid.buildings[index]}"
        else:
            self.kiosk.draft.building = self.grid.name
        self.go_back()

    def action_back(self) -> None:
        if self.grid is not None:
            self.grid = None
            self.page = 0
            self.relabel()
        else:
            super().action_back()

    def action_forward(self) -> None:
        """Enter: no place given (or clear the one given before)."""
        self.kiosk.draft.building = ""
        self.go_back()
