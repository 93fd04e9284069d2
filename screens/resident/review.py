"""Step 4: read it back, then submit. Submitting twice issues one ticket."""

from __future__ import annotations

import logging
import threading

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from db import database
from kiosk.i18n import place_label
from kiosk.tickets import (
    TicketDraft,
    TicketInputError,
    TicketSaveError,
    issue_ticket,
    likely_ticket_no,
    mask_mobile,
    tracking_url,
)
from screens.resident.base import KioskScreen
from screens.resident.messages import TicketFailed, TicketIssued
from screens.widgets.qrcode import QRPicture
from screens.workers import database_worker

log = logging.getLogger(__name__)

SAVING_NOTICE_SECONDS = 0.3
QR_AHEAD_WAIT_SECONDS = 1.0


class QRAhead:
    """The QR code drawn ahead for the ticket the draft will likely become.

    Its URL is known before its rows are: a Submit for the same URL waits
    for them rather than drawing them twice; any other URL (another ticket
    came first, the day changed) is drawn on the spot.
    """

    def __init__(self) -> None:
        self._url = ""
        self._picture: QRPicture | None = None
        self._done = threading.Event()

    def draw(self, url: str) -> None:
        self._url = url
        try:
            self._picture = QRPicture.of(url)
        finally:
            self._done.set()

    def give_up(self) -> None:
        self._done.set()

    def picture_for(self, url: str) -> QRPicture:
        if url == self._url and self._done.wait(QR_AHEAD_WAIT_SECONDS):
            if self._picture is not None:
                return self._picture
        return QRPicture.of(url)


def _not_saved(reason: str) -> TicketFailed:
    """Whatever stopped the ticket being stored (logged by database_worker),
    the resident reads one sentence, and nothing was issued."""
    return TicketFailed("error.save")


