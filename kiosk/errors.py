"""The station's one base for refusals whose message is for people.

A ``Refused`` error's text is shown to the person as it is (a wrong field, a
move the state machine does not allow, a locked account); anything else that
a service raises is a fault, logged with its traceback and described in
plain words by whoever catches it.
"""

from __future__ import annotations


class Refused(Exception):
    """A refusal the person can act on; ``str(error)`` says what to do.

    ``transient``: nothing was wrong with the request, the station was busy;
    the same request may work in a moment (a form keeps what was typed).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
