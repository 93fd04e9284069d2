"""The shipped catalog and translations are complete and consistent."""

from __future__ import annotations

from kiosk.catalog import load_catalog
from kiosk.i18n import missing_keys, translate

FIVE_UNITS = {"enforcement", "market", "police", "fire", "property"}


def test_catalog_covers_the_setting():
    catalog = load_catalog()
    codes = {c.code for c in catalog.categories}
    assert {
        "sanitation",
        "housing",
        "property",
        "market",
        "order",
        "fire",
        "enforcement",
        "convenience",
        "other",
    } <= codes
    assert len(catalog.categories) <= 9  # one keypad digit each
    assert FIVE_UNITS <= set(catalog.units)
    for category in catalog.categories:
        assert 3 <= len(category.items) <= 6
        assert category.name and category.name_en
        assert category.unit in catalog.units
        assert 0 < category.response_hours <= category.resolution_hours
    letters = [c.letter for c in catalog.categories]
    assert len(set(letters)) == len(letters)


def test_every_message_exists_in_both_languages():
    assert missing_keys() == {"zh-CN": set(), "en": set()}


def test_translation_fills_values():
    assert (
        translate("en", "description.count", used=3, limit=500) == "3 / 500 characters"
    )
    assert translate("zh-CN", "no.such.key") == "no.such.key"
