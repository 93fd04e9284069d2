"""A screen of numbered tiles: digits 1-9 choose, 0 shows more."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid

from screens.resident.base import KioskScreen
from screens.widgets.chrome import Tile

PAGE_SIZE = 9
LARGE_PAGE_SIZE = 6  # large text: two columns of bigger tiles


class ChoiceScreen(KioskScreen):
    """Numbered options in a grid; subclasses list them and act on a choice."""

    BINDINGS = [
        *(
            Binding(str(n), f"pick('{n}')", str(n), id=f"pick-{n}", show=False)
            for n in range(1, 10)
        ),
        Binding("0", "next_page", "More", id="more", show=False),
        Binding("plus", "next_page", "More", id="more-plus", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page = 0

    def options(self) -> list[tuple[str, str]]:
        """(label, detail) of every option, in order."""
        return []

    def choose(self, index: int) -> None:
        """Act on the option at ``index`` (0-based over all pages)."""

    @property
    def page_size(self) -> int:
        return LARGE_PAGE_SIZE if self.kiosk.large_text else PAGE_SIZE

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.options()) // self.page_size))

    def compose_body(self) -> ComposeResult:
        options = self.options()
        self.page = min(self.page, self.page_count - 1)
        start = self.page * self.page_size
        shown = options[start : start + self.page_size]
        with Grid(id="tiles"):
            for offset, (label, detail) in enumerate(shown, start=1):
                yield Tile(
                    str(offset),
                    label,
                    detail,
                    large=self.kiosk.large_text,
                    id=f"tile-{offset}",
                )

    def keypad_hints(self) -> list[tuple[str, str, str]]:
        hints = super().keypad_hints()
        if self.page_count > 1:
            hints.insert(0, ("0", self.t("key.more"), "screen.next_page"))
        return hints

    def action_pick(self, key: str) -> None:
        if not self.is_active:
            return  # a tap meant for this screen, arriving after it was left
        index = self.page * self.page_size + int(key) - 1
        if 0 <= index < len(self.options()) and 1 <= int(key) <= self.page_size:
            self.choose(index)

    def action_next_page(self) -> None:
        if self.page_count > 1:
            self.page = (self.page + 1) % self.page_count
            self.refresh(recompose=True)
            self.call_after_refresh(self.after_relabel)

    @on(Tile.Chosen)
    def tile_chosen(self, message: Tile.Chosen) -> None:
        message.stop()
        self.action_pick(message.key)
