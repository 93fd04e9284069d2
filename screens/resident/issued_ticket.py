"""The ticket: queue number in very large type, what happens next, the QR."""

from __future__ import annotations

import math
from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from kiosk.tickets import IssuedTicket
from kiosk.tracking import check_code
from screens.resident.base import KioskScreen
from screens.widgets.bigtext import BigText
from screens.widgets.qrcode import QRCode, QRPicture

FINISH_GUARD_SECONDS = 2.0
MORE_TIME_SECONDS = 60.0  # what `+` adds to the ticket screen's time


class IssuedTicketScreen(KioskScreen):
    ENTER_KEY = "key.finish"
    BINDINGS = [
        Binding("enter", "forward", "Finish", id="finish", show=False),
        Binding("plus", "more_time", "More time", id="more-time", show=False),
    ]

    def __init__(self, ticket: IssuedTicket, qr: QRPicture | None = None) -> None:
        super().__init__()
        self.ticket = ticket
        self.qr = qr
        self.shown_at = 0.0
        self.extra_seconds = 0.0  # time the resident asked for with `+`
        self.print_ok: bool | None = None

    def compose_body(self) -> ComposeResult:
        ticket = self.ticket
        with Horizontal(id="ticket-layout"):
            with Vertical(id="ticket-info"):
                yield Static(Content(self.t("ticket.queue_label")), id="queue-label")
                yield BigText(ticket.queue_no, id="queue-no")
                # What the resident must do comes first: it is never cut off.
                yield Static(
                    Content(self.t(self.print_key())),
                    id="print-status",
                    classes="-failed" if self.print_ok is False else "",
                )
                yield Static(Content(self.t(self.caption_key())), id="qr-caption")
                yield Static(self.ticket_no_line(), id="ticket-no")
                yield Static(self.next_steps(), id="next-steps")
                yield Static(id="ticket-countdown")
            yield QRCode(ticket.url, self.qr, id="qr")

    def caption_key(self) -> str:
        """Offline, a new ticket reaches the phone's page only once the
        station is back online: the caption says so."""
        return "ticket.scan" if self.kiosk.online else "ticket.scan_offline"

    def show_caption(self, online: bool | None = None) -> None:
        for caption in self.query("#qr-caption").results(Static):
            set_text(caption, Content(self.t(self.caption_key())))

    def ticket_no_line(self) -> Content:
        ticket = self.ticket
        return Content(
            self.t(
                "ticket.ticket_no",
                ticket_no=ticket.ticket_no,
                code=check_code(ticket.token),
            )
        )

    def next_steps(self) -> Content:
        ticket = self.ticket
        catalog = self.kiosk.catalog
        language = self.kiosk.language
        return Content(
            self.t(
                "ticket.next_steps",
                category=catalog.category(ticket.category).label(language),
                unit=catalog.units[ticket.unit].label(language),
                due=f"{ticket.due_at:%m-%d %H:%M}",
            )
        )

    def show(self, ticket: IssuedTicket, qr: QRPicture | None = None) -> None:
        """The next ticket, on this same screen (composed once, see
        KioskApp.show_ticket); it is not on screen while this runs."""
        self.ticket = ticket
        self.qr = qr
        self.print_ok = None
        self.shown_at = self.kiosk.clock()
        self.extra_seconds = 0.0
        if not self.is_mounted:
            return
        # (In another language than last time, it composes again as it is
        # shown: KioskScreen.on_screen_resume.)
        self.query_one("#queue-no", BigText).update(ticket.queue_no)
        set_text(self.query_one("#ticket-no", Static), self.ticket_no_line())
        set_text(self.query_one("#next-steps", Static), self.next_steps())
        self.show_caption()
        status = self.query_one("#print-status", Static)
        if status.has_class("-failed"):  # (else Textual styles it again anyway)
            status.remove_class("-failed")
        set_text(status, Content(self.t(self.print_key())))
        self.query_one("#qr", QRCode).update(ticket.url, qr)

    def forget(self) -> None:
        """Kept for the next ticket, it keeps nothing of the resident who
        left (KioskApp.reset_flow): not what they wrote, not the ticket's
        number, check code or link. What it keeps (category, unit, times)
        only lets it compose; ``show`` sets the next ticket before it is
        on screen again."""
        self.ticket = replace(
            self.ticket,
            uuid="",
            ticket_no="",
            queue_no="",
            token="",
            building="",
            description="",
            has_contact=False,
            url="",
        )
        self.qr = None
        if not self.is_mounted:
            return
        ticket_no = self.query_one("#ticket-no", Static)
        next_steps = self.query_one("#next-steps", Static)
        queue_no = self.query_one("#queue-no", BigText)
        qr = self.query_one("#qr", QRCode)
        # Blank, each keeping its place: the screen is not on screen, and the
        # next ticket's texts take the same places (no new layout then).
        ticket_no.update("", layout=False)
        next_steps.update("", layout=False)
        queue_no.clear()
        qr.clear()
        # Not on screen, these keep the lines they last drew until they draw
        # again with the next ticket (which they do anyway): drop them now.
        for widget in (ticket_no, next_steps, queue_no, qr):
            drop_drawn_lines(widget)

    def print_key(self) -> str:
        if not self.kiosk.settings.printer.on_paper:
            return "ticket.no_printer"  # what is true: no paper comes out
        return {
            None: "ticket.printing",
            True: "ticket.printed",
            False: "ticket.print_failed",
        }[self.print_ok]

    def show_print_result(self, ok: bool) -> None:
        # Kept, and drawn by compose too: the result may come while the
        # screen is laid out again (``/``, ``*``) and its line is not there.
        self.print_ok = ok
        for status in self.query("#print-status").results(Static):
            status.set_class(not ok, "-failed")
            set_text(status, Content(self.t(self.print_key())))

    def keypad_hints(self) -> list[tuple[str, str, str]]:
        return [
            ("Enter", self.t("key.finish"), "screen.forward"),
            ("+", self.t("key.more_time"), "screen.more_time"),
            ("*", self.t("key.language"), "app.toggle_language"),
            ("/", self.t("key.large_text"), "app.toggle_large_text"),
        ]

    def seconds_left(self, now: float) -> float:
        """Until the screen goes back to the start by itself."""
        shown_for = now - self.shown_at
        return self.kiosk.settings.kiosk.ticket_screen_seconds + (
            self.extra_seconds - shown_for
        )

    def show_remaining(self, seconds: float) -> None:
        for countdown in self.query("#ticket-countdown").results(Static):
            set_text(
                countdown,
                Content(self.t("ticket.countdown", seconds=max(0, math.ceil(seconds)))),
            )

    def action_more_time(self) -> None:
        self.extra_seconds += MORE_TIME_SECONDS
        self.show_remaining(self.seconds_left(self.kiosk.clock()))

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.kiosk, "online", self.show_caption, init=False)
        self.shown_at = self.kiosk.clock()
        self.show_remaining(self.seconds_left(self.shown_at))

    def finish(self) -> None:
        # A double tap on Submit must not also dismiss the ticket it produced.
        if self.kiosk.clock() - self.shown_at >= FINISH_GUARD_SECONDS:
            self.kiosk.reset_flow()

    def action_forward(self) -> None:
        self.finish()

    def action_back(self) -> None:
        """Not on the bar, so it does nothing: the ticket stays until Enter."""


def set_text(widget: Static, content: Content) -> None:
    """``widget.update(content)``, laying the screen out again only when the
    new text takes another number of lines at the widget's width (the
    ticket screen's texts are as wide as their column: only their height
    can change). A layout of the screen, and the full repaint that Textual
    makes after it, cost about 5 ms of the ticket's first frame; the
    countdown made them every second."""
    width, height = widget.content_size
    widget.update(content, layout=False)
    if not width or widget.visual.get_height(widget.styles, width) != height:
        widget.refresh(layout=True)


def drop_drawn_lines(widget: Widget) -> None:
    """Forget the lines ``widget`` last drew; it draws them anew when
    next on screen. Textual 8.2.8 keeps them in two private caches (its
    ``StylesCache`` and ``_render_cache``): each is left alone if a later
    Textual no longer has it."""
    # private Textual API, see the docstring
    styles_cache = getattr(widget, "_styles_cache", None)
    if styles_cache is not None and hasattr(styles_cache, "clear"):
        styles_cache.clear()
    drawn = getattr(widget, "_render_cache", None)
    if isinstance(drawn, tuple) and getattr(drawn, "_fields", None) == (
        "size",
        "lines",
    ):
        widget._render_cache = type(drawn)(Size(0, 0), [])
