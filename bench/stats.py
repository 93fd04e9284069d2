"""Small statistics and the JSON-lines report format."""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile, linearly interpolated between closest ranks."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys over xs (0.0 for fewer than two points)."""
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    if len(xs) < 2:
        return 0.0
    mean_x = statistics.fmean(xs)
    mean_y = statistics.fmean(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return 0.0
    return (
        sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    )


def ratio(value: float, baseline: float) -> float | None:
    return round(value / baseline, 4) if baseline > 0 else None


def emit(bench: str, figure: str, value: object, **extra: object) -> None:
    """Print one figure as a JSON object on its own line."""
    record: dict[str, object] = {
        "bench": bench,
        "figure": figure,
        "value": _rounded(value),
    }
    record.update({key: _rounded(item) for key, item in extra.items()})
    print(json.dumps(record, ensure_ascii=False), flush=True)


def _rounded(value: object) -> object:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


def note(text: str) -> None:
    """Progress for people, on stderr so stdout stays JSON lines."""
    print(f"bench: {text}", file=sys.stderr, flush=True)
