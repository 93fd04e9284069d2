"""Stations: their keys, registering and listing them, and counts."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from peewee import IntegrityError

from central.db import CentralDatabase
from central.schemas import STATION_PATTERN
from central.store import audit
from central.store.base import Rejected, now_local

KEY_BYTES = 32  # 256-bit station keys


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def add_station(db: CentralDatabase, code: str, name: str, actor: str = "") -> str:
    """Register a station; returns its new API key (only its hash is kept)."""
    if not re.match(STATION_PATTERN, code):
        raise Rejected(400, f"{code!r}: use 2-8 capital letters or digits, e.g. PHY3")
    name = name.strip()
    if not name or len(name) > 100:
        raise Rejected(400, "the station name must have 1-100 characters")
    key = secrets.token_urlsafe(KEY_BYTES)
    try:
        with db.write():
            db.execute(
                "INSERT INTO station (code, name, key_hash, created_at) "
                "VALUES (?, ?, ?, ?)",
                (code, name, hash_key(key), now_local().isoformat()),
            )
            audit.record(db, actor, "station.add", code, name)
    except IntegrityError as error:
        raise Rejected(409, f"station {code} already exists") from error
    return key


def _change_station(
    db: CentralDatabase,
    code: str,
    actor: str,
    action: str,
    assignment: str,
    value: Any,
) -> None:
    with db.write():
        changed = db.rows(
            f"UPDATE station SET {assignment} = ? WHERE code = ? RETURNING code",
            (value, code),
        )
        if not changed:
            raise Rejected(404, f"no station {code}")
        audit.record(db, actor, action, code)


def set_station_disabled(
    db: CentralDatabase, code: str, disabled: bool, actor: str
) -> None:
    """Refuse (or take again) every request made with the station's key."""
    action = "station.disable" if disabled else "station.enable"
    _change_station(db, code, actor, action, "disabled", 1 if disabled else 0)


def rotate_station_key(db: CentralDatabase, code: str, actor: str) -> str:
    """A new key for the station; the old one stops working at once."""
    key = secrets.token_urlsafe(KEY_BYTES)
    _change_station(db, code, actor, "station.rotate-key", "key_hash", hash_key(key))
    return key


def list_stations(db: CentralDatabase) -> list[dict[str, Any]]:
    return db.dict_rows(
        "SELECT code, name, created_at, disabled FROM station ORDER BY code"
    )


def station_for_key(db: CentralDatabase, key: str) -> str | None:
    """The code of the station this key belongs to, or None."""
    if not key or len(key) > 200:
        return None
    digest = hash_key(key)
    rows = db.rows(
        "SELECT code, key_hash FROM station WHERE key_hash = ? AND disabled = 0",
        (digest,),
    )
    if rows and hmac.compare_digest(rows[0][1], digest):
        return str(rows[0][0])
    return None


def stats(db: CentralDatabase) -> dict[str, int]:
    counts = {}
    for table, name in (("station", "stations"), ("ticket", "tickets")):
        counts[name] = int(db.rows(f"SELECT COUNT(*) FROM {table}")[0][0])
    counts["events"] = int(db.rows("SELECT COUNT(*) FROM event")[0][0])
    return counts
