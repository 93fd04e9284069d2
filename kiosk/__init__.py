"""The station kiosk: walk-in requests in, QR-coded tickets out."""

from __future__ import annotations

__version__ = "0.1.0"
