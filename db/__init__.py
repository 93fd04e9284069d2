"""The station database: peewee models, connection set-up and migrations.

The names below load on first use (PEP 562), so that ``db.files`` and
``db.migrations`` can be imported without peewee: the resident kiosk paints
its first screen before it loads peewee (see db/deferred.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.connection import open_database, write_transaction
    from db.files import DatabaseUnavailable
    from db.models import (
        AuditLog,
        DailyCounter,
        KeyValue,
        Outbox,
        QueueCall,
        StaffUser,
        Ticket,
        TicketEvent,
        TicketStatusCount,
        database,
    )

_HOMES = {
    "AuditLog": "db.models",
    "DailyCounter": "db.models",
    "KeyValue": "db.models",
    "Outbox": "db.models",
    "QueueCall": "db.models",
    "StaffUser": "db.models",
    "Ticket": "db.models",
    "TicketEvent": "db.models",
    "TicketStatusCount": "db.models",
    "database": "db.models",
    "DatabaseUnavailable": "db.files",
    "open_database": "db.connection",
    "write_transaction": "db.connection",
}

__all__ = [
    "AuditLog",
    "DailyCounter",
    "DatabaseUnavailable",
    "KeyValue",
    "Outbox",
    "QueueCall",
    "StaffUser",
    "Ticket",
    "TicketEvent",
    "TicketStatusCount",
    "database",
    "open_database",
    "write_transaction",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'db' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
