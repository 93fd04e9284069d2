"""The kiosk's data files: the service catalog, translations, images.

``ASSETS`` is this folder on disk. The resident kiosk reads its translations
before the first paint: a plain path spares it importlib.resources (about
5 ms of start-up), and the package is always installed as files.
"""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent
