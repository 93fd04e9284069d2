"""The central HTTP service: sync API, Open311, tracking page, health check.

Stateless: everything lives in the database, so any number of instances can
serve one PostgreSQL behind a load balancer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central import open311, tracking_page
from central.db import CentralDatabase
from central.health import DatabaseWatch
from central.intake import Intake
from central.limits import Rates
from central.open311 import FORMATS
from central.page_cache import DEFAULT_MAX_AGE, PageCache
from central.rates import Limiter, RateLimit
from central.schemas import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY,
    ErrorBody,
    FieldError,
    PullResult,
    PushBatch,
    PushResult,
    field_name,
)
from central.store.base import (
    ZONE,
    Rejected,
    StoreUnavailable,
    now_local,
    run_read,
)
from central.store.pull import CURSOR_PATTERN, pull_events
from central.store.push import write_push
from central.store.stations import station_for_key


@dataclass(frozen=True)
class ServerSettings:
    max_body: int = DEFAULT_MAX_BODY
    max_batch: int = DEFAULT_MAX_BATCH
    public_base_url: str = ""  # empty: the address the server listens on
    # Processes that prepare large pushes (central.intake); 0: none.
    intake_processes: int = 0
    # PostgreSQL: the pool's unused connections close after this long quiet.
    db_idle_seconds: float = 60.0
    rates: Rates = Rates()
    # Anonymous Open311 lists are served from pages at most this old
    # (central/page_cache.py); 0: every list is read afresh.
    public_page_seconds: float = DEFAULT_MAX_AGE


# Field errors listed in one answer: a batch of 2,000 bad events can have
# tens of thousands, and a station (and its log) needs the first few.
MAX_LISTED_ERRORS = 50


def error_response(
    status: int,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    errors = errors or []
    if len(errors) > MAX_LISTED_ERRORS:
        detail = (
            f"{detail} ({len(errors)} problems; the first {MAX_LISTED_ERRORS} "
            "are listed)"
        )
        errors = errors[:MAX_LISTED_ERRORS]
    body = ErrorBody(detail=detail, errors=errors)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


PUSH_PATH = "/api/v1/events"
# An Open311 form: a 4,000-character description and a few short fields.
OPEN311_MAX_BODY = 64 * 1024


class BodyLimit:
    """Before the app reads a body: a push's key is checked (401, and the body
    is never read), and a body over the limit answers 413."""

    def __init__(self, app: ASGIApp, max_body: int, db: CentralDatabase) -> None:
        self.app = app
        self.max_body = max_body
        self.db = db

    async def _push_station(self, scope: Scope) -> str | None:
        headers = dict(scope["headers"])
        key = _bearer_key(headers.get(b"authorization", b"").decode("latin-1"))
        if key is None:
            return None
        db = self.db
        return await run_in_threadpool(run_read, db, lambda: station_for_key(db, key))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        max_body = self.max_body
        path: str = scope["path"]
        headers = dict(scope["headers"])
        if path == PUSH_PATH and scope["method"] == "POST":
            station = await self._push_station(scope)
            if station is None:
                refused = error_response(
                    401,
                    "send the station's valid API key as Authorization: Bearer <key>",
                    headers={"WWW-Authenticate": "Bearer", "Connection": "close"},
                )
                await refused(scope, receive, send)
                return
            scope.setdefault("state", {})["station"] = station
            content_type = headers.get(b"content-type", b"application/json")
            if not content_type.lower().startswith(b"application/json"):
                not_json = error_response(
                    415,
                    "send the batch as application/json",
                    headers={"Connection": "close"},
                )
                await not_json(scope, receive, send)
                return
        else:
            max_body = min(max_body, OPEN311_MAX_BODY)
        text = f"the body is larger than {max_body} bytes; send less at once"
        too_big = (
            open311.error("xml" if path.endswith(".xml") else "json", 413, text)
            if path.startswith("/open311/")
            else error_response(413, text)
        )
        too_big.headers["Connection"] = "close"
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > max_body:
                    await too_big(scope, receive, send)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_body:
                await too_big(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _describe_public_paths(schema: dict[str, Any]) -> None:
    """Open311 and the tracking page: the formats a ``{fmt}`` takes, and the
    errors they answer (Open311's error form on Open311's paths)."""
    for path, operations in schema["paths"].items():
        if not path.startswith(("/open311/", "/t/")):
            continue
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "fmt":
                    parameter["schema"] = {"type": "string", "enum": list(FORMATS)}
            answers = operation.setdefault("responses", {})
            answers.pop("422", None)  # these paths answer 400, not 422
            if path.startswith("/open311/"):
                for status in ("400", "404", "429", "503"):
                    answers.setdefault(status, open311.OPEN311_ERRORS)
                for answer in answers.values():  # .xml answers in XML
                    content = answer.setdefault("content", {})
                    content.setdefault("application/json", {"schema": {}})
                    content.setdefault("text/xml", {"schema": {"type": "string"}})
            else:
                for status, text in (
                    ("404", "No such ticket, or not its token"),
                    ("429", "Too many requests; see Retry-After"),
                    ("503", "The database is not answering"),
                ):
                    answers.setdefault(status, {"description": text})
                if path.endswith(("/answer", "/note")):
                    # The tracking page's forms (central/tracking_page.py).
                    for status, text in (
                        ("303", "Stored: on to the ticket's page, which says so"),
                        ("400", "A missing answer, or a form not made by the page"),
                        ("403", "Sent from another site's page"),
                        ("409", "The ticket no longer takes it (the page says why)"),
                    ):
                        answers.setdefault(status, {"description": text})


def _allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    allowed: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            allowed.update(getattr(route, "methods", None) or ())
    return sorted(allowed)


# The central's clock in every sync answer: the station measures its skew.
CENTRAL_TIME_HEADER = "Central-Time"


def central_time_header() -> dict[str, str]:
    """The central's time when the answer leaves, to the millisecond."""
    moment = datetime.now(ZONE).isoformat(timespec="milliseconds")
    return {CENTRAL_TIME_HEADER: moment}


