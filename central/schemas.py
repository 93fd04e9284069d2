"""The sync API's bodies: what a push may carry and what the answers hold.

Everything a station sends is data from outside: every string is checked to be
storable text (no NUL, no lone surrogates), every size is bounded, and a
rejected field is named in the answer.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from kiosk.states import EVENT_KINDS
from kiosk.text import clean_text

PAYLOAD_LIMIT = 16 * 1024
# The push limits a central has unless told otherwise (serve --max-batch,
# --max-body). A 2,000-event batch of real tickets is about 0.7 MB. Large
# batches matter when a station drains a backlog: each push is one
# transaction, and on SQLite each commit rewrites every index page it touched
# (event uuids are random), so 2,000 events in one commit cost far less than
# four commits of 500.
DEFAULT_MAX_BATCH = 2000
DEFAULT_MAX_BODY = 4 * 1024 * 1024
UUID_PATTERN = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
STATION_PATTERN = r"^[A-Z][A-Z0-9]{1,7}$"
TICKET_NO_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,39}$"
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,128}$"
MAX_DEPTH = 16


def check_text(value: str) -> str:
    """Text we can store anywhere: valid UTF-8 and no NUL character."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("is not valid Unicode text") from error
    return value


# The years a time may fall in: any time in them converts to UTC and to
# Beijing time without overflow, and sorts as text.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2999
# RFC 3339 (what a station sends, and what Open311 serves back): date, "T",
# time to the minute or second (a fraction at most microseconds), an offset.
TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)


def check_year(moment: datetime) -> datetime:
    """``moment`` if its year is one the central keeps, else ValueError."""
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(f"must be in the years {EARLIEST_YEAR} to {LATEST_YEAR}")
    return moment


def check_timestamp(value: str) -> str:
    """RFC 3339 with a UTC offset, in a year the central keeps; kept as sent."""
    if len(value) > 40:
        raise ValueError("is too long for a timestamp")
    if not TIMESTAMP.match(value):
        raise ValueError("must be an RFC 3339 time, e.g. 2026-11-25T09:30:00+08:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(
            "must be an RFC 3339 time, e.g. 2026-11-25T09:30:00+08:00"
        ) from error
    check_year(moment)
    return value


def _check_json_value(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"is nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must not hold NaN or infinity")
    elif isinstance(value, dict):
        for key, item in value.items():
            check_text(key)
            _check_json_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_json_value(item, depth + 1)


class Payload(dict[str, Any]):
    """A checked payload with ``text``, its JSON as the central stores it."""

    __slots__ = ("text",)
    text: str


