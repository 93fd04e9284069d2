"""The station database: peewee models, connection set-up and migrations."""

from __future__ import annotations

from db.connection import DatabaseUnavailable, open_database, write_transaction
from db.models import (
    AuditLog,
    DailyCounter,
    KeyValue,
    Outbox,
    StaffUser,
    Ticket,
    TicketEvent,
    database,
)

__all__ = [
    "AuditLog",
    "DailyCounter",
    "DatabaseUnavailable",
    "KeyValue",
    "Outbox",
    "StaffUser",
    "Ticket",
    "TicketEvent",
    "database",
    "open_database",
    "write_transaction",
]
