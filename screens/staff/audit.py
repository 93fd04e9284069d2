"""The audit log for the station head: who did what, when, newest first."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from kiosk.accounts import AuditFilter, read_audit
from kiosk.redaction import redact
from screens.staff.messages import AuditLoaded, LoadFailed
from screens.staff.widgets import StaffFooter, StaffHeader
from screens.workers import database_worker

if TYPE_CHECKING:
    from screens.staff.app import StaffApp

AUDIT_ROWS = 500


class AuditScreen(Screen[None]):
    """The newest audit rows; the filter narrows them by name, action or
    ticket (one word each, all must match)."""

    BINDINGS = [
        Binding("escape", "back", "返回", id="audit-back"),
        Binding("slash", "focus_filter", "筛选", id="audit-filter"),
    ]

    @property
    def staff_app(self) -> StaffApp:
        return cast("StaffApp", self.app)

    def compose(self) -> ComposeResult:
        yield StaffHeader(self.staff_app.settings.station.name)
        yield Input(placeholder="筛选：用户名 / 操作 / 工单号", id="audit-filter")
        table: DataTable[object] = DataTable(id="audit", cursor_type="row")
        table.add_column("时间", key="at", width=19)
        table.add_column("操作人", key="actor", width=16)
        table.add_column("操作", key="action", width=16)
        table.add_column("对象", key="target", width=18)
        table.add_column("内容", key="detail")
        yield table
        yield Static(id="audit-status")
        yield StaffFooter()

    def on_mount(self) -> None:
        self.staff_app.refresh_header()
        self.query_one("#audit", DataTable).focus()
        self.load("")

    @database_worker(
        group="audit-view",
        description="read the audit log",
        failed=LoadFailed,
        language="zh-CN",
    )
    def load(self, text: str) -> None:
        rows = read_audit(AuditFilter(limit=AUDIT_ROWS))
        words = text.split()
        if words:
            rows = [
                row
                for row in rows
                if all(
                    word in f"{row['actor']} {row['action']} {row['target']}"
                    for word in words
                )
            ]
        self.post_message(AuditLoaded(rows))

    @on(AuditLoaded)
    def loaded(self, message: AuditLoaded) -> None:
        table = self.query_one("#audit", DataTable)
        table.clear()
        zone = self.staff_app.settings.zone
        for row in message.rows:
            moment = datetime.fromisoformat(str(row["at"])).astimezone(zone)
            detail = redact(row["detail"])
            table.add_row(
                Text(f"{moment:%Y-%m-%d %H:%M:%S}"),
                Text(str(row["actor"])),
                Text(str(row["action"])),
                Text(str(row["target"])),
                Text(json.dumps(detail, ensure_ascii=False) if detail else ""),
            )
        status = self.query_one("#audit-status", Static)
        status.update(Text(f"最近 {AUDIT_ROWS} 条中 {len(message.rows)} 条 · Esc 返回"))

    @on(Input.Changed, "#audit-filter")
    def filter_changed(self, message: Input.Changed) -> None:
        self.load(message.value)

    @on(Input.Submitted, "#audit-filter")
    def filter_submitted(self) -> None:
        self.query_one("#audit", DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#audit-filter", Input).focus()

    def action_back(self) -> None:
        self.dismiss(None)
