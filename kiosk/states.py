"""The ticket state machine: which event may follow which status.

A ticket's status is derived from its append-only event log; this module is
the one place that knows the rules, used by the staff terminal (to refuse an
illegal move with its reason), by sync (to fold in events made centrally) and
by the tracking views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

RECEIVED = "received"  # 已受理
DISPATCHED = "dispatched"  # 已吹哨派单
ACKNOWLEDGED = "acknowledged"  # 已报到处理中
RESOLVED = "resolved"  # 已办结
CLOSED = "closed"  # 已回访
ESCALATED = "escalated"  # 已上报街道
WITHDRAWN = "withdrawn"  # 已撤销

STATUSES = (RECEIVED, DISPATCHED, ACKNOWLEDGED, RESOLVED, CLOSED, ESCALATED, WITHDRAWN)
TERMINAL = frozenset({CLOSED, WITHDRAWN})
OPEN = frozenset(STATUSES) - TERMINAL

STATUS_NAMES = {
    RECEIVED: ("已受理", "Received"),
    DISPATCHED: ("已吹哨派单", "Dispatched"),
    ACKNOWLEDGED: ("已报到处理中", "Unit on it"),
    RESOLVED: ("已办结", "Resolved"),
    CLOSED: ("已回访", "Closed after call-back"),
    ESCALATED: ("已上报街道", "Escalated to the subdistrict"),
    WITHDRAWN: ("已撤销", "Withdrawn"),
}

RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")  # 满意/基本满意/不满意
RATING_NAMES = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
}
# The call-back's first answer (12345 asks both): was the problem solved?
SOLVED_NAMES = {True: ("解决", "Solved"), False: ("未解决", "Not solved")}
# 无法回访: why nobody could be asked (the payload's ``reason``).
UNREACHABLE_REASONS = {
    "no_contact": ("未留联系方式", "No contact details"),
    "not_reached": ("多次联系未接通", "Not reached"),
}
WITHDRAW_REASONS = ("duplicate", "out_of_scope", "resident_withdrew")
# The actor of what a resident did on the tracking page (call-back, note).
RESIDENT_ACTOR = "resident"

# Event kinds and the statuses they may follow. Kinds that leave the status
# as it is (notes, unit ratings) list the statuses where they are allowed.
ALLOWED_FROM: dict[str, frozenset[str]] = {
    "received": frozenset(),  # only as a ticket's first event
    "dispatched": frozenset({RECEIVED, DISPATCHED, ACKNOWLEDGED, ESCALATED}),
    "acknowledged": frozenset({DISPATCHED}),
    "resolved": frozenset({DISPATCHED, ACKNOWLEDGED, ESCALATED}),
    "escalated": frozenset({DISPATCHED, ACKNOWLEDGED}),
    "callback": frozenset({RESOLVED}),
    # A call that reached nobody; the ticket waits for the next try.
    "callback_attempt": frozenset({RESOLVED}),
    "withdrawn": frozenset({RECEIVED, DISPATCHED, ACKNOWLEDGED, ESCALATED}),
    "note": frozenset(STATUSES),
    "unit_rated": frozenset({DISPATCHED, ACKNOWLEDGED, RESOLVED, CLOSED, ESCALATED}),
    # The station erased the ended ticket's contact details (kiosk/privacy.py);
    # the central erases its copy too. The status stays.
    "purged": TERMINAL,
}
EVENT_KINDS = tuple(ALLOWED_FROM)


class TransitionError(Exception):
    """An event that may not follow the ticket's current status."""

    def __init__(self, kind: str, status: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Event:
    """The part of a ticket event that decides the status."""

    kind: str
    payload: dict[str, object]


def next_status(status: str | None, kind: str, payload: dict[str, object]) -> str:
    """The status after an event of ``kind`` on a ticket in ``status``.

    ``status`` is None before the first event. Raises TransitionError, with a
    reason a person can read, for a move the rules do not allow.
    """
    if status is None:
        if kind != "received":
            raise TransitionError(kind, "", "a ticket's first event must be 'received'")
        return RECEIVED
    if kind not in ALLOWED_FROM:
        raise TransitionError(kind, status, f"unknown event kind {kind!r}")
    if kind == "received":
        raise TransitionError(kind, status, "the ticket was already received")
    if kind == "callback" and payload.get("amends") and status in (CLOSED, DISPATCHED):
        # A resident changing the answer given on the tracking page (within
        # the time the central allows): it replaces the answer it names.
        pass
    elif status not in ALLOWED_FROM[kind]:
        raise TransitionError(
            kind,
            status,
            f"cannot {kind.replace('_', ' ')} a ticket that is {status} "
            f"({STATUS_NAMES[status][0]})",
        )
    if kind in ("note", "unit_rated", "callback_attempt", "purged"):
        return status
    if kind == "callback":
        if payload.get("unreachable") is True:
            return CLOSED  # 无法回访: the call-back ends, counted apart
        solved = payload.get("solved")
        if solved is not None and not isinstance(solved, bool):
            raise TransitionError(kind, status, "solved must be true or false")
        rating = payload.get("rating")
        if rating not in RATINGS:
            raise TransitionError(
                kind, status, f"rating must be one of {', '.join(RATINGS)}"
            )
        # 不满意 reopens the case: it goes back to the unit that handled it.
        return DISPATCHED if rating == "dissatisfied" else CLOSED
    if kind == "withdrawn" and payload.get("reason") not in WITHDRAW_REASONS:
        raise TransitionError(
            kind, status, f"a withdrawal needs a reason: {', '.join(WITHDRAW_REASONS)}"
        )
    return {
        "dispatched": DISPATCHED,
        "acknowledged": ACKNOWLEDGED,
        "resolved": RESOLVED,
        "escalated": ESCALATED,
        "withdrawn": WITHDRAWN,
    }[kind]


def derive_status(events: Iterable[Event]) -> str:
    """Fold a ticket's events, in order, into its status.

    Events that the rules refuse (for example a late duplicate from another
    system) are skipped rather than corrupting the status.
    """
    status: str | None = None
    for event in events:
        try:
            status = next_status(status, event.kind, event.payload)
        except TransitionError:
            continue
    return status or RECEIVED
