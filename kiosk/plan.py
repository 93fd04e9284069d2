"""The monthly governance plan (月度重点治理计划): items the head draws from
hot spots or adds, each with its tickets, unit, target date, status and
result; the month's plan with what came of last month's (docs/reports.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from db import database, write_transaction
from kiosk.catalog import Catalog
from kiosk.errors import Refused
from kiosk.reports import month_period, previous_month
from kiosk.states import TERMINAL
from kiosk.text import clean_text

PLAN_STATUSES = ("open", "in_progress", "done", "dropped")
PLAN_STATUS_NAMES = {
    "open": "未开始",
    "in_progress": "推进中",
    "done": "已完成",
    "dropped": "已取消",
}
TITLE_LIMIT = 100
RESULT_LIMIT = 500
MONTH = re.compile(r"^\d{4}-\d{2}$")


class PlanError(Refused):
    """A plan change refused, with what to do."""


@dataclass(frozen=True)
class PlanItem:
    id: int
    month: str
    title: str
    unit: str
    target_date: str
    status: str
    result: str
    source: str
    tickets: tuple[str, ...]  # ticket numbers
    tickets_finished: int  # closed or withdrawn

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "month": self.month,
            "title": self.title,
            "unit": self.unit,
            "target_date": self.target_date,
            "status": self.status,
            "result": self.result,
            "source": self.source,
            "tickets": list(self.tickets),
            "tickets_finished": self.tickets_finished,
        }


def _month(month: str, zone: Any) -> str:
    try:
        if not MONTH.match(month):
            raise ValueError(month)
        month_period(month, zone)
    except ValueError:
        raise PlanError(f"{month!r} 不是月份，请写成 YYYY-MM，例如 2026-11") from None
    return month


def _ticket_uuids(ticket_nos: Sequence[str]) -> list[str]:
    uuids = []
    for number in ticket_nos:
        row = database.execute_sql(
            "SELECT uuid FROM ticket WHERE ticket_no = ?", (number,)
        ).fetchone()
        if row is None:
            raise PlanError(f"没有工单 {number}")
        uuids.append(str(row[0]))
    return uuids


def add_item(
    month: str,
    title: str,
    unit: str,
    *,
    catalog: Catalog,
    zone: Any,
    actor: str,
    now: datetime,
    target_date: str = "",
    tickets: Sequence[str] = (),
    source: str = "",
) -> int:
    """A new plan item for ``month``; returns its id."""
    _month(month, zone)
    cleaned = clean_text(title, TITLE_LIMIT)
    if not cleaned:
        raise PlanError("请填写计划事项的标题")
    if unit not in catalog.units:
        raise PlanError(f"未知单位 {unit}；可选：{', '.join(catalog.units)}")
    if target_date:
        try:
            date.fromisoformat(target_date)
        except ValueError:
            raise PlanError(f"目标日期 {target_date!r} 请写成 YYYY-MM-DD") from None
    stamp = now.isoformat()
    with write_transaction():
        uuids = _ticket_uuids(tickets)
        cursor = database.execute_sql(
            "INSERT INTO plan_item (month, title, unit, target_date, source, "
            "created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (month, cleaned, unit, target_date, source, stamp, actor, stamp),
        )
        item_id = int(cursor.lastrowid)
        for ticket_uuid in uuids:
            database.execute_sql(
                "INSERT OR IGNORE INTO plan_ticket (plan_item, ticket_uuid) "
                "VALUES (?, ?)",
                (item_id, ticket_uuid),
            )
    return item_id


def link(item_id: int, tickets: Sequence[str], *, now: datetime) -> None:
    """Add tickets to a plan item (a ticket already linked stays once)."""
    with write_transaction():
        _exists(item_id)
        for ticket_uuid in _ticket_uuids(tickets):
            database.execute_sql(
                "INSERT OR IGNORE INTO plan_ticket (plan_item, ticket_uuid) "
                "VALUES (?, ?)",
                (item_id, ticket_uuid),
            )
        database.execute_sql(
            "UPDATE plan_item SET updated_at = ? WHERE id = ?",
            (now.isoformat(), item_id),
        )


def update(
    item_id: int, *, now: datetime, status: str | None = None, result: str | None = None
) -> None:
    """Change a plan item's status and, or, its result."""
    if status is not None and status not in PLAN_STATUSES:
        raise PlanError(f"状态只能是 {', '.join(PLAN_STATUSES)}")
    with write_transaction():
        _exists(item_id)
        if status is not None:
            database.execute_sql(
                "UPDATE plan_item SET status = ? WHERE id = ?", (status, item_id)
            )
        if result is not None:
            database.execute_sql(
                "UPDATE plan_item SET result = ? WHERE id = ?",
                (clean_text(result, RESULT_LIMIT, multiline=True), item_id),
            )
        database.execute_sql(
            "UPDATE plan_item SET updated_at = ? WHERE id = ?",
            (now.isoformat(), item_id),
        )


def _exists(item_id: int) -> None:
    row = database.execute_sql(
        "SELECT 1 FROM plan_item WHERE id = ?", (item_id,)
    ).fetchone()
    if row is None:
        raise PlanError(f"没有计划事项 {item_id}")


def items(month: str, zone: Any) -> list[PlanItem]:
    """The month's plan items, in the order they were added, with their
    tickets and how many of them are finished."""
    _month(month, zone)
    finished = tuple(sorted(TERMINAL))
    marks = ", ".join("?" for _ in finished)
    rows = database.execute_sql(
        "SELECT id, month, title, unit, target_date, status, result, source "
        "FROM plan_item WHERE month = ? ORDER BY id",
        (month,),
    ).fetchall()
    found = []
    for row in rows:
        linked = database.execute_sql(
            f"SELECT t.ticket_no, t.status IN ({marks}) FROM plan_ticket p "
            "JOIN ticket t ON t.uuid = p.ticket_uuid WHERE p.plan_item = ? "
            "ORDER BY t.ticket_no",
            (*finished, row[0]),
        ).fetchall()
        found.append(
            PlanItem(
                id=int(row[0]),
                month=str(row[1]),
                title=str(row[2]),
                unit=str(row[3]),
                target_date=str(row[4]),
                status=str(row[5]),
                result=str(row[6]),
                source=str(row[7]),
                tickets=tuple(str(number) for number, _ in linked),
                tickets_finished=sum(1 for _, done in linked if done),
            )
        )
    return found


def plan_of_ticket(ticket_no: str) -> list[tuple[int, str, str]]:
    """The plan items a ticket belongs to: (id, month, title)."""
    return [
        (int(item_id), str(month), str(title))
        for item_id, month, title in database.execute_sql(
            "SELECT i.id, i.month, i.title FROM plan_item i "
            "JOIN plan_ticket p ON p.plan_item = i.id "
            "JOIN ticket t ON t.uuid = p.ticket_uuid WHERE t.ticket_no = ? "
            "ORDER BY i.id",
            (ticket_no,),
        )
    ]


def plan_page(month: str, zone: Any) -> dict[str, Any]:
    """The month's plan and what came of last month's, as one document."""
    return {
        "month": month,
        "items": [item.as_dict() for item in items(month, zone)],
        "previous_month": previous_month(month),
        "previous": [item.as_dict() for item in items(previous_month(month), zone)],
    }
