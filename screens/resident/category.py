"""Step 1: what kind of matter."""

from __future__ import annotations

from screens.resident.choice import ChoiceScreen


class CategoryScreen(ChoiceScreen):
    TITLE_KEY = "category.title"
    HINT_KEY = "category.hint"

    def options(self) -> list[tuple[str, str]]:
        language = self.kiosk.language
        catalog = self.kiosk.catalog
        return [
            (
                category.label(language),
                " · ".join(item.label(language) for item in category.items[:2]),
            )
            for category in catalog.categories
        ]

    def choose(self, index: int) -> None:
        category = self.kiosk.catalog.categories[index]
        draft = self.kiosk.draft
        if draft.category != category.code:
            draft.category = category.code
            draft.item = ""
        # the next screen loads on first use (start-up)
        from screens.resident.item import ItemScreen

        self.go_to(ItemScreen())
