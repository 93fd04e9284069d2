"""Turning an ESC/POS byte stream back into the image it prints (for tests)."""

from __future__ import annotations

from PIL import Image


def escpos_to_image(data: bytes) -> Image.Image:
    """Stack every ``GS v 0`` raster band; other commands must be known ones."""
    bands: list[Image.Image] = []
    width = 0
    position = 0
    while position < len(data):
        if data.startswith(b"\x1b@", position):  # ESC @
            position += 2
        elif data.startswith(b"\x1dv0", position):  # GS v 0 m xL xH yL yH
            header = data[position + 4 : position + 8]
            row_bytes = header[0] | header[1] << 8
            rows = header[2] | header[3] << 8
            body = data[position + 8 : position + 8 + row_bytes * rows]
            assert len(body) == row_bytes * rows, "truncated raster"
            width = row_bytes * 8
            inverted = bytes(255 - b for b in body)  # ESC/POS: 1 = black
            bands.append(Image.frombytes("1", (width, rows), inverted))
            position += 8 + len(body)
        elif data.startswith(b"\x1bd", position):  # ESC d n
            position += 3
        elif data.startswith(b"\x1dVB", position):  # GS V 66 n
            position += 4
        else:
            raise AssertionError(f"unexpected byte {data[position]:#x} at {position}")
    height = sum(band.height for band in bands)
    image = Image.new("1", (width, height), 1)
    top = 0
    for band in bands:
        image.paste(band, (0, top))
        top += band.height
    return image
