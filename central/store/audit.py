"""The audit log: who changed which key, and when. Never a key itself."""

from __future__ import annotations

from typing import Any

from central.db import CentralDatabase
from central.store.base import now_local


def record(
    db: CentralDatabase, actor: str, action: str, subject: str, detail: str = ""
) -> None:
    """One entry, written inside the caller's transaction."""
    db.execute(
        "INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (now_local().isoformat(), actor, action, subject, detail),
    )


def entries(db: CentralDatabase) -> list[dict[str, Any]]:
    """The whole log, oldest first."""
    return db.dict_rows(
        "SELECT at, actor, action, subject, detail FROM audit ORDER BY id"
    )
