"""Open311 clients' keys: each files and reads Open311 requests for one
station, and nothing else (the station's sync key is not one of them)."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from central.db import CentralDatabase
from central.store import audit
from central.store.base import Rejected, now_local
from central.store.stations import KEY_BYTES, hash_key

NAME_LIMIT = 100


def add_open311_key(
    db: CentralDatabase, station: str, name: str, actor: str
) -> tuple[int, str]:
    """A new key filing for ``station``: its id and the key (only its hash is
    kept)."""
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise Rejected(400, f"the key's name must have 1-{NAME_LIMIT} characters")
    key = secrets.token_urlsafe(KEY_BYTES)
    with db.write():
        if not db.rows("SELECT 1 FROM station WHERE code = ?", (station,)):
            raise Rejected(404, f"no station {station}")
        key_id = int(
            db.rows(
                "INSERT INTO open311_key (station, name, key_hash, created_at) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (station, name, hash_key(key), now_local().isoformat()),
            )[0][0]
        )
        audit.record(db, actor, "open311-key.add", str(key_id), f"{station} {name}")
    return key_id, key


def list_open311_keys(db: CentralDatabase) -> list[dict[str, Any]]:
    return db.dict_rows(
        "SELECT id, station, name, created_at, disabled FROM open311_key ORDER BY id"
    )


def _change(
    db: CentralDatabase, key_id: int, actor: str, action: str, column: str, value: Any
) -> None:
    with db.write():
        changed = db.rows(
            f"UPDATE open311_key SET {column} = ? WHERE id = ? RETURNING id",
            (value, key_id),
        )
        if not changed:
            raise Rejected(404, f"no Open311 key {key_id}")
        audit.record(db, actor, action, str(key_id))


def set_open311_key_disabled(
    db: CentralDatabase, key_id: int, disabled: bool, actor: str
) -> None:
    action = "open311-key.disable" if disabled else "open311-key.enable"
    _change(db, key_id, actor, action, "disabled", 1 if disabled else 0)


def rotate_open311_key(db: CentralDatabase, key_id: int, actor: str) -> str:
    """A new key in place of the old one, which stops at once."""
    key = secrets.token_urlsafe(KEY_BYTES)
    _change(db, key_id, actor, "open311-key.rotate", "key_hash", hash_key(key))
    return key


def station_for_open311_key(db: CentralDatabase, key: str) -> str | None:
    """The station an enabled Open311 key files for, if that station is
    enabled too; else None."""
    if not key or len(key) > 200:
        return None
    digest = hash_key(key)
    rows = db.rows(
        "SELECT open311_key.station, open311_key.key_hash FROM open311_key "
        "JOIN station ON station.code = open311_key.station "
        "WHERE open311_key.key_hash = ? AND open311_key.disabled = 0 "
        "AND station.disabled = 0",
        (digest,),
    )
    if rows and hmac.compare_digest(rows[0][1], digest):
        return str(rows[0][0])
    return None
