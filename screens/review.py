"""Step 4: read it back, then submit. Submitting twice issues one ticket."""

from __future__ import annotations

import logging

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import Static

from db import database
from kiosk.qr import screen_rows
from kiosk.tickets import (
    TicketDraft,
    TicketInputError,
    TicketSaveError,
    issue_ticket,
    mask_mobile,
)
from screens.base import KioskScreen
from screens.messages import TicketFailed, TicketIssued

log = logging.getLogger(__name__)


class ReviewScreen(KioskScreen):
    TITLE_KEY = "review.title"
    HINT_KEY = "review.hint"
    ENTER_KEY = "key.submit"
    BINDINGS = [
        Binding("enter", "forward", "Submit", id="submit", show=False),
        Binding("1", "forward", "Submit", id="submit-1", show=False),
    ]
    DEFAULT_CSS = """
    ReviewScreen #summary { height: auto; padding: 1 2; border: round $primary; }
    ReviewScreen #submit-status { height: auto; padding: 0 2; text-style: bold; }
    ReviewScreen #submit-status.-error { color: $error; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.submitting = False

    def compose_body(self) -> ComposeResult:
        yield Static(self.summary(), id="summary")
        yield Static(id="submit-status")

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
            (self.t("review.where"), draft.building or self.t("details.not_given")),
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
        status = self.query_one("#submit-status", Static)
        status.remove_class("-error")
        status.update(Content(self.t("review.saving")))
        self.issue(self.kiosk.draft)

    def action_back(self) -> None:
        if not self.submitting:
            super().action_back()

    @work(thread=True, exclusive=True, exit_on_error=False, group="issue")
    def issue(self, draft: TicketDraft) -> None:
        settings = self.kiosk.settings
        try:
            with database.connection_context():
                ticket = issue_ticket(settings, draft)
        except TicketInputError as error:
            self.post_message(TicketFailed(error.message_key, error.field_name))
        except TicketSaveError as error:
            log.error("ticket not saved: %s", error)
            self.post_message(TicketFailed("error.save"))
        except Exception:  # the resident must never see a traceback
            log.exception("ticket not saved")
            self.post_message(TicketFailed("error.save"))
        else:
            log.info("issued %s (%s)", ticket.ticket_no, ticket.queue_no)
            self.post_message(TicketIssued(ticket, screen_rows(ticket.url)))

    @on(TicketIssued)
    def ticket_issued(self, message: TicketIssued) -> None:
        self.kiosk.show_ticket(message.ticket, message.qr_rows)

    @on(TicketFailed)
    def ticket_failed(self, message: TicketFailed) -> None:
        self.submitting = False
        status = self.query_one("#submit-status", Static)
        status.add_class("-error")
        status.update(Content(self.t(message.reason)))
