"""Textual screens of the station kiosk, one per module."""

from screens.wrapping import install

install()  # Chinese line breaking in every app (screens/wrapping.py)
