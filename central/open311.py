"""Open311 GeoReport v2 at /open311/v2 (https://wiki.open311.org/GeoReport_v2/).

The service list is the catalog (one service per category, its common items as
a single-value-list attribute). ``service_request_id`` is the ticket's public
id, random, never its number (numbers count up: docs/open311-public.md);
``token`` is the ticket's uuid. Contact details are taken on POST and handed
to the owning station only; no answer here ever shows them.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from central.language import pick_language
from central.page_cache import Page, PageCache
from central.schemas import TICKET_NO_PATTERN, UUID_PATTERN, check_text, check_year
from central.store.base import ZONE, Rejected, StoreUnavailable, run_read
from central.store.filing import NewRequest, file_request
from central.store.open311_keys import station_for_open311_key
from central.store.rows import PUBLIC_ID_PATTERN
from central.store.tickets import (
    RequestQuery,
    find_requests,
    public_id_for_uuid,
    ticket_by_no,
    ticket_by_public_id,
)
from kiosk.catalog import OTHER_ITEM, Catalog, load_catalog
from kiosk.states import STATUS_NAMES, TERMINAL
from kiosk.text import NAME_LIMIT, clean_text
from kiosk.tickets import TicketInputError, normalize_mobile

router = APIRouter(prefix="/open311/v2", tags=["open311"])

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+08:00"
DESCRIPTION_LIMIT = 4000
MAX_RANGE = timedelta(days=90)
MAX_PAGE_SIZE = 1000
FORMATS = {"json": "application/json", "xml": "text/xml"}
TICKET_NO = re.compile(TICKET_NO_PATTERN)
PUBLIC_ID = re.compile(PUBLIC_ID_PATTERN)
UUID = re.compile(UUID_PATTERN)

# XML element names of list items, by the list's name (as in the spec).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# What XML 1.0 cannot carry at all: C0 controls but tab and line breaks,
# surrogates, U+FFFE and U+FFFF. Dropped from every text, whatever is stored.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_element(tag: str, value: Any) -> ElementTree.Element:
    element = ElementTree.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_xml_element(key, item))
    elif isinstance(value, list):
        child_tag = ITEM_TAGS.get(tag, "item")
        for item in value:
            element.append(_xml_element(child_tag, item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = NOT_XML.sub("", str(value))
    return element


def render(fmt: str, root: str, value: Any, status: int = 200) -> Response:
    """JSON as the value itself; XML under ``root`` with the spec's item tags."""
    if fmt == "xml":
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
            _xml_element(root, value), encoding="utf-8", xml_declaration=False
        )
        return Response(body, status, media_type="text/xml; charset=utf-8")
    return Response(
        json.dumps(value, ensure_ascii=False),
        status,
        media_type="application/json; charset=utf-8",
    )


def error(fmt: str, status: int, description: str) -> Response:
    return render(
        fmt if fmt in FORMATS else "json",
        "errors",
        [{"code": status, "description": description}],
        status,
    )


def too_many(fmt: str, wait: float) -> Response:
    """429 with Retry-After: a rate limit (central/rates.py) was reached."""
    seconds = max(1, math.ceil(wait))
    response = error(fmt, 429, f"too many requests; try again in {seconds} s")
    response.headers["Retry-After"] = str(seconds)
    return response


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format {fmt[:20]!r}; use .json or .xml")
    return fmt


def _language(request: Request) -> str:
    return pick_language(
        request.headers.get("accept-language"), request.query_params.get("locale")
    )


def _base_url(request: Request) -> str:
    """The configured public URL; never the request's Host header, which the
    caller chooses. Without one, the address this server listens on."""
    configured: str = request.app.state.settings.public_base_url
    if configured:
        return configured.rstrip("/")
    host, port = request.scope.get("server") or ("127.0.0.1", 80)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


async def _guard(fmt: str, work: Any) -> Response:
    try:
        return await work()
    except Open311Error as problem:
        return error(fmt, problem.status, problem.description)
    except StoreUnavailable as problem:
        return error(fmt, 503, str(problem))
    except Rejected as problem:
        return error(fmt, problem.status, problem.detail)


# ------------------------------------------------------------------ discovery


