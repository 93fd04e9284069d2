"""Peewee models of the station database.

The schema itself is created by the migrations in db/migrations.py; these
models describe it for queries. Times are ISO 8601 strings with the station's
UTC offset, so they sort and read the same everywhere.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Ticket(BaseModel):
    """One resident request, as issued at the kiosk."""

    id = AutoField()
    uuid = CharField(unique=True)
    ticket_no = CharField(unique=True)
    queue_no = CharField()
    station = CharField()
    day = CharField()
    category = CharField()
    item = CharField()
    building = TextField(default="")
    description = TextField(default="")
    contact_name = TextField(null=True)
    contact_mobile = CharField(null=True)
    consent_at = CharField(null=True)
    created_at = CharField()
    status = CharField()
    unit = CharField()
    due_at = CharField()
    token = CharField()
    print_state = CharField(default="none")
    language = CharField(default="zh-CN")
    # Issued under a clock that was behind or skewed (kiosk.clock).
    clock_suspect = BooleanField(default=False)
    clock_skew = FloatField(null=True)


class TicketEvent(BaseModel):
    """Append-only history of a ticket; the status is derived from it."""

    id = AutoField()
    uuid = CharField(unique=True)
    ticket = ForeignKeyField(Ticket, field=Ticket.uuid, column_name="ticket_uuid")
    kind = CharField()
    actor = CharField()
    at = CharField()
    payload = TextField(default="{}")
    origin = CharField(default="station")


class Outbox(BaseModel):
    """Events waiting to reach the central platform."""

    id = AutoField()
    event = ForeignKeyField(
        TicketEvent, field=TicketEvent.uuid, column_name="event_uuid", unique=True
    )
    created_at = CharField()
    attempts = IntegerField(default=0)
    next_attempt_at = CharField(null=True)
    last_error = TextField(null=True)
    sent_at = CharField(null=True)


class DailyCounter(BaseModel):
    """Gap-free daily sequences (ticket numbers, queue numbers per letter)."""

    station = CharField()
    day = CharField()
    scope = CharField()
    value = IntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("station", "day", "scope")


class StaffUser(BaseModel):
    id = AutoField()
    name = CharField(unique=True)
    role = CharField()
    pin_hash = TextField()
    disabled = BooleanField(default=False)
    failed_attempts = IntegerField(default=0)
    locked_until = CharField(null=True)
    created_at = CharField()


class AuditLog(BaseModel):
    id = AutoField()
    at = CharField()
    actor = CharField()
    action = CharField()
    target = TextField(default="")
    detail = TextField(default="")
    # This row's link of the hash chain over the log (see kiosk.accounts).
    chain = CharField(default="")


class KeyValue(BaseModel):
    """Small station state: sync cursor, last successful sync, and the like."""

    key = CharField(primary_key=True)
    value = TextField()


class TicketStatusCount(BaseModel):
    """Tickets per status, kept by triggers (migration 3)."""

    status = CharField(primary_key=True)
    count = IntegerField(default=0)


class QueueCall(BaseModel):
    """A queue number called at the front desk."""

    id = AutoField()
    day = CharField()
    queue_no = CharField()
    ticket = ForeignKeyField(Ticket, field=Ticket.uuid, column_name="ticket_uuid")
    called_at = CharField()
    called_by = CharField()
