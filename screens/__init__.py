"""Textual screens of the station kiosk, one per module."""
