"""The shipped catalog and translations are complete and consistent."""

from __future__ import annotations

import pytest

from kiosk.catalog import OTHER_ITEM, CatalogError, load_catalog, parse_catalog
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


def test_every_item_offers_six_to_nine_details_in_both_languages():
    catalog = load_catalog()
    for category in catalog.categories:
        for item in (*category.items, category.item(OTHER_ITEM)):
            zh, en = item.detail_phrases("zh-CN"), item.detail_phrases("en")
            assert 6 <= len(zh) <= 9 and len(en) == len(zh), item.code
            assert len(set(zh)) == len(zh) and len(set(en)) == len(en), item.code
            assert all(len(d) <= 10 for d in zh), item.code  # one chip each
            assert all(len(d) <= 32 for d in en), item.code
    leak = catalog.category("housing").item("roof-leak")
    assert leak.details[:1] == ("楼上漏下来",)
    assert leak.detail_phrases("en")[0] == "Leaking from above"


SMALL_CATALOG = """
[units.station]
name = "社区服务站"
name_en = "Community Station"

[[categories]]
code = "other"
letter = "J"
name = "其他事项"
name_en = "Other"
unit = "station"
response_hours = 24
resolution_hours = 120
items = [
  { code = "a", name = "甲", name_en = "A" },
  { code = "b", name = "乙", name_en = "B" },
  { code = "c", name = "丙", name_en = "C" },
]

[other_item_details]
zh = ["一", "二", "三", "四", "五", "六"]
en = ["1", "2", "3", "4", "5", "6"]
"""
SIX = '["一", "二", "三", "四", "五", "六"]'
SIX_EN = '["1", "2", "3", "4", "5", "6"]'


def details(item: str, zh: str = SIX, en: str = SIX_EN) -> str:
    return f"\n[details.other.{item}]\nzh = {zh}\nen = {en}\n"


def test_a_small_catalog_with_details_parses():
    text = SMALL_CATALOG + details("a") + details("b") + details("c")
    assert parse_catalog(text).category("other").item("b").details_en[5] == "6"


@pytest.mark.parametrize(
    "broken",
    [
        details("a") + details("b"),  # c has none
        details("a") + details("b") + details("c", zh='["一"]', en='["1"]'),
        details("a") + details("b") + details("c", en='["1", "2"]'),
        details("a") + details("b") + details("c") + details("d"),
        details("a")
        + details("b")
        + details("c", zh='["", "二", "三", "四", "五", "六"]'),
    ],
)
def test_the_catalog_check_requires_the_details(broken):
    with pytest.raises(CatalogError):
        parse_catalog(SMALL_CATALOG + broken)
