"""QR codes for tickets: the module matrix and its half-block drawing."""

from __future__ import annotations

import sys
import threading
from types import ModuleType

QUIET_ZONE = 4  # modules of light border on every side, as the standard asks


# On screen the code is never scuffed, so low error correction keeps it small
# enough for an 80x24 terminal; paper uses medium.
# (qrcode.constants.ERROR_CORRECT_L and _M; qrcode, which pulls in Pillow, is
# imported only when a code is first made, not when the kiosk starts.)
SCREEN = 1
PAPER = 0


def qr_matrix(
    data: str, *, border: int = QUIET_ZONE, error_correction: int = PAPER
) -> list[list[bool]]:
    """The QR code for ``data`` as rows of modules, True for dark, with border."""
    qrcode = _qrcode()
    code = qrcode.QRCode(error_correction=error_correction, border=border)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


_IMPORT_LOCK = threading.Lock()


def _qrcode() -> ModuleType:
    """qrcode, imported without Pillow where Pillow is not loaded yet.

    qrcode only needs Pillow to draw images; it imports its Pillow module
    drawers "for backwards compatibility" and skips them when Pillow cannot
    be imported. The resident screen's process only needs the module
    matrix, and Pillow would cost it 5 MB for nothing (printing, which draws,
    runs in its own process). Where Pillow is already loaded, qrcode is
    imported as usual.
    """
    with _IMPORT_LOCK:
        if "qrcode" in sys.modules or "PIL" in sys.modules:
            # qrcode loads with the first ticket, off the resident's start
            import qrcode

            return qrcode
        sys.modules["PIL"] = None  # type: ignore[assignment]
        try:
            # without Pillow: see the docstring
            import qrcode
        finally:
            del sys.modules["PIL"]
        return qrcode


QRRows = list[list[tuple[bool, bool]]]


def screen_rows(data: str) -> QRRows:
    """The code for ``data`` as drawn on screen (a few ms: call it off the UI)."""
    return half_block_rows(qr_matrix(data, error_correction=SCREEN))


def half_block_rows(matrix: list[list[bool]]) -> QRRows:
    """Pairs of module rows as cells: (top dark, bottom dark) per character.

    One terminal cell is about twice as tall as wide, so two modules stacked
    in one cell (drawn with the upper half block) keep the code square.
    """
    rows = []
    for y in range(0, len(matrix), 2):
        top = matrix[y]
        bottom = matrix[y + 1] if y + 1 < len(matrix) else [False] * len(top)
        rows.append(list(zip(top, bottom, strict=True)))
    return rows
