"""Tickets filed through Open311 for a station."""

from __future__ import annotations

import json
import secrets
import uuid as uuid_module
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from central.db import CentralDatabase
from central.schemas import TicketSnapshot
from central.store.base import StoreUnavailable, now_local, run_write
from central.store.rows import (
    CENTRAL_ORIGIN,
    TICKET_COLUMNS,
    TICKET_WIDTH,
    insert_events,
    placeholders,
    ticket_values,
    with_public_id,
)
from kiosk.catalog import OTHER_ITEM, Catalog, load_catalog

TOKEN_BYTES = 16  # 128-bit tracking tokens, as on the station
MOST_SKIPPED = 1000  # W numbers a station may have taken on one day


@dataclass(frozen=True)
class NewRequest:
    station: str
    category: str
    item: str
    building: str
    description: str
    contact_name: str | None
    contact_mobile: str | None
    language: str
    lat: float | None
    lon: float | None


def file_request(
    db: CentralDatabase, request: NewRequest, catalog: Catalog | None = None
) -> dict[str, Any]:
    """A ticket filed through Open311 for a station; reaches it on its next pull."""
    catalog = catalog or load_catalog()
    category = catalog.category(request.category)
    category.item(request.item or OTHER_ITEM)
    moment = now_local()
    ticket_uuid = str(uuid_module.uuid4())

    day = moment.strftime("%Y-%m-%d")

    def next_number() -> str:
        serial = db.rows(
            "INSERT INTO counter (station, day, value) VALUES (?, ?, 1) "
            "ON CONFLICT (station, day) DO UPDATE SET value = counter.value + 1 "
            "RETURNING value",
            (request.station, day),
        )[0][0]
        return f"{request.station}-{moment:%y%m%d}-W{int(serial):03d}"

    def snapshot_for(ticket_no: str) -> dict[str, Any]:
        return {
            "ticket_no": ticket_no,
            "queue_no": "",
            "station": request.station,
            "category": category.code,
            "item": request.item or OTHER_ITEM,
            "building": request.building,
            "description": request.description,
            "contact_name": request.contact_name,
            "contact_mobile": request.contact_mobile,
            "created_at": moment.isoformat(),
            "unit": category.unit,
            "due_at": (moment + timedelta(hours=category.resolution_hours)).isoformat(),
            "token": secrets.token_urlsafe(TOKEN_BYTES),
            "language": request.language,
        }

    def inserted(snapshot: dict[str, Any]) -> bool:
        values = with_public_id(
            ticket_values(
                ticket_uuid,
                TicketSnapshot.model_validate(snapshot),
                "open311",
                moment.isoformat(),
                lat=request.lat,
                lon=request.lon,
            )
        )
        public_ids.append(values[-1])
        return bool(
            db.rows(
                f"INSERT INTO ticket ({TICKET_COLUMNS}) "
                f"VALUES {placeholders(TICKET_WIDTH)} "
                "ON CONFLICT (ticket_no) DO NOTHING RETURNING uuid",
                values,
            )
        )

    public_ids: list[str] = []

    def work() -> dict[str, Any]:
        # A W number a station took for a ticket of its own is skipped.
        for _ in range(MOST_SKIPPED + 1):
            snapshot = snapshot_for(next_number())
            if inserted(snapshot):
                break
        else:
            raise StoreUnavailable("no free Open311 ticket number; try again")
        insert_events(
            db,
            [
                (
                    str(uuid_module.uuid4()),
                    ticket_uuid,
                    snapshot["ticket_no"],
                    request.station,
                    "received",
                    f"open311:{request.station}",
                    moment.isoformat(),
                    json.dumps(snapshot, ensure_ascii=False),
                    CENTRAL_ORIGIN,
                    moment.isoformat(),
                )
            ],
        )
        return {"uuid": ticket_uuid, "public_id": public_ids[-1], **snapshot}

    return run_write(db, work)
