"""``python -m central``: the same as ``kiosk-central``."""

from __future__ import annotations

from central.cli import main

raise SystemExit(main())
