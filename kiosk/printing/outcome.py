"""What became of a print job; light enough for the resident process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PrintOutcome:
    ok: bool
    detail: str
    recorded: bool = True  # False: the print state still has to be saved
