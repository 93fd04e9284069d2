"""Translations: one TOML catalog per language in assets/i18n/."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")  # the one list: kiosk.config and the central use it


@cache
def _messages(language: str) -> dict[str, str]:
    text = (
        resources.files("assets")
        .joinpath("i18n", f"{language}.toml")
        .read_text(encoding="utf-8")
    )
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


def building_label(name: str, language: str) -> str:
    """A building's name as a resident reads it: 8号楼 is Building 8 in
    English (a place before it stays as the station wrote it)."""
    if language != "en":
        return name
    match = _BUILDING.match(name)
    if match is None:
        return name
    place = match.group("place").strip()
    label = f"Building {match.group('number')}"
    return f"{label} ({place})" if place else label
