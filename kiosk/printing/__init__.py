"""Printed tickets.

- ``ticket_image``: the ticket as a 1-bit image (Pillow, a CJK font);
- ``escpos``: that image as ESC/POS raster bytes;
- ``backends``: where it goes (PNG files, a device, a socket, CUPS);
- ``fonts``: finding a font with Chinese glyphs;
- ``printer``: print a stored ticket and record its print state;
- ``process``: the kiosk's printing in a helper process, so the resident
  screen never loads Pillow; ``outcome``: what it answers.
"""
