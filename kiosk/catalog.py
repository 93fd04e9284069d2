"""The service catalog (assets/catalog.toml): categories, items and units."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

OTHER_ITEM = "other"


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

    def label(self, language: str) -> str:
        return self.name_en if language == "en" else self.name


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

    def label(self, language: str) -> str:
        return self.name_en if language == "en" else self.name

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        if code == OTHER_ITEM:
            return Item(OTHER_ITEM, "其他", "Something else")
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


def parse_catalog(text: str) -> Catalog:
    raw = tomllib.loads(text)
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
        items = tuple(Item(i["code"], i["name"], i["name_en"]) for i in entry["items"])
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
            )
        )
    return Catalog(tuple(categories), units)


@cache
def load_catalog() -> Catalog:
    """The catalog shipped in assets/ (read once per process)."""
    text = (
        resources.files("assets").joinpath("catalog.toml").read_text(encoding="utf-8")
    )
    return parse_catalog(text)
