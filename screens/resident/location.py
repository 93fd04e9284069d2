"""Where: pick the grid, then the building, from the station's list.

A building's tile number is not its house number (tile 1 may read 10号楼),
so a building keyed in by its tile number is shown as chosen and confirmed
with Enter; a tap on the tile itself is unambiguous and chooses at once.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding

from kiosk.config import Grid
from kiosk.i18n import building_label
from screens.resident.choice import ChoiceScreen
from screens.widgets.chrome import Tile


class LocationScreen(ChoiceScreen):
    TITLE_KEY = "location.title"
    HINT_KEY = "location.hint"
    ENTER_KEY = "key.skip"
    BINDINGS = [Binding("enter", "forward", "Skip", id="skip", show=False)]

    def __init__(self) -> None:
        super().__init__()
        self.grid: Grid | None = None
        self.selected: int | None = None  # a building keyed in, to confirm

    def options(self) -> list[tuple[str, str]]:
        language = self.kiosk.language
        if self.grid is None:
            return [
                (
                    grid.name_en if language == "en" else grid.name,
                    ("、" if language != "en" else ", ").join(
                        building_label(building, language)
                        for building in grid.buildings[:3]
                    )
                    + ("…" if len(grid.buildings) > 3 else ""),
                )
                for grid in self.kiosk.settings.station.grids
            ]
        options = [
            (building_label(building, language), "") for building in self.grid.buildings
        ]
        options.append((self.t("location.whole_grid"), ""))
        return options

    def hint(self) -> str:
        if self.selected is None:
            return super().hint()
        place = self.options()[self.selected][0]
        return self.t("location.confirm", place=place)

    def compose_body(self) -> ComposeResult:
        chosen = ""
        if self.selected is not None:
            chosen = f"tile-{self.selected - self.page * self.page_size + 1}"
        for widget in super().compose_body():
            if chosen and isinstance(widget, Tile) and widget.id == chosen:
                widget.add_class("-selected")
            yield widget

    def keypad_hints(self) -> list[tuple[str, str, str]]:
        hints = super().keypad_hints()
        if self.selected is not None and hints[0][0] == "Enter":
            hints[0] = ("Enter", self.t("key.confirm"), hints[0][2])
        return hints

    def choose(self, index: int) -> None:
        if self.grid is None:
            self.grid = self.kiosk.settings.station.grids[index]
            self.page = 0
            self.relabel()
            return
        self.selected = index  # keyed in: shown, then confirmed with Enter
        self.relabel()

    def confirm(self, index: int) -> None:
        assert self.grid is not None
        if index < len(self.grid.buildings):
            self.kiosk.draft.building = f"{self.grid.name} {self.grid.buildings[index]}"
        else:
            self.kiosk.draft.building = self.grid.name
        self.go_back()

    @on(Tile.Chosen)
    def tile_chosen(self, message: Tile.Chosen) -> None:
        message.stop()
        if self.grid is None or not self.is_active:
            self.action_pick(message.key)
            return
        index = self.page * self.page_size + int(message.key) - 1
        if 0 <= index < len(self.options()):
            self.confirm(index)  # a tap on the building itself

    def action_back(self) -> None:
        if self.selected is not None:
            self.selected = None
            self.relabel()
        elif self.grid is not None:
            self.grid = None
            self.page = 0
            self.relabel()
        else:
            super().action_back()

    def action_forward(self) -> None:
        """Enter: the building keyed in; with none, no place (or clear the
        one given before)."""
        if not self.is_active:
            return
        if self.selected is not None:
            self.confirm(self.selected)
            return
        self.kiosk.draft.building = ""
        self.go_back()
