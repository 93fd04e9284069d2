"""The service catalog (assets/catalog.toml): categories, items and units."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from assets import ASSETS

OTHER_ITEM = "other"
DETAILS_RANGE = (6, 9)  # common details per item: one keypad digit each


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    name_en: str

    def label(self, language: str) -> str:
        return self.name_en if language == "en" else self.name


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    name_en: str
    # Common details, picked by number and combined (楼上漏下来, 已经好几天).
    details: tuple[str, ...] = ()
    details_en: tuple[str, ...] = ()

    def label(self, language: str) -> str:
        return self.name_en if language == "en" else self.name

    def detail_phrases(self, language: str) -> tuple[str, ...]:
        return self.details_en if language == "en" else self.details


@dataclass(frozen=True)
class Category:
    code: str
    letter: str
    name: str
    name_en: str
    unit: str
    response_hours: int
    resolution_hours: int
    items: tuple[Item, ...]
    other_details: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    def label(self, language: str) -> str:
        return self.name_en if language == "en" else self.name

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        if code == OTHER_ITEM:
            return Item(OTHER_ITEM, "其他", "Something else", *self.other_details)
        raise KeyError(code)


@dataclass(frozen=True)
class Catalog:
    categories: tuple[Category, ...]
    units: dict[str, Unit]

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(code)


class CatalogError(Exception):
    """The catalog file is inconsistent."""


def _details(where: str, entry: dict[str, list[str]]) -> tuple[tuple[str, ...], ...]:
    """An item's details in zh-CN and en: as many in each, 6-9 of them."""
    zh, en = tuple(entry.get("zh", ())), tuple(entry.get("en", ()))
    low, high = DETAILS_RANGE
    if not low <= len(zh) <= high or len(en) != len(zh):
        raise CatalogError(f"{where}: needs {low}-{high} details in zh and in en")
    if any(not isinstance(d, str) or not d.strip() for d in zh + en):
        raise CatalogError(f"{where}: a detail is empty")
    return zh, en


def parse_catalog(text: str) -> Catalog:
    raw = tomllib.loads(text)
    details = raw.get("details", {})
    other_details = _details("other_item_details", raw.get("other_item_details", {}))
    units = {
        code: Unit(code, entry["name"], entry["name_en"])
        for code, entry in raw["units"].items()
    }
    categories = []
    letters: set[str] = set()
    for entry in raw["categories"]:
        if entry["unit"] not in units:
            raise CatalogError(
                f"category {entry['code']}: unknown unit {entry['unit']}"
            )
        if entry["letter"] in letters:
            raise CatalogError(
                f"category {entry['code']}: letter {entry['letter']} reused"
            )
        letters.add(entry["letter"])
        items = tuple(
            Item(
                i["code"],
                i["name"],
                i["name_en"],
                *_details(
                    f"item {entry['code']}.{i['code']}",
                    details.get(entry["code"], {}).get(i["code"], {}),
                ),
            )
            for i in entry["items"]
        )
        if not 3 <= len(items) <= 6:
            raise CatalogError(f"category {entry['code']}: needs 3-6 common items")
        categories.append(
            Category(
                code=entry["code"],
                letter=entry["letter"],
                name=entry["name"],
                name_en=entry["name_en"],
                unit=entry["unit"],
                response_hours=int(entry["response_hours"]),
                resolution_hours=int(entry["resolution_hours"]),
                items=items,
                other_details=(other_details[0], other_details[1]),
            )
        )
    known = {(c.code, i.code) for c in categories for i in c.items}
    for category_code, table in details.items():
        for item_code in table:
            if (category_code, item_code) not in known:
                raise CatalogError(
                    f"details for unknown item {category_code}.{item_code}"
                )
    return Catalog(tuple(categories), units)


@cache
def load_catalog() -> Catalog:
    """The catalog shipped in assets/ (read once per process)."""
    text = (ASSETS / "catalog.toml").read_text(encoding="utf-8")
    return parse_catalog(text)