class ReviewScreen(KioskScreen):
    TITLE_KEY = "review.title"
    HINT_KEY = "review.hint"
    ENTER_KEY = "key.submit"
    BINDINGS = [
        Binding("enter", "forward", "Submit", id="submit", show=False),
        Binding(
            "1",
            "toggle_publish",
            "Publish the description",
            id="publish",
            show=False,
        ),
    ]
    # Whether Open311 may show the description to anyone (cleaned of phone
    # numbers by the central: docs/open311-public.md). Asked only when there
    # is a description; no until the resident says yes.
    publish_description: reactive[bool] = reactive(False, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.set_reactive(
            ReviewScreen.publish_description, self.kiosk.draft.publish_description
        )
        self.submitting = False
        self.failure: str | None = None  # the last refusal's message key
        self._qr_ahead = QRAhead()

    def on_mount(self) -> None:
        super().on_mount()
        self.draw_qr_ahead(self.kiosk.draft)

    @work(thread=True, exclusive=True, exit_on_error=False, group="qr-ahead")
    def draw_qr_ahead(self, draft: TicketDraft) -> None:
        """While the resident reads, the QR code of the likely ticket."""
        settings = self.kiosk.settings
        try:
            with database.connection_context():
                ticket_no = likely_ticket_no(settings)
        except Exception as error:  # only a head start; Submit does it anyway
            log.info("QR not drawn ahead: %s", error)
            self._qr_ahead.give_up()
            return
        self._qr_ahead.draw(tracking_url(settings, ticket_no, draft.token))

    def compose_body(self) -> ComposeResult:
        # The summary scrolls (a long description); the status line under
        # it stays on screen whatever the summary's length.
        with VerticalScroll(id="summary-scroll"):
            yield Static(self.summary(), id="summary")
        if self.kiosk.draft.description:
            yield Static(Content(self.publish_question()), id="publish")
        # A refusal stays said when the screen is laid out again (``/``,
        # ``*``), even one that came while it was.
        failure = self.failure
        yield Static(
            Content(self.t(failure) if failure else ""),
            id="submit-status",
            classes="-error" if failure else "",
        )

    def publish_question(self) -> str:
        if self.publish_description:
            return self.t("review.publish_yes")
        return self.t("review.publish_no")

    def keypad_hints(self) -> list[tuple[str, str, str]]:
        hints = super().keypad_hints()
        if self.kiosk.draft.description:
            key = "key.unpublish" if self.publish_description else "key.publish"
            hints.insert(1, ("1", self.t(key), "screen.toggle_publish"))
        return hints

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_publish":
            return bool(self.kiosk.draft.description) and not self.submitting
        return True

    def action_toggle_publish(self) -> None:
        self.publish_description = not self.publish_description

    def watch_publish_description(self, publish: bool) -> None:
        self.kiosk.draft.publish_description = publish
        self.refresh(recompose=True)
        self.call_after_refresh(self.after_relabel)

    def summary(self) -> Content:
        kiosk = self.kiosk
        draft = kiosk.draft
        language = kiosk.language
        category = kiosk.catalog.category(draft.category)
        unit = kiosk.catalog.units[category.unit]
        contact = (
            " ".join(
                p for p in (draft.contact_name, mask_mobile(draft.contact_mobile)) if p
            )
            if draft.contact_mobile
            else self.t("details.anonymous")
        )
        rows = [
            (self.t("review.category"), category.label(language)),
            (
                self.t("review.item"),
                category.item(draft.item or "other").label(language),
            ),
            (
                self.t("review.where"),
                place_label(draft.building, kiosk.settings.station.grids, language)
                or self.t("details.not_given"),
            ),
            (
                self.t("review.description"),
                draft.description or self.t("details.not_given"),
            ),
            (self.t("review.contact"), contact),
            (self.t("review.unit"), unit.label(language)),
        ]
        width = max(cell_len(label) for label, _ in rows) + 2
        lines = [
            Content.assemble((label + " " * (width - cell_len(label)), "bold"), value)
            for label, value in rows
        ]
        return Content("\n").join(lines)

    def action_forward(self) -> None:
        if self.submitting:
            return
        self.submitting = True
        if self.failure is not None:  # the last refusal goes; nothing else to draw
            self.failure = None
            for status in self.query("#submit-status").results(Static):
                status.remove_class("-error")
                status.update(Content(""))
        # "Saving..." only if saving takes long enough to be seen (a busy
        # database); the ticket usually comes first, and painting the notice
        # would only hold it up.
        self.set_timer(SAVING_NOTICE_SECONDS, self.show_saving, name="saving")
        self.issue(self.kiosk.draft)

    def show_saving(self) -> None:
        if self.submitting and self.is_current:
            for status in self.query("#submit-status").results(Static):
                if not status.has_class("-error"):
                    status.update(Content(self.t("review.saving")))

    def action_back(self) -> None:
        if not self.submitting:
            super().action_back()

    @database_worker(
        group="issue",
        description="issuing a ticket",
        failed=_not_saved,
        thread=lambda screen: screen.kiosk.ticket_writer,
    )
    def issue(self, draft: TicketDraft) -> None:
        try:
            ticket = issue_ticket(self.kiosk.settings, draft)
        except TicketInputError as error:  # a refusal the resident can fix
            self.post_message(TicketFailed(error.message_key, error.field_name))
            return
        except TicketSaveError as error:  # busy or full: a failure to log
            log.error("ticket not saved: %s", error)
            self.post_message(TicketFailed("error.save"))
            return
        log.info("issued %s (%s)", ticket.ticket_no, ticket.queue_no)
        self.post_message(TicketIssued(ticket, self._qr_ahead.picture_for(ticket.url)))

    @on(TicketIssued)
    def ticket_issued(self, message: TicketIssued) -> None:
        self.kiosk.show_ticket(message.ticket, message.qr)

    @on(TicketFailed)
    def ticket_failed(self, message: TicketFailed) -> None:
        self.submitting = False
        self.failure = message.reason
        for status in self.query("#submit-status").results(Static):
            status.add_class("-error")
            status.update(Content(self.t(message.reason)))