def _bearer_key(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def create_app(db: CentralDatabase, settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings()
    intake = Intake(settings.max_batch, settings.intake_processes)
    watch = DatabaseWatch(db, settings.db_idle_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        intake.start()
        watch.start()
        try:
            yield
        finally:
            watch.close()
            intake.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Station kiosk central",
        version="1",
        description=(
            "Sync API for community service stations (docs/sync-protocol.md), "
            "Open311 GeoReport v2 at /open311/v2, ticket tracking at /t/{ticket_no}."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.db = db
    app.state.settings = settings
    app.state.intake = intake
    limiter = Limiter(settings.rates)
    app.state.limiter = limiter
    app.state.page_cache = PageCache(settings.public_page_seconds)

    def authenticated_station(request: Request) -> str:
        key = _bearer_key(request.headers.get("authorization"))
        if key is None:
            raise Rejected(
                401, "send the station's API key as Authorization: Bearer <key>"
            )
        station = run_read(db, lambda: station_for_key(db, key))
        if station is None:
            raise Rejected(401, "the API key is not valid")
        return station

    @app.exception_handler(Rejected)
    async def rejected(request: Request, error: Rejected) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        return error_response(error.status, error.detail, error.errors, headers)

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, error: StoreUnavailable) -> JSONResponse:
        return error_response(503, str(error), headers={"Retry-After": "5"})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = []
        for entry in error.errors():
            location = tuple(entry.get("loc", ()))
            if location and location[0] in ("query", "path", "header", "body"):
                location = location[1:]
            errors.append(
                FieldError(field=field_name(location), message=str(entry.get("msg")))
            )
        return error_response(422, "the request is not valid", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(
        request: Request, error: StarletteHTTPException
    ) -> JSONResponse:
        headers = dict(error.headers) if error.headers else {}
        if error.status_code == 405:
            # Starlette names the methods of the first route on the path only.
            headers["Allow"] = ", ".join(_allowed_methods(app, request.scope))
        return error_response(
            error.status_code, str(error.detail), headers=headers or None
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        return error_response(500, "internal error; the central's log has the details")

    error_responses: dict[int | str, dict[str, Any]] = {
        401: {"model": ErrorBody, "description": "No key, or a wrong key"},
        422: {"model": ErrorBody, "description": "Malformed data; the field is named"},
        503: {"model": ErrorBody, "description": "The database is not answering"},
    }

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        """For load balancers: 200 when this instance and its database answer.

        Answered on the event loop from the last ping of the database (one a
        second, from a thread of its own): never queued behind busy request
        threads. ``intake`` says whether large pushes are prepared in intake
        processes yet (``ready``), not yet (``starting``) or never here
        (``off``).
        """
        if not watch.answering():
            return error_response(
                503,
                "the central database is not answering",
                headers={"Retry-After": "5"},
            )
        return JSONResponse({"status": "ok", "database": "ok", "intake": intake.state})

    @app.post(
        "/api/v1/events",
        tags=["sync"],
        response_model=PushResult,
        responses={
            **error_responses,
            403: {"model": ErrorBody, "description": "Another station's ticket"},
            409: {"model": ErrorBody, "description": "A conflict no rule names"},
            413: {"model": ErrorBody, "description": "Too many events or bytes"},
            415: {"model": ErrorBody, "description": "The body is not JSON"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/PushBatch"}
                    }
                },
            }
        },
    )
    async def push(request: Request) -> JSONResponse:
        """Push a batch of events; each event is stored once (idempotent by uuid)."""
        body = await request.body()

        def authenticated_push() -> dict[str, Any]:
            # BodyLimit checked the key before the body was read.
            station = getattr(request.state, "station", None) or (
                authenticated_station(request)
            )
            received_at = now_local().isoformat()
            prepared = intake.prepare(body, station, received_at)
            return write_push(db, station, prepared)

        result = await run_in_threadpool(authenticated_push)
        return JSONResponse(result, headers=central_time_header())

    @app.get(
        "/api/v1/events",
        tags=["sync"],
        response_model=PullResult,
        responses=error_responses,
    )
    def pull(
        station: str = Depends(authenticated_station),
        since: str | None = Query(
            None,
            max_length=64,
            pattern=CURSOR_PATTERN,
            description="The cursor of the previous answer (empty: from the start)",
        ),
        limit: int = Query(100, ge=1, le=500),
    ) -> JSONResponse:
        """Events made centrally on this station's tickets, after the cursor."""
        result = pull_events(db, station, since, limit)
        return JSONResponse(result, headers=central_time_header())

    app.include_router(open311.router)
    app.include_router(tracking_page.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        batch_schema = PushBatch.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(batch_schema.pop("$defs", {}))
        components["PushBatch"] = batch_schema
        schema["components"]["securitySchemes"] = {
            "stationKey": {"type": "http", "scheme": "bearer"}
        }
        for operation in schema["paths"][PUSH_PATH].values():
            operation["security"] = [{"stationKey": []}]
        _describe_public_paths(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(BodyLimit, max_body=settings.max_body, db=db)
    # Outermost: a request over its rate is refused before anything else.
    app.add_middleware(RateLimit, limiter=limiter)
    return app
