"""Choosing zh-CN or en for a public answer."""

from __future__ import annotations

from kiosk.i18n import LANGUAGES

__all__ = ["LANGUAGES", "pick_language"]


def pick_language(accept_language: str | None, explicit: str | None = None) -> str:
    """An explicit choice wins; else the first of zh/en in Accept-Language.

    The default is zh-CN: the residents' language.
    """
    if explicit:
        lowered = explicit.strip().lower()
        if lowered.startswith("en"):
            return "en"
        if lowered.startswith("zh"):
            return "zh-CN"
    if not accept_language:
        return "zh-CN"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        tag = tag.strip().lower()
        if tag.startswith("zh"):
            ranked.append((-quality, position, "zh-CN"))
        elif tag.startswith("en"):
            ranked.append((-quality, position, "en"))
    ranked = [entry for entry in ranked if entry[0] < 0]
    return min(ranked)[2] if ranked else "zh-CN"
