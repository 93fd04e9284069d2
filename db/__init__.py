"""The station database: peewee models, connection set-up and migrations."""

from __future__ import annotations

from db.connection import DatabaseUnavailable, open_database, write_transaction
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
