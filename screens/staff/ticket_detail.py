"""One ticket: its fields, the full timeline, and every action on it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Static

from kiosk import accounts, desk
from kiosk.search import (
    LikelyOriginal,
    TicketDetail,
    change_marker,
    likely_originals,
    ticket_detail,
    time_left,
)
from kiosk.states import (
    ALLOWED_FROM,
    RATING_NAMES,
    RATINGS,
    RESIDENT_ACTOR,
    SOLVED_NAMES,
    STATUS_NAMES,
    WITHDRAW_REASONS,
    TransitionError,
)
from kiosk.tickets import mask_mobile
from screens.staff.forms import ChoiceForm, ConfirmForm, InfoForm, TextForm
from screens.staff.messages import (
    ActionBusy,
    ActionDone,
    ActionRefused,
    DatabaseCommitted,
    DataChanged,
    DetailLoaded,
    LoadFailed,
)
from screens.staff.widgets import StaffFooter, StaffHeader
from screens.workers import database_worker

if TYPE_CHECKING:
    from screens.staff.app import StaffApp

EVENT_NAMES = {
    "received": "受理",
    "dispatched": "吹哨派单",
    "acknowledged": "单位报到",
    "resolved": "办结",
    "escalated": "上报街道",
    "callback": "回访",
    "callback_attempt": "回访未接通",
    "withdrawn": "撤销",
    "note": "备注",
    "unit_rated": "单位评价",
    "purged": "到期清除",
}
# Actions checked against the state machine, and the event each one writes.
ACTION_KINDS = {
    "dispatch": "dispatched",
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "escalate": "escalated",
    "call_back": "callback",
    "withdraw": "withdrawn",
    "rate_unit": "unit_rated",
}
# The timeline's columns before its text: (key, label, width).
TIMELINE_COLUMNS = (("at", "时间", 16), ("kind", "事件", 8), ("actor", "操作人", 16))
MIN_TEXT_WIDTH = 20
WITHDRAW_NAMES = {
    "duplicate": "重复工单",
    "out_of_scope": "不属受理范围",
    "resident_withdrew": "居民撤回",
}


# A text action: (notice, action, form title, placeholder, what is asked).
TextAction = tuple[str, Callable[..., Any], str, str, str]


def actor_name(actor: str) -> str:
    """Who made an event, for the timeline."""
    if actor == RESIDENT_ACTOR:
        return "居民（手机）"
    return actor


def event_name(kind: str, actor: str) -> str:
    """An event's name on the timeline; a resident's note is 补充说明."""
    if kind == "note" and actor == RESIDENT_ACTOR:
        return "补充说明"
    return EVENT_NAMES.get(kind, kind)


def callback_tries(detail: TicketDetail) -> int:
    """Calls that reached nobody since the ticket was last resolved."""
    tries = 0
    for entry in detail.timeline:
        if entry.kind == "resolved":
            tries = 0
        elif entry.kind == "callback_attempt":
            tries += 1
    return tries


class TicketDetailScreen(Screen[None]):
    """Detail view of one ticket; Esc goes back to the board."""

    BINDINGS = [
        Binding("escape", "back", "返回", id="back", tooltip="返回看板"),
        Binding("d", "dispatch", "派单", id="dispatch", tooltip="吹哨派单给责任单位"),
        Binding("a", "acknowledge", "报到", id="acknowledge", tooltip="记录单位报到"),
        Binding("m", "note", "备注", id="note", tooltip="添加备注"),
        Binding("r", "resolve", "办结", id="resolve", tooltip="填写办结情况"),
        Binding("e", "escalate", "上报", id="escalate", tooltip="上报街道"),
        Binding("c", "call_back", "回访", id="call-back", tooltip="回访并记录评价"),
        Binding(
            "w",
            "withdraw",
            "撤销",
            id="withdraw",
            tooltip="重复 / 不属受理范围 / 居民撤回",
        ),
        Binding("p", "reprint", "补打", id="reprint", tooltip="补打凭条"),
        Binding(
            "v", "reveal", "看号码", id="reveal", tooltip="查看完整手机号（记入审计）"
        ),
        Binding("u", "rate_unit", "评价", id="rate-unit", tooltip="站长评价处置单位"),
    ]

    def __init__(self, ticket_no: str) -> None:
        super().__init__()
        self.ticket_no = ticket_no
        self.detail: TicketDetail | None = None
        self.units: list[str] = []
        self.originals: tuple[LikelyOriginal, ...] = ()
        self.marker: tuple[int, int] | None = None
        self.text_width = 0  # the timeline's text column (lay_out_timeline)
        # The text action in flight and what was typed, kept until written.
        self.retry: tuple[TextAction, str] | None = None

    @property
    def staff_app(self) -> StaffApp:
        return cast("StaffApp", self.app)

    def compose(self) -> ComposeResult:
        yield StaffHeader(self.staff_app.settings.station.name)
        yield Static(Content(f"{self.ticket_no}  正在读取…"), id="ticket-head")
        with VerticalScroll(id="ticket-fields"):
            for key in (
                "what",
                "where",
                "description",
                "contact",
                "times",
                "duplicates",
            ):
                yield Static(id=f"field-{key}")
        yield Static(Content("时间线"), id="timeline-title")
        yield DataTable(id="timeline", cursor_type="row")
        yield StaffFooter()

    def on_mount(self) -> None:
        self.staff_app.refresh_header()
        self.lay_out_timeline(self.app.size.width)
        self.query_one("#timeline", DataTable).focus()
        self.load()
        self.set_interval(self.staff_app.poll_interval, self.poll, name="poll")

    # -- what the ticket's state allows ------------------------------------------

    def refused_now(self, action: str) -> str:
        """Why ``action`` would be refused on the ticket as shown ('' if it
        would not): the footer and the palette leave such actions out."""
        kind = ACTION_KINDS.get(action)
        if kind is None:
            return ""
        if self.detail is None:
            return "正在读取工单…"
        session = self.staff_app.session
        if kind == "unit_rated" and (session is None or not session.is_head):
            return "只有站长可以评价处置单位"
        status = self.detail.status
        if status not in ALLOWED_FROM[kind]:
            return desk.refusal(kind, status, TransitionError(kind, status, ""))
        if kind == "unit_rated" and not self.units:
            return "此工单尚未派单，没有可评价的单位"
        return ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not self.refused_now(action)

    def on_key(self, event: events.Key) -> None:
        """A key of an action the state refuses says why, asking for nothing."""
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            reason = self.refused_now(binding.action)
            if reason:
                event.stop()
                self.app.notify(reason, title="未执行", severity="error", markup=False)
                return

    # -- following changes made elsewhere -------------------------------------

    def poll(self) -> None:
        if self.app.screen is self or self in self.app.screen_stack:
            self.check_changes()

    @on(DatabaseCommitted)
    def database_committed(self) -> None:
        """Some process committed: look now, not at the next poll."""
        self.poll()

    # No failure message: the next poll tries again.
    @database_worker(group="detail-poll", description="look for ticket changes")
    def check_changes(self) -> None:
        self.post_message(DataChanged(change_marker()))

    @on(DataChanged)
    def data_changed(self, message: DataChanged) -> None:
        """Another desk, the kiosk or the central wrote: read the ticket again."""
        if self.marker is not None and message.marker != self.marker:
            self.load()
        self.marker = message.marker

    def on_screen_resume(self) -> None:
        self.staff_app.refresh_header()

    def on_resize(self, event: events.Resize) -> None:
        self.lay_out_timeline(event.size.width)

    def lay_out_timeline(self, width: int) -> None:
        """The timeline's text column takes the width left, and its rows
        grow to wrap a long note: nothing needs sideways scrolling."""
        table = self.query_one("#timeline", DataTable)
        # The table's margins and its vertical scrollbar.
        room = width - 2 - table.styles.scrollbar_size_vertical
        fixed = sum(column_width + 2 for _, _, column_width in TIMELINE_COLUMNS)
        text_width = max(MIN_TEXT_WIDTH, room - fixed - 2)
        if text_width == self.text_width:
            return
        self.text_width = text_width
        table.clear(columns=True)
        for key, label, column_width in TIMELINE_COLUMNS:
            table.add_column(label, key=key, width=column_width)
        table.add_column("内容", key="text", width=text_width)
        if self.detail is not None:
            self.fill_timeline(self.detail)

    # -- loading ------------------------------------------------------------------

    @database_worker(
        group="detail",
        description="load a ticket",
        failed=LoadFailed,
        language="zh-CN",
    )
    def load(self) -> None:
        detail = ticket_detail(self.ticket_no)
        units = desk.dispatched_units(self.ticket_no) if detail else []
        originals = likely_originals(self.ticket_no) if detail else ()
        self.post_message(DetailLoaded(detail, units, originals))

    @on(DetailLoaded)
    def detail_loaded(self, message: DetailLoaded) -> None:
        detail = message.detail
        if detail is None:
            self.query_one("#ticket-head", Static).update(
                Content(f"没有工单 {self.ticket_no}")
            )
            return
        self.detail = detail
        self.units = message.units
        self.originals = message.originals
        self.show(detail)
        self.refresh_bindings()  # the footer offers what the state allows

    def unit_name(self, code: str) -> str:
        unit = self.staff_app.catalog.units.get(code)
        return unit.name if unit else code

    def show(self, detail: TicketDetail) -> None:
        app = self.staff_app
        now = app.now()
        left, overdue = time_left(detail.due_at, detail.status, now)
        status = STATUS_NAMES.get(detail.status, (detail.status,))[0]
        head = Content.assemble(
            (detail.queue_no, "bold"),
            "  ",
            detail.ticket_no,
            "  ",
            (status, "bold"),
            "  ",
            self.unit_name(detail.unit),
            "  剩余时限 ",
            (left, "bold red" if overdue else ""),
        )
        self.query_one("#ticket-head", Static).update(head)
        try:
            category = app.catalog.category(detail.category)
            what = f"{category.name} / {category.item(detail.item).name}"
        except KeyError:
            what = f"{detail.category} / {detail.item}"
        mobile = mask_mobile(detail.contact_mobile) if detail.contact_mobile else "未留"
        contact = detail.contact_name or "未留"
        fields = {
            "what": Content.assemble(("类别  ", "dim"), what),
            "where": Content.assemble(("位置  ", "dim"), detail.building or "未填"),
            "description": Content.assemble(
                ("描述  ", "dim"), detail.description or "（无）"
            ),
            "contact": Content.assemble(
                ("联系人 ", "dim"), contact, ("   手机 ", "dim"), mobile
            ),
            "duplicates": Content.assemble(
                ("重复单 ", "dim"), "、".join(detail.duplicates)
            ),
            "times": Content.assemble(
                ("受理  ", "dim"),
                self.local(detail.created_at),
                ("   时限 ", "dim"),
                self.local(detail.due_at),
            ),
        }
        for key, content in fields.items():
            self.query_one(f"#field-{key}", Static).update(content)
        # The back-link to tickets withdrawn as duplicates of this one.
        self.query_one("#field-duplicates", Static).display = bool(detail.duplicates)
        self.fill_timeline(detail)

    def fill_timeline(self, detail: TicketDetail) -> None:
        table = self.query_one("#timeline", DataTable)
        table.clear()
        for entry in detail.timeline:
            table.add_row(
                Text(self.local(entry.at)),
                Text(event_name(entry.kind, entry.actor)),
                Text(actor_name(entry.actor)),
                Text(self.summary(entry.kind, entry.payload)),
                height=None,  # as many lines as the text wraps to
            )
        if table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def local(self, stamp: str) -> str:
        moment = datetime.fromisoformat(stamp).astimezone(self.staff_app.settings.zone)
        return f"{moment:%Y-%m-%d %H:%M}"

    def summary(self, kind: str, payload: dict[str, object]) -> str:
        text = str(payload.get("text", "") or "")
        if kind in ("dispatched", "acknowledged"):
            return self.unit_name(str(payload.get("unit", "")))
        if kind == "callback":
            return f"{desk.callback_summary(payload)} {text}".strip()
        if kind == "callback_attempt":
            return f"第 {payload.get('try', '?')} 次未接通 {text}".strip()
        if kind == "withdrawn":
            reason = WITHDRAW_NAMES.get(str(payload.get("reason")), "")
            original = payload.get("original")
            linked = f"，原工单 {original}" if original else ""
            return f"{reason}{linked} {text}".strip()
        if kind == "unit_rated":
            rating = RATING_NAMES.get(str(payload.get("rating")), ("?",))[0]
            return f"{self.unit_name(str(payload.get('unit', '')))}：{rating}"
        if kind == "received":
            return "居民在自助机提交"
        if kind == "purged":
            return "联系人和手机号已按保存期限清除"
        return text

    # -- running an action --------------------------------------------------------

    def perform(
        self,
        notice: str,
        action: Callable[..., Any],
        *args: object,
        on_view: bool = True,
        **kwargs: object,
    ) -> None:
        """Run a desk action in a worker. ``on_view``: the action is checked
        against the ticket as this view shows it (refused if it changed)."""
        session = self.staff_app.session
        if session is None:
            return
        if on_view and self.detail is not None:
            kwargs["expected_event"] = self.detail.last_event
        self.run_action_worker(notice, action, session, args, kwargs)

    @database_worker(
        group="action",
        description="a ticket action",
        failed=ActionRefused,
        busy=ActionBusy,
        language="zh-CN",
    )
    def run_action_worker(
        self,
        notice: str,
        action: Callable[..., Any],
        session: accounts.StaffSession,
        args: tuple[object, ...],
        kwargs: dict[str, object],
    ) -> None:
        app = self.staff_app
        try:
            result = action(
                app.settings, session, self.ticket_no, *args, now=app.now(), **kwargs
            )
        except accounts.SessionError as error:
            self.post_message(ActionRefused(str(error), session_ended=True))
            return
        reveal = result if isinstance(result, str) else ""
        self.post_message(ActionDone(notice, reveal=reveal))

    @on(ActionDone)
    def action_done(self, message: ActionDone) -> None:
        self.retry = None
        if message.reveal:
            self.app.push_screen(
                InfoForm(
                    "居民手机号（已记入审计日志）",
                    message.reveal,
                    "仅用于回访，请勿外传 · Esc 关闭",
                )
            )
        else:
            self.app.notify(message.notice, title=self.ticket_no, markup=False)
        self.load()

    @on(ActionRefused)
    def action_refused(self, message: ActionRefused) -> None:
        self.retry = None
        self.load()  # the ticket may have changed: show it as it is
        self.app.notify(message.reason, title="未执行", severity="error", markup=False)
        if message.session_ended:
            self.staff_app.session_ended(message.reason)

    @on(ActionBusy)
    def action_busy(self, message: ActionBusy) -> None:
        """Nothing was written: a typed text comes back in its form."""
        self.app.notify(message.reason, title="未保存", severity="error", markup=False)
        retry, self.retry = self.retry, None
        if retry is not None:
            form, typed = retry
            self.text_action(form, value=typed, error=message.reason)

    # -- the actions ----------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="form")
    async def action_dispatch(self) -> None:
        """Blow the whistle: dispatch to a unit (the category's unit first)."""
        catalog = self.staff_app.catalog
        default = ""
        if self.detail is not None:
            try:
                default = catalog.category(self.detail.category).unit
            except KeyError:
                default = self.detail.unit
        options = [(code, unit.name) for code, unit in catalog.units.items()]
        unit = await self.app.push_screen_wait(
            ChoiceForm("吹哨派单：选择责任单位", options, selected=default)
        )
        if unit:
            self.perform(f"已派单给 {self.unit_name(unit)}", desk.dispatch, unit)

    def action_acknowledge(self) -> None:
        """Record that the unit reported in (报到)."""
        self.perform("已记录单位报到", desk.acknowledge)

    @work(exclusive=True, group="form")
    async def text_action(
        self, form: TextAction, *, value: str = "", error: str = ""
    ) -> None:
        """Ask for a text and run the action with it; if the database was
        busy, the form comes back with the text (see action_busy)."""
        notice, action, title, placeholder, what = form
        text = await self.app.push_screen_wait(
            TextForm(title, placeholder, what=what, value=value, error=error)
        )
        if text is not None:
            self.retry = (form, text)
            self.perform(notice, action, text)

    def action_note(self) -> None:
        self.text_action(
            ("已添加备注", desk.add_note, "添加备注", "备注内容", "备注内容")
        )

    def action_resolve(self) -> None:
        self.text_action(
            (
                "已办结",
                desk.resolve,
                "办结：填写办结情况",
                "办结情况（必填）",
                "办结情况",
            )
        )

    def action_escalate(self) -> None:
        self.text_action(
            (
                "已上报街道",
                desk.escalate,
                "上报街道：填写原因",
                "上报原因（必填）",
                "上报原因",
            )
        )

    @work(exclusive=True, group="form")
    async def action_call_back(self) -> None:
        """The call-back: both answers (解决? 满意?), a call that reached
        nobody, or 无法回访. 不满意 reopens the ticket to its unit."""
        detail = self.detail
        if detail is None:
            return
        tries = callback_tries(detail)
        needed = self.staff_app.settings.follow_up.tries_before_unreachable
        options = [("reached", "联系上居民：记录是否解决和满意程度")]
        if detail.contact_mobile:
            options.append(("attempt", f"未接通：记一次（已拨打 {tries} 次）"))
            if tries >= needed:  # offered once the set number of calls failed
                options.append(("unreachable", f"无法回访（已拨打 {tries} 次未接通）"))
        else:
            options.append(("unreachable", "无法回访：居民未留联系方式"))
        title = "回访"
        resolved_at = [e.at for e in detail.timeline if e.kind == "resolved"]
        if resolved_at:
            days = self.staff_app.settings.follow_up.phone_answer_days
            wait_until = datetime.fromisoformat(resolved_at[-1]) + timedelta(days=days)
            if self.staff_app.now() < wait_until:
                title = (
                    "回访（居民可在手机上回答，"
                    f"{self.local(wait_until.isoformat())} 前未答再打电话）"
                )
        outcome = await self.app.push_screen_wait(ChoiceForm(title, options))
        if outcome == "attempt":
            self.perform(f"已记录：第 {tries + 1} 次未接通", desk.record_callback_try)
            return
        if outcome == "unreachable":
            text = await self.app.push_screen_wait(
                TextForm("无法回访：说明（可留空）", "说明", required=False)
            )
            if text is not None:
                self.perform("已记为无法回访，工单已结束", desk.close_unreachable, text)
            return
        if outcome != "reached":
            return
        answer = await self.app.push_screen_wait(
            ChoiceForm(
                "回访：问题是否解决",
                [("yes", SOLVED_NAMES[True][0]), ("no", SOLVED_NAMES[False][0])],
            )
        )
        if not answer:
            return
        solved = answer == "yes"
        options = [(rating, RATING_NAMES[rating][0]) for rating in RATINGS]
        rating = await self.app.push_screen_wait(
            ChoiceForm("回访：居民满意程度", options)
        )
        if not rating:
            return
        text = await self.app.push_screen_wait(
            TextForm("回访记录（可留空）", "居民意见", required=False)
        )
        if text is None:
            return
        notice = desk.call_back_notice(rating, solved, self.unit_name(detail.unit))
        self.perform(notice, desk.call_back, rating, text, solved=solved)

    @work(exclusive=True, group="form")
    async def action_withdraw(self) -> None:
        options = [(reason, WITHDRAW_NAMES[reason]) for reason in WITHDRAW_REASONS]
        reason = await self.app.push_screen_wait(ChoiceForm("撤销：选择原因", options))
        if not reason:
            return
        original = ""
        if reason == "duplicate":
            picks = [
                (ticket.ticket_no, self.describe_original(ticket))
                for ticket in self.originals
            ]
            original_no = await self.app.push_screen_wait(
                TextForm(
                    "重复工单：填写原工单号或排队号",
                    "原工单号或排队号，如 PHY3-261125-001 或 B001",
                    picks=picks,
                    picks_title="或选择近期同楼栋、同类别的工单：",
                )
            )
            if original_no is None:
                return
            original = original_no
        self.perform("已撤销", desk.withdraw, reason, original_no=original)

    def describe_original(self, ticket: LikelyOriginal) -> str:
        """One line of the pick list: number, when, state, what was said."""
        status = STATUS_NAMES.get(ticket.status, (ticket.status,))[0]
        said = " ".join(ticket.description.split())
        if not said and self.detail is not None:
            try:
                category = self.staff_app.catalog.category(self.detail.category)
                said = category.item(ticket.item).name
            except KeyError:
                said = ticket.item
        if len(said) > 9:
            said = said[:9] + "…"
        created = self.local(ticket.created_at)[-5:]  # the number has the day
        return f"{ticket.queue_no} {ticket.ticket_no} {created} {status} {said}"

    @work(exclusive=True, group="form")
    async def action_reprint(self) -> None:
        if await self.app.push_screen_wait(
            ConfirmForm("补打凭条", f"重新打印 {self.ticket_no} 的凭条？")
        ):
            self.perform("已送去补打", desk.reprint, on_view=False)

    @work(exclusive=True, group="form")
    async def action_reveal(self) -> None:
        """Show the full mobile number for a call-back (audited)."""
        if await self.app.push_screen_wait(
            ConfirmForm("查看完整手机号", "查看将记入审计日志（谁、何时）。继续？")
        ):
            self.perform("", desk.reveal_mobile, on_view=False)

    @work(exclusive=True, group="form")
    async def action_rate_unit(self) -> None:
        """The station head rates a dispatched unit's handling."""
        session = self.staff_app.session
        if session is None or not session.is_head:
            self.app.notify(
                "只有站长可以评价处置单位",
                title="未执行",
                severity="error",
                markup=False,
            )
            return
        if not self.units:
            self.app.notify(
                "此工单尚未派单，没有可评价的单位", severity="error", markup=False
            )
            return
        unit = self.units[0]
        if len(self.units) > 1:
            choice = await self.app.push_screen_wait(
                ChoiceForm(
                    "评价：选择单位", [(u, self.unit_name(u)) for u in self.units]
                )
            )
            if not choice:
                return
            unit = choice
        options = [(rating, RATING_NAMES[rating][0]) for rating in RATINGS]
        rating = await self.app.push_screen_wait(
            ChoiceForm(f"评价 {self.unit_name(unit)} 的处置", options)
        )
        if rating:
            self.perform("已评价", desk.rate_unit, unit, rating)
