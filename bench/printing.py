"""``python -m bench print``: rendering a ticket image and its ESC/POS bytes.

Baseline in the same run: Pillow drawing one line of the same CJK text on an
image of the same size and packing it to 1-bit (the floor any renderer pays).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageFont

from bench.stats import emit, median, percentile, ratio
from kiosk.config import default_settings
from kiosk.printing.escpos import escpos_bytes
from kiosk.printing.fonts import find_cjk_font
from kiosk.printing.ticket_image import render_ticket, sample_ticket


def _timed(action: Callable[[], object], count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return times


def run(count: int = 200) -> None:
    settings = default_settings()
    font = find_cjk_font()
    ticket = sample_ticket(settings)
    for width in (384, 576):
        image = render_ticket(ticket, width, font)  # warm the font cache
        face = font.load(width // 16)

        def baseline(
            width: int = width,
            height: int = image.height,
            face: ImageFont.FreeTypeFont = face,
        ) -> None:
            canvas = Image.new("L", (width, height), 255)
            ImageDraw.Draw(canvas).text((8, 8), ticket.station_name, font=face, fill=0)
            canvas.convert("1").tobytes()

        def full(width: int = width) -> None:
            escpos_bytes(render_ticket(ticket, width, font))

        base = _timed(baseline, count)
        times = _timed(full, count)
        emit(
            "print",
            f"render_and_escpos_{width}_p95_ms",
            percentile(times, 95),
            p50_ms=median(times),
            max_ms=max(times),
            samples=count,
            baseline="one line of text on a blank 1-bit image",
            baseline_p95_ms=percentile(base, 95),
            ratio=ratio(percentile(times, 95), percentile(base, 95)),
            target_p95_ms=30,
        )
        emit(
            "print",
            f"escpos_bytes_{width}",
            len(escpos_bytes(image)),
            image_height=image.height,
        )
