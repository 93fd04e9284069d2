"""Step 2: the common item within the category, or "something else"."""

from __future__ import annotations

from screens.resident.choice import ChoiceScreen


class ItemScreen(ChoiceScreen):
    TITLE_KEY = "item.title"
    HINT_KEY = "item.hint"

    def title_values(self) -> dict[str, object]:
        category = self.kiosk.catalog.category(self.kiosk.draft.category)
        return {"category": category.label(self.kiosk.language)}

    def options(self) -> list[tuple[str, str]]:
        language = self.kiosk.language
        category = self.kiosk.catalog.category(self.kiosk.draft.category)
        labels = [(item.label(language), "") for item in category.items]
        labels.append((self.t("item.other"), self.t("item.other_detail")))
        return labels

    def choose(self, index: int) -> None:
        category = self.kiosk.catalog.category(self.kiosk.draft.category)
        items = category.items
        self.kiosk.draft.item = items[index].code if index < len(items) else "other"
        # the next screen loads on first use (start-up)
        from screens.resident.details import DetailsScreen

        self.go_to(DetailsScreen())
