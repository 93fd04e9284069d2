"""The board: every ticket, newest first, by state tab, filters and search."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (
    Checkbox,
    DataTable,
    Input,
    Select,
    Static,
    Tab,
    Tabs,
)

from kiosk.desk import call_next
from kiosk.follow_up import board_labels, status_label
from kiosk.search import (
    SORT_COLUMNS,
    TABS,
    BoardPage,
    BoardQuery,
    board_page,
    change_marker,
    is_number_lookup,
    tab_counts,
    time_left,
)
from screens.staff.audit import AuditScreen
from screens.staff.messages import (
    ActionDone,
    ActionRefused,
    BoardLoaded,
    CountsLoaded,
    DatabaseCommitted,
    DataChanged,
    LoadFailed,
)
from screens.staff.ticket_detail import TicketDetailScreen
from screens.staff.widgets import PlainCheckbox, StaffFooter, StaffHeader
from screens.workers import database_worker

if TYPE_CHECKING:
    from screens.staff.app import StaffApp

# Columns: (key, label, narrowest width, widest width), in the order shown.
# The table takes the widths that fit its terminal (board_columns); in a
# narrow one (80 columns over SSH) the time and the unit give way first, so
# that the ticket number, the building and the time left stay in view.
COLUMNS = (
    ("queue", "排队号", 6, 6),
    ("ticket_no", "工单号", 15, 16),
    ("created", "时间", 11, 11),
    ("category", "类别", 8, 12),
    ("building", "楼栋/位置", 16, 24),
    ("status", "状态", 10, 12),
    ("unit", "责任单位", 8, 14),
    ("due", "剩余时限", 8, 9),
)
# Columns that give way when the terminal is narrow, first to go first.
YIELDING = ("created", "unit")
# Where spare width goes, in turn, up to each column's widest; the rest to
# the building.
WIDENING = ("category", "status", "due", "ticket_no", "unit", "building")
CELL_PADDING = 2  # one column each side of a cell
SORT_ORDER = tuple(key for key, _, _, _ in COLUMNS if key in SORT_COLUMNS)
COLUMN_LABELS = {key: label for key, label, _, _ in COLUMNS}


def board_columns(width: int) -> tuple[tuple[str, str, int], ...]:
    """The columns (key, label, width) that fit ``width`` cells."""
    shown = [key for key, _, _, _ in COLUMNS]
    narrowest = {key: low for key, _, low, _ in COLUMNS}
    widest = {key: high for key, _, _, high in COLUMNS}

    def needed(keys: list[str]) -> int:
        return sum(narrowest[key] + CELL_PADDING for key in keys)

    for key in YIELDING:
        if needed(shown) <= width:
            break
        shown.remove(key)
    widths = {key: narrowest[key] for key in shown}
    spare = width - needed(shown)
    for key in WIDENING:
        if key in widths and spare > 0:
            grow = spare if key == "building" else min(spare, widest[key] - widths[key])
            widths[key] += grow
            spare -= grow
    return tuple(
        (key, label, widths[key]) for key, label, _, _ in COLUMNS if key in widths
    )


TAB_LABELS = {tab_id: label for tab_id, label, _ in TABS}


def building_first(location: str) -> str:
    """The kiosk stores "<grid> <building>": the building leads, so that a
    narrow column still tells 五巷1号楼 from 五巷4号楼."""
    grid, _, building = location.rpartition(" ")
    return f"{building} · {grid}" if grid and building else location


class BoardScreen(Screen[None]):
    """The ticket board; refreshes itself when any process writes."""

    # What the board shows (tab, filters, search, sort, page): every control
    # changes it, and its watcher reads the page, once per change.
    board_query: reactive[BoardQuery] = reactive(BoardQuery(tab="dispatch"), init=False)

    BINDINGS = [
        Binding(
            "enter", "open", "详情", id="open", show=False, tooltip="查看详情和时间线"
        ),
        Binding(
            "n", "call_next", "叫号", id="call-next", tooltip="叫今天的下一个排队号"
        ),
        Binding(
            "slash",
            "focus_search",
            "搜索",
            id="search",
            tooltip="工单号、排队号、类别、描述、楼栋、备注",
        ),
        Binding("s", "cycle_sort", "排序", id="sort", tooltip="按下一列排序"),
        Binding(
            "S",
            "reverse_sort",
            "倒序",
            id="reverse-sort",
            show=False,
            tooltip="反转排序",
        ),
        Binding("o", "toggle_overdue", "仅超时", id="overdue", tooltip="只看超时工单"),
        Binding("right_square_bracket", "next_page", "下一页", id="next-page"),
        Binding("left_square_bracket", "previous_page", "上一页", id="previous-page"),
        Binding(
            "f5", "reload", "刷新", id="reload", show=False, tooltip="重新读取看板"
        ),
        Binding("escape", "clear_search", "清除搜索", id="clear-search", show=False),
        Binding("A", "audit", "审计日志", id="audit", tooltip="站长查看审计日志"),
        *(
            Binding(
                str(number),
                f"tab('{tab_id}')",
                f"标签：{label}",
                id=f"tab-{tab_id}",
                show=False,
                tooltip=f"切换到「{label}」（{number}）",
            )
            for number, (tab_id, label, _) in enumerate(TABS, start=1)
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(BoardScreen.board_query, BoardQuery(tab="dispatch"))
        self.marker: tuple[int, int] = (-1, -1)
        self.page: BoardPage | None = None
        self.labels: dict[str, str] = {}
        self.loading_since = 0.0
        self.columns: tuple[tuple[str, str, int], ...] = ()

    @property
    def staff_app(self) -> StaffApp:
        return cast("StaffApp", self.app)

    def compose(self) -> ComposeResult:
        app = self.staff_app
        yield StaffHeader(app.settings.station.name)
        yield Tabs(
            *(Tab(label, id=f"tab-{tab_id}") for tab_id, label, _ in TABS),
            active="tab-dispatch",
            id="tabs",
        )
        catalog = app.catalog
        with Horizontal(id="filters"):
            yield Select(
                [(Content(c.name), c.code) for c in catalog.categories],
                prompt="全部类别",
                id="filter-category",
            )
            yield Select(
                [(Content(u.name), code) for code, u in catalog.units.items()],
                prompt="全部单位",
                id="filter-unit",
            )
            yield PlainCheckbox("仅超时", id="filter-overdue")
            yield Input(placeholder="搜索 工单号 / 描述 / 楼栋 / 备注", id="search")
        yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
        yield Static(id="board-status")
        yield StaffFooter()

    def on_mount(self) -> None:
        self.lay_out_columns(self.app.size.width)
        self.query_one("#board", DataTable).focus()
        self.staff_app.refresh_header()
        self.reload()
        self.set_interval(self.staff_app.poll_interval, self.poll, name="poll")

    def on_screen_resume(self) -> None:
        self.staff_app.refresh_header()

    def on_resize(self, event: events.Resize) -> None:
        self.lay_out_columns(event.size.width)

    def lay_out_columns(self, width: int) -> None:
        """Give the table the columns that fit (the vertical scrollbar's room
        kept); refill it if they changed."""
        table = self.query_one("#board", DataTable)
        scrollbar = table.styles.scrollbar_size_vertical
        columns = board_columns(width - scrollbar)
        if columns == self.columns:
            return
        self.columns = columns
        table.clear(columns=True)
        for key, label, column_width in columns:
            table.add_column(label, key=key, width=column_width)
        if self.page is not None:
            self.fill(self.page)

    # -- loading ------------------------------------------------------------------

    def reload(self) -> None:
        self.show_status("正在读取…")
        self.load(self.board_query, self.staff_app.now())
        self.load_counts()

    @database_worker(
        group="board",
        description="load a board page",
        failed=LoadFailed,
        language="zh-CN",
    )
    def load(self, query: BoardQuery, now: datetime) -> None:
        page = board_page(query, now)
        labels = board_labels(
            self.staff_app.settings,
            ((row.ticket_no, row.status) for row in page.rows),
            now,
        )
        self.post_message(BoardLoaded(page, change_marker(), labels))

    @database_worker(
        group="counts",
        description="count the tabs",
        failed=LoadFailed,
        language="zh-CN",
    )
    def load_counts(self) -> None:
        self.post_message(CountsLoaded(tab_counts()))

    def poll(self) -> None:
        if self.app.screen is self or self in self.app.screen_stack:
            self.check_changes()

    @on(DatabaseCommitted)
    def database_committed(self) -> None:
        """Some process committed: look now, not at the next poll."""
        self.poll()

    # No failure message: the next poll tries again.
    @database_worker(group="poll", description="look for changes")
    def check_changes(self) -> None:
        self.post_message(DataChanged(change_marker()))

    @on(DataChanged)
    def data_changed(self, message: DataChanged) -> None:
        if message.marker != self.marker and self.marker != (-1, -1):
            self.marker = message.marker
            self.load(self.board_query, self.staff_app.now())
            self.load_counts()
            self.staff_app.read_calls()

    @on(BoardLoaded)
    def board_loaded(self, message: BoardLoaded) -> None:
        if message.page.query != self.board_query:
            return  # an older query answered late
        self.marker = message.marker
        self.page = message.page
        self.labels = message.labels
        self.fill(message.page)

    @on(CountsLoaded)
    def counts_loaded(self, message: CountsLoaded) -> None:
        tabs = self.query_one("#tabs", Tabs)
        for tab_id, label, _ in TABS:
            tab = tabs.query_one(f"#tab-{tab_id}", Tab)
            tab.label = Content(f"{label} {message.counts.get(tab_id, 0)}")

    def fill(self, page: BoardPage) -> None:
        table = self.query_one("#board", DataTable)
        selected = self.selected_ticket()
        now = self.staff_app.now()
        catalog = self.staff_app.catalog
        table.clear()
        for row in page.rows:
            left, overdue = time_left(row.due_at, row.status, now)
            try:
                category = catalog.category(row.category).name
            except KeyError:
                category = row.category
            unit = (
                catalog.units[row.unit].name if row.unit in catalog.units else row.unit
            )
            created = datetime.fromisoformat(row.created_at).astimezone(
                self.staff_app.settings.zone
            )
            cells = {
                "queue": Text(row.queue_no, style="bold"),
                "ticket_no": Text(row.ticket_no),
                # A time the box's clock could not vouch for (kiosk.clock):
                # marked in the column's own width.
                "created": Text(
                    f"{created:%m-%d %H:%M}",
                    style="black on yellow" if row.clock_suspect else "",
                ),
                "category": Text(category),
                "building": Text(building_first(row.building)),
                "status": Text(status_label(row.status, self.labels, row.ticket_no)),
                "unit": Text(unit),
                "due": Text(left, style="bold red" if overdue else ""),
            }
            table.add_row(
                *(cells[key] for key, _, _ in self.columns), key=row.ticket_no
            )
        if selected is not None:
            try:
                table.move_cursor(row=table.get_row_index(selected), animate=False)
            except Exception:  # the ticket left this page
                pass
        self.show_status(self.describe(page))

    def describe(self, page: BoardPage) -> str:
        """The status line: where the rows come from (tab, filters, search),
        which rows these are, the sort, and the keys to page."""
        query = page.query
        catalog = self.staff_app.catalog
        number = query.text.strip() and is_number_lookup(query.text)
        if number:
            parts = [f"按编号“{query.text.strip()}”在全部工单中查找"]
        else:
            parts = [f"「{TAB_LABELS.get(query.tab, query.tab)}」"]
            if query.category:
                try:
                    parts.append(f"类别：{catalog.category(query.category).name}")
                except KeyError:
                    parts.append(f"类别：{query.category}")
            if query.unit:
                unit = catalog.units.get(query.unit)
                parts.append(f"单位：{unit.name if unit else query.unit}")
            if query.overdue:
                parts.append("仅超时")
        if page.matches is not None:
            count = f"至少 {page.matches}" if page.matches_capped else page.matches
            if not number:
                parts.append(f"搜索“{query.text.strip()}”")
            parts.append(f"共 {count} 条")
        first = query.page * query.page_size
        parts.append(f"第 {query.page + 1} 页")
        if page.rows:
            parts.append(f"第 {first + 1}-{first + len(page.rows)} 条")
        else:
            parts.append("没有工单")
        label = COLUMN_LABELS[query.sort if query.sort in SORT_COLUMNS else "created"]
        parts.append(f"按{label}{'倒序' if query.descending else '顺序'}")
        if page.has_more:
            parts.append("] 下一页")
        if query.page:
            parts.append("[ 上一页")
        return " · ".join(parts)

    def show_status(self, text: str) -> None:
        self.query_one("#board-status", Static).update(Content(text))

    def requery(self, **changes: object) -> None:
        changes.setdefault("page", 0)
        self.board_query = dataclasses.replace(self.board_query, **changes)  # type: ignore[arg-type]

    def watch_board_query(self, query: BoardQuery) -> None:
        self.show_status("正在读取…")
        self.load(query, self.staff_app.now())

    def selected_ticket(self) -> str | None:
        table = self.query_one("#board", DataTable)
        if table.row_count == 0:
            return None
        try:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except Exception:
            return None
        return str(row_key.value) if row_key.value is not None else None

    # -- filters ------------------------------------------------------------------

    @on(Tabs.TabActivated, "#tabs")
    def tab_activated(self, message: Tabs.TabActivated) -> None:
        tab_id = (message.tab.id or "tab-all").removeprefix("tab-")
        if tab_id != self.board_query.tab:
            self.requery(tab=tab_id)

    @on(Select.Changed, "#filter-category")
    def category_changed(self, message: Select.Changed) -> None:
        value = "" if message.value is Select.NULL else str(message.value)
        if value != self.board_query.category:
            self.requery(category=value)

    @on(Select.Changed, "#filter-unit")
    def unit_changed(self, message: Select.Changed) -> None:
        value = "" if message.value is Select.NULL else str(message.value)
        if value != self.board_query.unit:
            self.requery(unit=value)

    @on(Checkbox.Changed, "#filter-overdue")
    def overdue_changed(self, message: Checkbox.Changed) -> None:
        if message.value != self.board_query.overdue:
            self.requery(overdue=message.value)

    @on(Input.Changed, "#search")
    def search_changed(self, message: Input.Changed) -> None:
        if message.value.strip() != self.board_query.text.strip():
            self.requery(text=message.value)

    @on(Input.Submitted, "#search")
    def search_submitted(self) -> None:
        self.query_one("#board", DataTable).focus()

    @on(DataTable.HeaderSelected, "#board")
    def header_selected(self, message: DataTable.HeaderSelected) -> None:
        key = str(message.column_key.value)
        if key not in SORT_COLUMNS:
            return
        if key == self.board_query.sort:
            self.requery(descending=not self.board_query.descending)
        else:
            self.requery(sort=key, descending=key == "created")

    @on(DataTable.RowSelected, "#board")
    def row_selected(self, message: DataTable.RowSelected) -> None:
        self.open_ticket(str(message.row_key.value))

    # -- actions ------------------------------------------------------------------

    def open_ticket(self, ticket_no: str) -> None:
        self.app.push_screen(TicketDetailScreen(ticket_no))

    def action_open(self) -> None:
        """Open the selected ticket."""
        ticket_no = self.selected_ticket()
        if ticket_no:
            self.open_ticket(ticket_no)

    def action_tab(self, tab_id: str) -> None:
        self.query_one("#tabs", Tabs).active = f"tab-{tab_id}"

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        self.query_one("#board", DataTable).focus()

    def action_cycle_sort(self) -> None:
        """Sort by the next column."""
        current = self.board_query.sort
        index = SORT_ORDER.index(current) if current in SORT_ORDER else 0
        key = SORT_ORDER[(index + 1) % len(SORT_ORDER)]
        self.requery(sort=key, descending=key == "created")

    def action_reverse_sort(self) -> None:
        self.requery(descending=not self.board_query.descending)

    def action_toggle_overdue(self) -> None:
        checkbox = self.query_one("#filter-overdue", Checkbox)
        checkbox.value = not checkbox.value

    def action_next_page(self) -> None:
        if self.page is not None and self.page.has_more:
            self.requery(page=self.board_query.page + 1)

    def action_previous_page(self) -> None:
        if self.board_query.page > 0:
            self.requery(page=self.board_query.page - 1)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "audit":  # the head's only
            session = self.staff_app.session
            return session is not None and session.is_head
        return True

    def action_audit(self) -> None:
        """The audit log (the station head's)."""
        session = self.staff_app.session
        if session is not None and session.is_head:
            self.app.push_screen(AuditScreen())

    def action_reload(self) -> None:
        self.reload()

    def action_call_next(self) -> None:
        """Call the next queue number to the desk."""
        self.call_next_number()

    @database_worker(
        group="action",
        description="call the next number",
        failed=ActionRefused,
        language="zh-CN",
    )
    def call_next_number(self) -> None:
        app = self.staff_app
        session = app.session
        if session is None:
            return
        called = call_next(app.settings, session, now=app.now())
        if called is None:
            self.post_message(ActionRefused("今天没有待叫的号"))
        else:
            self.post_message(
                ActionDone(f"请 {called.queue_no} 号到前台（{called.ticket_no}）")
            )

    @on(ActionDone)
    def action_done(self, message: ActionDone) -> None:
        self.app.notify(message.notice, title="叫号", markup=False)
        self.staff_app.read_calls()

    @on(ActionRefused)
    def action_refused(self, message: ActionRefused) -> None:
        self.app.notify(message.reason, severity="warning", markup=False)
