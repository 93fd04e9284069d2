"""Translations: one TOML catalog per language in assets/i18n/."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import cache
from typing import Protocol

from assets import ASSETS

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")  # the one list: kiosk.config and the central use it


@cache
def _messages(language: str) -> dict[str, str]:
    text = (ASSETS / "i18n" / f"{language}.toml").read_text(encoding="utf-8")
    flat: dict[str, str] = {}

    def walk(prefix: str, table: dict[str, object]) -> None:
        for key, value in table.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = str(value)

    walk("", tomllib.loads(text))
    return flat


def translate(language: str, key: str, **values: object) -> str:
    """The message ``key`` in ``language``, falling back to zh-CN, then the key."""
    message = _messages(language).get(key)
    if message is None:
        message = _messages(DEFAULT_LANGUAGE).get(key, key)
    return message.format(**values) if values else message


def other_language(language: str) -> str:
    return "en" if language == DEFAULT_LANGUAGE else DEFAULT_LANGUAGE


def missing_keys() -> dict[str, set[str]]:
    """Keys present in one language and missing in another (for tests)."""
    every = {language: set(_messages(language)) for language in LANGUAGES}
    union = set().union(*every.values())
    return {language: union - keys for language, keys in every.items()}


_BUILDING = re.compile(r"^(?P<place>.*?)(?P<number>\d+)号楼$")


# Words of building names that read the same at any station, in English.
_PLACE_WORDS_EN = {
    "沿街商铺": "Street-front shops",
    "社区公共区域": "Community common areas",
    "五巷": "Wuxiang",  # the demo station's estate (kiosk.config DEMO_STATION)
}


def building_label(name: str, language: str) -> str:
    """A building's name as a resident reads it: 8号楼 is Building 8 in
    English (a place before it stays as the station wrote it, unless it is
    a common word)."""
    if language != "en":
        return name
    match = _BUILDING.match(name)
    if match is None:
        return _PLACE_WORDS_EN.get(name, name)
    place = match.group("place").strip()
    place = _PLACE_WORDS_EN.get(place, place)
    label = f"Building {match.group('number')}"
    return f"{label} ({place})" if place else label


class NamedGrid(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def name_en(self) -> str: ...


def place_label(place: str, grids: Iterable[NamedGrid], language: str) -> str:
    """A ticket's place ("<grid> <building>", as the kiosk stores it) as a
    resident reads it: in English, the grid's English name and the
    building's label."""
    if language != "en" or not place:
        return place
    for grid in grids:
        if place == grid.name:
            return grid.name_en
        if place.startswith(grid.name + " "):
            building = place[len(grid.name) + 1 :]
            return f"{grid.name_en} {building_label(building, language)}"
    return building_label(place, language)
