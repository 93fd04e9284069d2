"""The printed ticket as a 1-bit image at the printer's width.

Drawn with Pillow in a real CJK font: the station, the queue number in large
type, the ticket number, the QR code, the check code and one line each on
tracking and personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont

from db import Ticket
from kiosk.catalog import load_catalog
from kiosk.config import Settings
from kiosk.i18n import translate
from kiosk.printing.fonts import FontSpec
from kiosk.qr import PAPER, qr_matrix
from kiosk.tickets import tracking_url
from kiosk.tracking import check_code

MARGIN = 8  # dots of white on each side
MAX_MODULE = 10  # dots per QR module, at most


@dataclass(frozen=True)
class PrintableTicket:
    station_name: str
    queue_no: str
    ticket_no: str
    category: str
    item: str
    created_at: datetime
    url: str
    check_code: str
    language: str


def printable(settings: Settings, ticket: Ticket) -> PrintableTicket:
    catalog = load_catalog()
    language = ticket.language if ticket.language in ("zh-CN", "en") else "zh-CN"
    category = catalog.category(ticket.category)
    station = settings.station
    return PrintableTicket(
        station_name=station.name_en if language == "en" else station.name,
        queue_no=ticket.queue_no,
        ticket_no=ticket.ticket_no,
        category=category.label(language),
        item=category.item(ticket.item).label(language),
        created_at=datetime.fromisoformat(ticket.created_at),
        url=tracking_url(settings, ticket.ticket_no, ticket.token),
        check_code=check_code(ticket.token),
        language=language,
    )


def sample_ticket(settings: Settings) -> PrintableTicket:
    token = "SAMPLE-not-a-real-ticket"
    ticket_no = f"{settings.station.code}-000000-000"
    return PrintableTicket(
        station_name=settings.station.name,
        queue_no="B000",
        ticket_no=ticket_no,
        category="房屋设施报修",
        item="屋顶漏水（测试页）",
        created_at=datetime.now(settings.zone).replace(microsecond=0),
        url=tracking_url(settings, ticket_no, token),
        check_code=check_code(token),
        language="zh-CN",
    )


# -- drawing ----------------------------------------------------------------


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    """Break text into lines that fit ``width``; CJK breaks between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if draw.textlength(line + char, font=font) <= width:
                line += char
                continue
            # Prefer breaking Latin text at the last space.
            cut = line.rfind(" ")
            if char != " " and cut > 0 and line[cut + 1 :].isascii():
                lines.append(line[:cut])
                line = line[cut + 1 :] + char
            else:
                lines.append(line)
                line = char.lstrip()
        lines.append(line)
    return lines


def render_ticket(ticket: PrintableTicket, width: int, font: FontSpec) -> Image.Image:
    """The ticket as a 1-bit image ``width`` dots wide."""
    if width % 8:
        raise ValueError("the printer width must be a multiple of 8 dots")
    inner = width - 2 * MARGIN
    base = max(16, width // 16)
    small = font.load(int(base * 0.8))
    normal = font.load(base)
    big = font.load(width // 4)
    t = ticket.language

    # Draw on a tall canvas, then crop to what was used.
    canvas = Image.new("L", (width, width * 4), 255)
    draw = ImageDraw.Draw(canvas)
    y = MARGIN

    def text_block(
        text: str, face: ImageFont.FreeTypeFont, *, center: bool = False, gap: int = 4
    ) -> None:
        nonlocal y
        for line in _wrap(draw, text, face, inner):
            left = MARGIN
            if center:
                left = (width - int(draw.textlength(line, font=face))) // 2
            draw.text((left, y), line, font=face, fill=0)
            ascent, descent = face.getmetrics()
            y += ascent + descent + gap

    def rule() -> None:
        nonlocal y
        draw.line((MARGIN, y + 4, width - MARGIN, y + 4), fill=0, width=2)
        y += 12

    text_block(ticket.station_name, normal, center=True)
    rule()
    text_block(translate(t, "print.queue_label"), small, center=True)
    text_block(ticket.queue_no, big, center=True, gap=0)
    text_block(translate(t, "print.ticket_no", ticket_no=ticket.ticket_no), normal)
    text_block(f"{ticket.category} · {ticket.item}", normal)
    text_block(f"{ticket.created_at:%Y-%m-%d %H:%M}", normal)
    rule()

    matrix = qr_matrix(ticket.url, error_correction=PAPER)
    module = min(MAX_MODULE, width // len(matrix))
    size = module * len(matrix)
    modules = Image.new("L", (len(matrix), len(matrix)), 255)
    modules.putdata([0 if dark else 255 for row in matrix for dark in row])
    # Integer scaling with nearest-neighbour keeps every module square and sharp.
    canvas.paste(
        modules.resize((size, size), Image.Resampling.NEAREST), ((width - size) // 2, y)
    )
    y += size + 4
    text_block(
        translate(t, "print.check_code", code=ticket.check_code), normal, center=True
    )
    text_block(translate(t, "print.how_to_track"), small)
    text_block(translate(t, "print.privacy"), small)
    y += MARGIN
    cropped = canvas.crop((0, 0, width, y))
    return cropped.point(lambda value: 255 if value >= 128 else 0).convert("1")
