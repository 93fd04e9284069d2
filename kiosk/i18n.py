"""Translations: one TOML catalog per language in assets/i18n/."""

from __future__ import annotations

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