def _refuse_type(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _payload_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False, allow_nan=False)``, without the
    cost of a new encoder per call: CPython's C encoder, made once (no cycle
    check: a payload comes from parsed JSON and cannot hold a cycle)."""
    fallback = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return fallback
    try:
        chunks = make(
            None,
            _refuse_type,
            json.encoder.encode_basestring,  # type: ignore[attr-defined]
            None,
            ": ",
            ", ",
            False,
            False,
            False,
        )
    except TypeError:  # another signature in another Python
        return fallback
    return lambda value: "".join(chunks(value, 0))


payload_json = _payload_encoder()


def check_payload(value: Any) -> Payload:
    """A JSON object: storable, finite, shallow enough, at most PAYLOAD_LIMIT
    bytes as JSON.

    One encoding both measures the payload and makes the text that is stored:
    it refuses NaN and infinity, a lone surrogate fails its UTF-8 encoding,
    and a NUL can only show as a ``\\u0000`` escape in it. The exact (slower)
    walk runs only when the text hints at a NUL or at nesting.
    """
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    try:
        text = payload_json(value)
    except ValueError as error:
        raise ValueError("must not hold NaN or infinity") from error
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise ValueError("is not valid Unicode text") from error
    if "\\u0000" in text or text.count("{") + text.count("[") > MAX_DEPTH:
        _check_json_value(value)
    if size > PAYLOAD_LIMIT:
        raise ValueError(f"is {size} bytes; at most {PAYLOAD_LIMIT} are allowed")
    payload = Payload(value)
    payload.text = text
    return payload


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(check_text),
    ]


def CleanText(max_length: int, multiline: bool = False) -> Any:  # noqa: N802
    """Text a person typed: checked, then cleaned by the kiosk's own rules
    (``kiosk.text.clean_text``: no escape sequences or control, format or
    unassigned characters), as the kiosk cleans it before it stores it."""
    return Annotated[
        str,
        StringConstraints(max_length=max_length),
        AfterValidator(check_text),
        AfterValidator(
            lambda value: clean_text(value, max_length, multiline=multiline)
        ),
    ]


def Pattern(pattern: str) -> Any:  # noqa: N802
    return Annotated[str, StringConstraints(pattern=pattern)]


Timestamp = Annotated[
    str,
    AfterValidator(check_timestamp),
    WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 40}),
]
EventKind = Literal[EVENT_KINDS]  # type: ignore[valid-type]


class EventIn(BaseModel):
    """One event as a station pushes it."""

    model_config = ConfigDict(extra="ignore", strict=True)

    uuid: Pattern(UUID_PATTERN)  # type: ignore[valid-type]
    ticket_uuid: Pattern(UUID_PATTERN)  # type: ignore[valid-type]
    ticket_no: Pattern(TICKET_NO_PATTERN)  # type: ignore[valid-type]
    station: Pattern(STATION_PATTERN)  # type: ignore[valid-type]
    kind: EventKind
    actor: Text(100, 1)  # type: ignore[valid-type]
    at: Timestamp
    # Checked by check_payload alone (a JSON object's keys are strings already).
    payload: Annotated[
        Any,
        WithJsonSchema({"type": "object", "additionalProperties": True}),
        AfterValidator(check_payload),
    ]


class PushBatch(BaseModel):
    """The body of ``POST /api/v1/events``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    events: list[EventIn] = Field(min_length=1)


class TicketSnapshot(BaseModel):
    """The payload of a ``received`` event: kiosk/tickets.py ``_snapshot()``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    ticket_no: Pattern(TICKET_NO_PATTERN)  # type: ignore[valid-type]
    queue_no: CleanText(16)  # type: ignore[valid-type]
    station: Pattern(STATION_PATTERN)  # type: ignore[valid-type]
    category: Pattern(CODE_PATTERN)  # type: ignore[valid-type]
    item: Pattern(CODE_PATTERN)  # type: ignore[valid-type]
    building: CleanText(200)  # type: ignore[valid-type]
    description: CleanText(4000, multiline=True)  # type: ignore[valid-type]
    contact_name: CleanText(100) | None = None  # type: ignore[valid-type]
    contact_mobile: CleanText(20) | None = None  # type: ignore[valid-type]
    created_at: Timestamp
    unit: Pattern(CODE_PATTERN)  # type: ignore[valid-type]
    due_at: Timestamp
    token: Pattern(TOKEN_PATTERN)  # type: ignore[valid-type]
    language: Text(16, 2) = "zh-CN"  # type: ignore[valid-type]
    # The resident agreed at the kiosk that Open311 may show the description
    # to anyone (cleaned of personal data: docs/open311-public.md).
    publish_description: bool = False


class PushResult(BaseModel):
    stored: list[str]
    duplicates: list[str]


class EventOut(BaseModel):
    uuid: str
    ticket_uuid: str
    ticket_no: str
    station: str
    kind: str
    actor: str
    at: str
    payload: dict[str, Any]
    origin: str


class PullResult(BaseModel):
    events: list[EventOut]
    cursor: str
    more: bool


class FieldError(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    detail: str
    errors: list[FieldError] = []


def field_name(location: tuple[int | str, ...]) -> str:
    """``('events', 3, 'kind')`` as ``events[3].kind``."""
    name = ""
    for part in location:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


_FUNCTION_NAMES = re.compile(r"^(Value error|Assertion failed), ")


def field_errors(
    error: ValidationError, prefix: tuple[int | str, ...] = ()
) -> list[FieldError]:
    """pydantic's errors as named fields, without echoing the input back."""
    found = []
    for entry in error.errors(include_url=False, include_input=False):
        location = tuple(
            part for part in entry["loc"] if not str(part).startswith("function-")
        )
        message = _FUNCTION_NAMES.sub("", entry["msg"])
        found.append(FieldError(field=field_name(prefix + location), message=message))
    return found
