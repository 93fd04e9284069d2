"""The ticket state machine."""

from __future__ import annotations

import pytest

from kiosk.states import (
    ALLOWED_FROM,
    CLOSED,
    DISPATCHED,
    ESCALATED,
    RECEIVED,
    RESOLVED,
    STATUSES,
    WITHDRAWN,
    Event,
    TransitionError,
    derive_status,
    next_status,
)


def test_the_whole_road_to_a_call_back():
    events = [
        Event("received", {}),
        Event("dispatched", {"unit": "property"}),
        Event("acknowledged", {}),
        Event("note", {"text": "parts ordered"}),
        Event("resolved", {"text": "roof patched"}),
        Event("callback", {"rating": "satisfied"}),
    ]
    assert derive_status(events) == CLOSED


def test_dissatisfied_reopens_with_the_unit():
    status = next_status(RESOLVED, "callback", {"rating": "dissatisfied"})
    assert status == DISPATCHED
    assert next_status(status, "acknowledged", {}) == "acknowledged"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (RECEIVED, "acknowledged"),
        (RECEIVED, "resolved"),
        (RECEIVED, "escalated"),
        (RECEIVED, "callback"),
        (CLOSED, "dispatched"),
        (WITHDRAWN, "resolved"),
        (RESOLVED, "escalated"),
        (CLOSED, "callback"),
    ],
)
def test_illegal_moves_are_refused_with_a_reason(status, kind):
    with pytest.raises(TransitionError) as caught:
        next_status(status, kind, {"rating": "satisfied", "reason": "duplicate"})
    assert (
        kind.replace("_", " ") in caught.value.reason and status in caught.value.reason
    )


def test_escalation_and_its_result():
    assert next_status(DISPATCHED, "escalated", {"reason": "x"}) == ESCALATED
    assert next_status(ESCALATED, "resolved", {}) == RESOLVED
    assert next_status(ESCALATED, "dispatched", {"unit": "police"}) == DISPATCHED


def test_bad_payloads_are_refused():
    with pytest.raises(TransitionError, match="rating"):
        next_status(RESOLVED, "callback", {"rating": "meh"})
    with pytest.raises(TransitionError, match="reason"):
        next_status(RECEIVED, "withdrawn", {})
    with pytest.raises(TransitionError, match="first event"):
        next_status(None, "dispatched", {})
    with pytest.raises(TransitionError, match="unknown"):
        next_status(RECEIVED, "teleported", {})


def test_refused_events_do_not_corrupt_the_derived_status():
    events = [Event("received", {}), Event("resolved", {}), Event("dispatched", {})]
    assert derive_status(events) == DISPATCHED


def test_every_rule_names_known_statuses():
    for allowed in ALLOWED_FROM.values():
        assert allowed <= set(STATUSES)