@router.get("/discovery.{fmt}")
async def discovery(fmt: str, request: Request) -> Response:
    """Where the endpoints are and which formats they speak."""

    async def work() -> Response:
        chosen = _format(fmt)
        return render(
            chosen,
            "discovery",
            {
                "changeset": CHANGESET,
                "contact": "东铁匠营街道社区治理服务平台 "
                "(Dongtiejiangying subdistrict service platform)",
                "key_service": "API keys are issued to each community service "
                "station by the subdistrict.",
                "endpoints": [
                    {
                        "specification": SPEC_URL,
                        "url": f"{_base_url(request)}/open311/v2",
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            },
        )

    return await _guard(fmt, work)


# ------------------------------------------------------------------ services


def _service(catalog: Catalog, code: str, language: str) -> dict[str, Any]:
    category = catalog.category(code)
    unit = catalog.units[category.unit]
    return {
        "service_code": category.code,
        "service_name": category.label(language),
        "description": category.name_en if language != "en" else category.name,
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(item.label(language) for item in category.items),
        "group": unit.label(language),
    }


@router.get("/services.{fmt}")
async def services(fmt: str, request: Request) -> Response:
    """The catalog's categories as Open311 services."""

    async def work() -> Response:
        chosen = _format(fmt)
        catalog = load_catalog()
        language = _language(request)
        return render(
            chosen,
            "services",
            [_service(catalog, c.code, language) for c in catalog.categories],
        )

    return await _guard(fmt, work)


@router.get("/services/{code}.{fmt}")
async def service_definition(code: str, fmt: str, request: Request) -> Response:
    """One service's attributes: the category's common items."""

    async def work() -> Response:
        chosen = _format(fmt)
        catalog = load_catalog()
        language = _language(request)
        try:
            category = catalog.category(code)
        except KeyError as missing:
            raise Open311Error(
                404, f"service_code {code[:40]!r} not found"
            ) from missing
        values = [
            {"key": item.code, "name": item.label(language)} for item in category.items
        ]
        values.append(
            {"key": OTHER_ITEM, "name": category.item(OTHER_ITEM).label(language)}
        )
        return render(
            chosen,
            "service_definition",
            {
                "service_code": category.code,
                "attributes": [
                    {
                        "variable": True,
                        "code": "item",
                        "datatype": "singlevaluelist",
                        "required": False,
                        "datatype_description": "What the matter is",
                        "order": 1,
                        "description": "常见事项 / Common item"
                        if language != "en"
                        else "Common item",
                        "values": values,
                    }
                ],
            },
        )

    return await _guard(fmt, work)


# ------------------------------------------------------------------ requests


def public_request(
    ticket: dict[str, Any], catalog: Catalog, language: str, viewer: str | None = None
) -> dict[str, Any]:
    """A ticket as an Open311 request: never contacts, and free text (the
    description, the building) only for ``viewer``, the station an Open311
    key of the ticket's own station files for; to anyone else, the
    description only if the resident agreed to publish it, cleaned of
    personal data (central/public_text.py; docs/open311-public.md)."""
    own = viewer is not None and viewer == ticket["station"]
    try:
        category = catalog.category(ticket["category"])
        service_name = category.label(language)
    except KeyError:
        service_name = ticket["category"]
    unit = catalog.units.get(ticket["unit"])
    status = ticket["status"]
    names = STATUS_NAMES.get(status, (status, status))
    return {
        "service_request_id": ticket["public_id"],
        "status": "closed" if status in TERMINAL else "open",
        "status_notes": names[1] if language == "en" else names[0],
        "service_name": service_name,
        "service_code": ticket["category"],
        "description": ticket["description"] if own else ticket["public_description"],
        "agency_responsible": unit.label(language) if unit else ticket["unit"],
        "service_notice": "",
        "requested_datetime": ticket["created_at"],
        "updated_datetime": ticket["updated_at"],
        "expected_datetime": ticket["due_at"],
        "address": ticket["building"] if own else "",
        "address_id": "",
        "zipcode": "",
        "lat": ticket["lat"],
        "long": ticket["lon"],
        "media_url": "",
    }


def _utc_param(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as bad:
        raise Open311Error(
            400, f"{name}: use a W3C date-time such as 2026-11-25T00:00:00+08:00"
        ) from bad
    try:
        check_year(moment)
    except ValueError as bad:
        raise Open311Error(400, f"{name}: {bad}") from bad
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZONE)
    return moment.astimezone(UTC)


WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}$")  # ASCII digits: int() takes others


def _positive(name: str, value: str | None, default: int, most: int) -> int:
    if value is None or value == "":
        return default
    if not WHOLE_NUMBER.match(value) or not 1 <= int(value) <= most:
        raise Open311Error(400, f"{name}: a whole number from 1 to {most}")
    return int(value)


def _request_ids(text: str, viewer: str | None) -> RequestQuery:
    """``service_request_id``'s comma list: public ids; and, for an Open311
    key's own station only, its tickets' numbers too (which anyone could
    count through)."""
    ids = tuple(part.strip() for part in text.split(",") if part.strip())
    if len(ids) > MAX_PAGE_SIZE or not all(
        PUBLIC_ID.match(part.lower()) or TICKET_NO.match(part) for part in ids
    ):
        raise Open311Error(400, "service_request_id: a comma list of request ids")
    public_ids = tuple(part.lower() for part in ids if PUBLIC_ID.match(part.lower()))
    ticket_nos = tuple(part for part in ids if TICKET_NO.match(part))
    return RequestQuery(
        public_ids=public_ids,
        ticket_nos=ticket_nos if viewer else (),
        station=viewer,
        by_id=True,
    )


def _request_query(request: Request, viewer: str | None) -> RequestQuery:
    params = request.query_params
    for value in params.values():
        try:
            check_text(value)
        except ValueError as bad:
            raise Open311Error(400, f"a parameter {bad}") from bad
    page = _positive("page", params.get("page"), 1, 1_000_000)
    page_size = _positive(
        "page_size", params.get("page_size"), MAX_PAGE_SIZE, MAX_PAGE_SIZE
    )
    paging = {"offset": (page - 1) * page_size, "limit": page_size}
    ids = params.get("service_request_id")
    if ids:
        return replace(
            _request_ids(ids, viewer), offset=paging["offset"], limit=paging["limit"]
        )
    codes = tuple(
        part.strip()
        for part in params.get("service_code", "").split(",")
        if part.strip()
    )
    statuses = tuple(
        part.strip().lower()
        for part in params.get("status", "").split(",")
        if part.strip()
    )
    if any(status not in ("open", "closed") for status in statuses):
        raise Open311Error(400, "status: open, closed or both (comma separated)")
    start_text, end_text = params.get("start_date"), params.get("end_date")
    now = datetime.now(UTC)
    end = _utc_param("end_date", end_text) if end_text else None
    start = _utc_param("start_date", start_text) if start_text else None
    if start is None and end is None:
        end, start = now, now - MAX_RANGE
    elif start is None:
        assert end is not None
        start = end - MAX_RANGE
    elif end is None:
        end = max(now, start)
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_RANGE:
        raise Open311Error(400, "start_date and end_date may be at most 90 days apart")
    return RequestQuery(
        categories=codes,
        start_utc=start.strftime("%Y-%m-%dT%H:%M:%S"),
        end_utc=end.strftime("%Y-%m-%dT%H:%M:%S"),
        statuses=statuses,
        offset=paging["offset"],
        limit=paging["limit"],
    )


async def _viewer(request: Request) -> str | None:
    """The station of the Open311 key in ``api_key``, if any and valid."""
    key = request.query_params.get("api_key", "")
    if not key:
        return None
    db = request.app.state.db
    station: str | None = await run_in_threadpool(
        run_read, db, lambda: station_for_open311_key(db, key)
    )
    return station


def _page_key(
    request: Request, fmt: str, query: RequestQuery
) -> tuple[str, str, RequestQuery]:
    """The cache key of an anonymous list: the query as it was parsed, with
    the times that follow from the clock (the default 90 days, an end of
    "now") left out, and the lists in one order."""
    params = request.query_params
    normal = replace(
        query,
        public_ids=tuple(sorted(set(query.public_ids))),
        ticket_nos=(),
        station=None,
        categories=tuple(sorted(set(query.categories))),
        statuses=tuple(sorted(set(query.statuses))),
        start_utc=query.start_utc
        if params.get("start_date") or params.get("end_date")
        else None,
        end_utc=query.end_utc if params.get("end_date") else None,
    )
    return (fmt, _language(request), normal)


@router.get("/requests.{fmt}")
async def list_requests(fmt: str, request: Request) -> Response:
    """Requests by id, service, date range and status (up to 1000).

    Asked for with no ``api_key``, the page may be up to a few seconds old
    (central/page_cache.py; ``kiosk-central serve --public-page-seconds``)."""

    async def work() -> Response:
        chosen = _format(fmt)
        viewer = await _viewer(request)
        query = _request_query(request, viewer)
        db = request.app.state.db
        language = _language(request)

        def answer() -> Page:
            # Up to 1000 requests take tens of milliseconds to build and
            # encode (XML several times that): in a thread, never on the
            # event loop that answers /healthz and hands pushes their threads.
            tickets = find_requests(db, query)
            catalog = load_catalog()
            response = render(
                chosen,
                "service_requests",
                [
                    public_request(ticket, catalog, language, viewer)
                    for ticket in tickets
                ],
            )
            return Page(bytes(response.body), response.status_code, _media(response))

        async def rendered() -> Page:
            page: Page = await run_in_threadpool(answer)
            return page

        cache: PageCache = request.app.state.page_cache
        if request.query_params.get("api_key"):
            page = await rendered()  # a key's own text is never kept
        else:
            page = await cache.get(_page_key(request, chosen, query), rendered)
        return Response(page.body, page.status, media_type=page.media_type)

    return await _guard(fmt, work)


def _media(response: Response) -> str:
    return str(response.headers["content-type"])


@router.get("/requests/{request_id}.{fmt}")
async def one_request(request_id: str, fmt: str, request: Request) -> Response:
    """One request, as a list of one: by its public id, or by its ticket
    number for an Open311 key of the ticket's own station."""

    async def work() -> Response:
        chosen = _format(fmt)
        db = request.app.state.db
        viewer = await _viewer(request)
        ticket = None
        if PUBLIC_ID.match(request_id.lower()):
            ticket = await run_in_threadpool(
                ticket_by_public_id, db, request_id.lower()
            )
        if ticket is None and viewer is not None and TICKET_NO.match(request_id):
            ticket = await run_in_threadpool(ticket_by_no, db, request_id)
            if ticket is not None and ticket["station"] != viewer:
                ticket = None
        if ticket is None:
            raise Open311Error(404, f"service_request_id {request_id[:40]!r} not found")
        return render(
            chosen,
            "service_requests",
            [public_request(ticket, load_catalog(), _language(request), viewer)],
        )

    return await _guard(fmt, work)


@router.get("/tokens/{token}.{fmt}")
async def token_lookup(token: str, fmt: str, request: Request) -> Response:
    """The request id behind a token handed out by POST requests."""

    async def work() -> Response:
        chosen = _format(fmt)
        public_id = None
        if UUID.match(token):
            public_id = await run_in_threadpool(
                public_id_for_uuid, request.app.state.db, token
            )
        if public_id is None:
            raise Open311Error(404, f"token {token[:40]!r} not found")
        return render(
            chosen,
            "service_requests",
            [{"service_request_id": public_id, "token": token.lower()}],
        )

    return await _guard(fmt, work)


MOST_FIELDS = 200


def _multipart(body: bytes, content_type: str) -> list[tuple[str, str]]:
    """The text fields of a multipart/form-data body (files, e.g. media, are
    not kept)."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("not multipart")
    pairs = []
    for part in message.iter_parts():  # type: ignore[attr-defined]
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True) or b""
        if not isinstance(payload, bytes):
            raise ValueError("a field is not text")
        pairs.append((name, payload.decode("utf-8")))
        if len(pairs) > MOST_FIELDS:
            raise ValueError("too many fields")
    return pairs


def _form(body: bytes, content_type: str) -> dict[str, str]:
    kind = content_type.lower()
    if not kind.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        raise Open311Error(
            400,
            "send the fields as application/x-www-form-urlencoded; charset=utf-8 "
            "or multipart/form-data",
        )
    try:
        if kind.startswith("multipart/"):
            pairs = _multipart(body, content_type)
        else:
            pairs = parse_qsl(
                body.decode("utf-8"),
                keep_blank_values=True,
                strict_parsing=False,
                max_num_fields=MOST_FIELDS,
                errors="strict",
            )
    except (UnicodeError, ValueError, LookupError) as bad:
        raise Open311Error(400, "the form is not valid UTF-8 form data") from bad
    fields: dict[str, str] = {}
    for name, value in pairs:
        try:
            check_text(name)
            check_text(value)
        except ValueError as bad:
            raise Open311Error(400, f"{name[:40]}: {bad}") from bad
        fields.setdefault(name, value)
    return fields


def _full_name(last: str, first: str) -> str:
    """Family name first; no space between two names in Chinese characters
    (张三, not 张 三)."""
    parts = [part.strip() for part in (last, first) if part.strip()]
    wide = all(
        unicodedata.east_asian_width(char) in "WF" for part in parts for char in part
    )
    return ("" if wide else " ").join(parts)


def _coordinate(fields: dict[str, str], name: str, limit: float) -> float | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError as bad:
        raise Open311Error(400, f"{name}: not a number") from bad
    if not math.isfinite(value) or abs(value) > limit:
        raise Open311Error(400, f"{name}: must be between -{limit:g} and {limit:g}")
    return value


def _new_request(station: str, fields: dict[str, str], catalog: Catalog) -> NewRequest:
    code = fields.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code: required")
    try:
        category = catalog.category(code)
    except KeyError as missing:
        raise Open311Error(400, f"service_code {code[:40]!r} not found") from missing
    item = (fields.get("attribute[item]") or OTHER_ITEM).strip()
    try:
        category.item(item)
    except KeyError as missing:
        raise Open311Error(
            400, f"attribute[item]: {item[:40]!r} is not a value of {code}"
        ) from missing
    lat = _coordinate(fields, "lat", 90)
    lon = _coordinate(fields, "long", 180)
    address = clean_text(fields.get("address_string", ""), 200)
    address_id = clean_text(fields.get("address_id", ""), 60)
    if (lat is None) != (lon is None):
        raise Open311Error(400, "lat and long: send both or neither")
    if lat is None and not address and not address_id:
        raise Open311Error(
            400, "a location is required: lat and long, address_string or address_id"
        )
    description = fields.get("description", "")
    if len(description) > DESCRIPTION_LIMIT:
        raise Open311Error(400, f"description: at most {DESCRIPTION_LIMIT} characters")
    name = clean_text(
        _full_name(fields.get("last_name", ""), fields.get("first_name", "")),
        NAME_LIMIT,
    )
    phone = fields.get("phone", "").strip()
    mobile = None
    if phone:
        try:
            mobile = normalize_mobile(phone)
        except TicketInputError as bad:
            raise Open311Error(
                400, "phone: an 11-digit mainland mobile number"
            ) from bad
    return NewRequest(
        station=station,
        category=category.code,
        item=item,
        building=address or address_id,
        description=clean_text(description, DESCRIPTION_LIMIT, multiline=True),
        contact_name=name or None,
        contact_mobile=mobile,
        language=pick_language(None, fields.get("locale")),
        lat=lat,
        lon=lon,
    )


OPEN311_ERRORS: dict[str, Any] = {
    "description": "Open311 errors: [{code, description}]",
    "content": {
        "application/json": {
            "schema": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "integer"},
                        "description": {"type": "string"},
                    },
                },
            }
        }
    },
}
# A field is text without NUL (central.schemas.check_text; else 400).
NO_NUL = "^[^\\u0000]*$"
_FORM_SCHEMA = {
    "type": "object",
    "required": ["api_key", "service_code"],
    "propertyNames": {"pattern": NO_NUL},
    "additionalProperties": {"type": "string", "pattern": NO_NUL},
    "properties": {
        name: {"type": "string", "pattern": NO_NUL}
        for name in (
            "api_key",
            "service_code",
            "attribute[item]",
            "lat",
            "long",
            "address_string",
            "address_id",
            "email",
            "device_id",
            "account_id",
            "first_name",
            "last_name",
            "phone",
            "description",
            "media_url",
            "locale",
        )
    },
}


@router.post(
    "/requests.{fmt}",
    responses={
        status: OPEN311_ERRORS for status in (400, 403, 404, 409, 413, 429, 503)
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _FORM_SCHEMA},
                "multipart/form-data": {"schema": _FORM_SCHEMA},
            },
        }
    },
)
async def create_request(fmt: str, request: Request) -> Response:
    """File a request (form-encoded, with an Open311 ``api_key``)."""

    async def work() -> Response:
        chosen = _format(fmt)
        fields = _form(await request.body(), request.headers.get("content-type", ""))
        db = request.app.state.db
        key = fields.get("api_key", "")
        station = (
            await run_in_threadpool(
                run_read, db, lambda: station_for_open311_key(db, key)
            )
            if key
            else None
        )
        if station is None:
            raise Open311Error(403, "api_key: missing or not valid")
        wait = request.app.state.limiter.writes_by_key.take(key)
        if wait > 0:
            return too_many(chosen, wait)
        new = _new_request(station, fields, load_catalog())
        ticket = await run_in_threadpool(file_request, db, new)
        url = f"{_base_url(request)}/t/{ticket['ticket_no']}?k={ticket['token']}"
        notice = (
            f"Passed to station {station}. Track it at {url}"
            if _language(request) == "en"
            else f"已转 {station} 服务站办理。查询进度：{url}"
        )
        return render(
            chosen,
            "service_requests",
            [
                {
                    "service_request_id": ticket["public_id"],
                    "token": ticket["uuid"],
                    "service_notice": notice,
                    "account_id": None,
                }
            ],
            200,
        )

    return await _guard(fmt, work)
