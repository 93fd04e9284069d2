"""Rate limits on what anyone may ask of the central: Open311 filings per key
and per address, public reads (Open311 GETs, the tracking page) per address
and, all addresses together, per instance.

Token buckets in this process (each instance counts its own). A request over
its limit answers 429 with ``Retry-After``. Station pushes and pulls are not
limited here (their key is their limit), and public reads also share a few
database threads of their own, so a flood of them cannot take the threads
pushes need.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from central.language import pick_language
from central.limits import Rates
from central.open311 import too_many as open311_too_many
from central.tracking_page import busy_page

OPEN311_PREFIX = "/open311/"
TRACKING_PREFIX = "/t/"
MOST_BUCKETS = 100_000  # the least recently used go first beyond this
# Public reads running at once in this instance; more wait their turn. A
# list of 1000 is tens of milliseconds of Python: two at once leave the
# interpreter to pushes and /healthz most of the time.
PUBLIC_READS_AT_ONCE = 2
ALL_ADDRESSES = "*"  # the one bucket of the instance's total
MOST_PAGE_COST = 11.0  # a page of 1000 requests (_page_cost)
# A refusal is answered after this long at most (never longer than the
# wait it announces): a client that asks again at once, whatever
# Retry-After says, gets about one answer a second per connection instead of
# thousands, and a waiting connection costs the instance next to nothing.
REFUSAL_DELAY_SECONDS = 1.0


class Buckets:
    """Token buckets by key: ``per_minute`` tokens a minute, ``burst`` (by
    default as many) at once."""

    def __init__(self, per_minute: int, burst: float | None = None) -> None:
        self.per_minute = per_minute
        self.burst = float(per_minute if burst is None else burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, cost: float = 1.0) -> float:
        """0 if ``key`` may go ahead now (its tokens are taken), else the
        seconds until it may."""
        now = time.monotonic()
        rate = self.per_minute / 60.0
        tokens, updated = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - updated) * rate)
        cost = min(cost, self.burst)
        wait = 0.0
        if tokens >= cost:
            tokens -= cost
        else:
            wait = (cost - tokens) / rate
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > MOST_BUCKETS:
            self._buckets.popitem(last=False)
        return wait


def _client(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "?"


def _format(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def _page_cost(query: bytes) -> float:
    """A read of up to 1000 requests costs more than one of a few."""
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if name == b"page_size" and value.isdigit() and len(value) <= 4:
            return 1.0 + int(value) / 100
    return 1.0 if b"service_request_id" in query else 11.0  # default page: 1000


class Limiter:
    """The buckets of one instance."""

    def __init__(self, rates: Rates) -> None:
        self.writes_by_key = Buckets(rates.open311_writes_per_minute)
        self.writes_by_address = Buckets(rates.open311_writes_per_minute)
        self.reads_by_address = Buckets(rates.public_reads_per_minute)
        self.tracking_posts_by_ticket = Buckets(
            rates.tracking_posts_per_ticket_per_minute
        )
        # At once, a second's worth: not a minute's reads in one burst.
        self.reads_in_total = Buckets(
            rates.public_reads_total_per_minute,
            burst=max(MOST_PAGE_COST, rates.public_reads_total_per_minute / 60),
        )


class RateLimit:
    """The ASGI middleware; see the module's docstring."""

    def __init__(self, app: ASGIApp, limiter: Limiter) -> None:
        self.app = app
        self.writes_by_address = limiter.writes_by_address
        self.reads_by_address = limiter.reads_by_address
        self.reads_in_total = limiter.reads_in_total
        self.public_reads = asyncio.Semaphore(PUBLIC_READS_AT_ONCE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        public = path.startswith((OPEN311_PREFIX, TRACKING_PREFIX))
        if not public:
            await self.app(scope, receive, send)
            return
        address = _client(scope)
        if scope["method"] == "POST":
            wait = self.writes_by_address.take(address)
        else:
            cost = _page_cost(scope.get("query_string", b""))
            wait = self.reads_by_address.take(address, cost)
            if wait <= 0:
                wait = self.reads_in_total.take(ALL_ADDRESSES, cost)
        if wait > 0:
            await asyncio.sleep(min(wait, REFUSAL_DELAY_SECONDS))
            await too_many(wait, path, scope)(scope, receive, send)
            return
        if scope["method"] == "POST":
            await self.app(scope, receive, send)
            return
        async with self.public_reads:
            await self.app(scope, receive, send)


def too_many(wait: float, path: str, scope: Scope | None = None) -> Response:
    """429 with Retry-After, in Open311's error form on Open311's paths and
    as a page a resident can read on the tracking page's."""
    if path.startswith(OPEN311_PREFIX):
        return open311_too_many(_format(path), wait)
    seconds = max(1, math.ceil(wait))
    if path.startswith(TRACKING_PREFIX):
        headers = dict(scope["headers"]) if scope else {}
        accept = headers.get(b"accept-language", b"").decode("latin-1")
        return busy_page(pick_language(accept or None), seconds)
    text = f"too many requests; try again in {seconds} s"
    return JSONResponse(
        {"detail": text, "errors": []},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )
