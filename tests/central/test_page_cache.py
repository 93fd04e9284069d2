"""Anonymous Open311 lists come from pages a few seconds old at most
(central/page_cache.py): the same bytes as a fresh read, never older than
``--public-page-seconds``, never a key's own text, and a bounded number of
bytes kept."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from central.page_cache import Page, PageCache
from tests.central.conftest import (
    NO_RATE_LIMITS,
    Central,
    Server,
    new_ticket,
    start_server,
)

QUERIES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("json", {}, {}),
    ("xml", {}, {}),
    ("json", {"service_code": "housing", "status": "open"}, {}),
    ("json", {"status": "open,closed", "page_size": "3", "page": "2"}, {}),
    ("json", {}, {"Accept-Language": "en"}),
    (
        "xml",
        {
            "start_date": "2026-11-01T00:00:00+08:00",
            "end_date": "2026-11-30T00:00:00+08:00",
        },
        {},
    ),
]


def _serve(central: Central, folder: Path, page_seconds: str) -> Server:
    return start_server(
        central.db_url,
        folder,
        *NO_RATE_LIMITS,
        "--intake-processes",
        "0",
        "--public-page-seconds",
        page_seconds,
    )


@pytest.fixture
def servers(central: Central, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two more instances on the central's database: pages kept a minute,
    and pages never kept."""
    kept = _serve(central, tmp_path, "60")
    fresh = _serve(central, tmp_path, "0")
    yield kept, fresh
    for server in (kept, fresh):
        server.stop()
        assert "Traceback" not in server.log(), server.log()


def _push(central: Central, **changes: str) -> str:
    received, data = new_ticket(**changes)
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received]})
        assert answer.is_success, answer.text
    return central.public_id_of(str(data["ticket_no"]))


def _ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [request["service_request_id"] for request in answer.json()]


def test_a_kept_page_is_the_same_as_a_fresh_read(
    central: Central, servers: tuple[Server, Server]
) -> None:
    kept, fresh = servers
    for _ in range(4):
        _push(central)
    with httpx.Client(timeout=30) as client:
        for fmt, params, headers in QUERIES:
            path = f"/open311/v2/requests.{fmt}"
            first = client.get(kept.base_url + path, params=params, headers=headers)
            again = client.get(kept.base_url + path, params=params, headers=headers)
            afresh = client.get(fresh.base_url + path, params=params, headers=headers)
            assert first.status_code == again.status_code == afresh.status_code == 200
            assert first.content == again.content == afresh.content, (fmt, params)
            assert (
                first.headers["content-type"]
                == again.headers["content-type"]
                == afresh.headers["content-type"]
            )


def test_a_kept_page_is_served_until_it_is_too_old(
    central: Central, servers: tuple[Server, Server]
) -> None:
    kept, fresh = servers
    params = {"service_code": "housing"}
    path = "/open311/v2/requests.json"
    with httpx.Client(timeout=30) as client:
        before = _ids(client.get(kept.base_url + path, params=params))
        public_id = _push(central)
        # Kept for a minute: the page rendered before the push is served.
        still = _ids(client.get(kept.base_url + path, params=params))
        afresh = _ids(client.get(fresh.base_url + path, params=params))
        # Another query is another page, read afresh.
        other = _ids(
            client.get(
                f"{kept.base_url}/open311/v2/requests.json",
                params={**params, "status": "open"},
            )
        )
    assert public_id not in before
    assert still == before
    assert public_id in afresh and public_id in other


def test_a_change_shows_once_the_page_is_older_than_its_limit(
    central: Central, tmp_path: Path
) -> None:
    server = _serve(central, tmp_path, "0.5")
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            _ids(client.get("/open311/v2/requests.json"))
            public_id = _push(central)
            deadline = time.monotonic() + 30
            while public_id not in _ids(client.get("/open311/v2/requests.json")):
                assert time.monotonic() < deadline, "the change never showed"
                # The page's age is the condition; this only paces the reads.
                time.sleep(0.1)
    finally:
        server.stop()
    assert "Traceback" not in server.log(), server.log()


def test_a_keys_own_text_is_never_kept(
    central: Central, servers: tuple[Server, Server]
) -> None:
    kept, _ = servers
    params = {"service_code": "housing", "api_key": central.open311_keys["PHY3"]}
    with httpx.Client(base_url=kept.base_url, timeout=30) as client:
        client.get("/open311/v2/requests.json", params={"service_code": "housing"})
        client.get("/open311/v2/requests.json", params=params)
        public_id = _push(central, description="漏水的窗户")
        mine = client.get("/open311/v2/requests.json", params=params).json()
    assert [r["description"] for r in mine if r["service_request_id"] == public_id] == [
        "漏水的窗户"
    ]


# ----------------------------------------------- the cache itself, by its clock


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _page(text: str) -> Page:
    return Page(text.encode(), 200, "application/json; charset=utf-8")


def test_pages_are_kept_for_max_age_seconds_only() -> None:
    clock = Clock()
    cache = PageCache(max_age=2.0, clock=clock)
    bodies = iter(["one", "two"])

    async def render() -> Page:
        return _page(next(bodies))

    async def read() -> bytes:
        return (await cache.get("list", render)).body

    assert asyncio.run(read()) == b"one"
    clock.now += 1.9
    assert asyncio.run(read()) == b"one"
    clock.now += 0.1
    assert asyncio.run(read()) == b"two"
    assert cache.renders == 2


def test_the_cache_keeps_a_bounded_number_of_pages_and_bytes() -> None:
    cache = PageCache(max_age=60, most_pages=3, most_bytes=1000, clock=Clock())

    async def fill() -> None:
        for number in range(5):
            await cache.get(number, _renderer("x" * 100))
        await cache.get("large", _renderer("y" * 700))
        await cache.get("too large", _renderer("z" * 1001))

    asyncio.run(fill())
    assert len(cache) <= 3 and cache.stored_bytes <= 1000
    assert cache.fresh("too large") is None
    assert cache.fresh(0) is None  # the least recently used went first
    assert cache.fresh("large") is not None


def test_a_page_being_rendered_is_rendered_once_for_all_who_ask() -> None:
    cache = PageCache(max_age=60, clock=Clock())

    async def ask_together() -> list[bytes]:
        started = asyncio.Event()
        release = asyncio.Event()

        async def render() -> Page:
            started.set()
            await release.wait()
            return _page("list")

        first = asyncio.create_task(cache.get("list", render))
        await started.wait()
        others = [asyncio.create_task(cache.get("list", render)) for _ in range(9)]
        await asyncio.sleep(0)  # let the others reach the rendering's future
        release.set()
        pages = await asyncio.gather(first, *others)
        return [page.body for page in pages]

    assert asyncio.run(ask_together()) == [b"list"] * 10
    assert cache.renders == 1


def test_errors_are_never_kept() -> None:
    cache = PageCache(max_age=60, clock=Clock())
    answers = iter([Page(b"busy", 503, "application/json"), _page("list")])

    async def render() -> Page:
        return next(answers)

    async def read() -> int:
        return (await cache.get("list", render)).status

    assert asyncio.run(read()) == 503
    assert asyncio.run(read()) == 200


def _renderer(text: str) -> Callable[[], Awaitable[Page]]:
    async def render() -> Page:
        return _page(text)

    return render
