"""The one exception the ``kiosk`` commands raise; printed by kiosk.cli.main."""

from __future__ import annotations


class CommandError(Exception):
    """A command could not do its work; the message is for the person."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code
