"""ESC/POS for a 1-bit image: raster bands (``GS v 0``), feed and cut."""

from __future__ import annotations

from PIL import Image

BAND_ROWS = 256  # rows per GS v 0 command: older printers cap one raster
_INVERT = bytes(255 - value for value in range(256))


def escpos_bytes(image: Image.Image) -> bytes:
    """ESC/POS for a 1-bit image: initialise, raster bands, feed and cut."""
    image = image.convert("1")
    width, height = image.size
    row_bytes = width // 8
    # Pillow packs 1-bit rows MSB first with 1 = white; ESC/POS wants 1 = black.
    packed = image.tobytes().translate(_INVERT)
    out = bytearray(b"\x1b@")  # ESC @: initialise
    for top in range(0, height, BAND_ROWS):
        rows = min(BAND_ROWS, height - top)
        out += b"\x1dv0\x00"  # GS v 0, normal density
        out += bytes((row_bytes & 0xFF, row_bytes >> 8, rows & 0xFF, rows >> 8))
        out += packed[top * row_bytes : (top + rows) * row_bytes]
    out += b"\x1bd\x04"  # ESC d 4: feed four lines
    out += b"\x1dVB\x00"  # GS V 66 0: feed and partial cut
    return bytes(out)
