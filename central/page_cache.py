"""Rendered public Open311 list pages, kept a few seconds.

A page of 1000 requests is tens of milliseconds of Python to read, build and
encode; a crowd asking for the same list would spend the processor station
pushes need. So the anonymous lists (``GET requests.{fmt}`` with no
``api_key``) are kept as rendered bytes, keyed by the normalised query (the
parsed filters, the page, the format and the language), and served on the
event loop without the database or a thread:

- a page is at most ``max_age`` seconds old (``kiosk-central serve
  --public-page-seconds``, 2 by default; 0 turns the cache off): a change is
  in every list at most that long after it was stored, whichever instance
  stored it;
- requests for a page being rendered wait for that one rendering instead of
  rendering it again;
- at most ``most_pages`` pages and ``most_bytes`` bytes are kept; the least
  recently used go first, and a page larger than the whole budget is never
  kept.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

DEFAULT_MAX_AGE = 2.0
MOST_PAGES = 64
# A page of 1000 requests is about 0.5 MB of JSON, 0.8 MB of XML.
MOST_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    """One rendered answer: what the response is made from."""

    body: bytes
    status: int
    media_type: str


@dataclass
class _Entry:
    page: Page
    stored_at: float  # monotonic


class PageCache:
    def __init__(
        self,
        max_age: float = DEFAULT_MAX_AGE,
        most_pages: int = MOST_PAGES,
        most_bytes: int = MOST_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_age = max_age
        self.most_pages = most_pages
        self.most_bytes = most_bytes
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._rendering: dict[Hashable, asyncio.Future[Page]] = {}
        self.stored_bytes = 0
        self.renders = 0  # pages rendered through the cache (for tests, benches)

    @property
    def enabled(self) -> bool:
        return self.max_age > 0

    def __len__(self) -> int:
        return len(self._entries)

    def fresh(self, key: Hashable) -> Page | None:
        """The page kept for ``key`` if it is young enough, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self.clock() - entry.stored_at >= self.max_age:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry.page

    async def get(self, key: Hashable, render: Callable[[], Awaitable[Page]]) -> Page:
        """The page for ``key``: kept, being rendered, or rendered now."""
        if not self.enabled:
            return await render()
        page = self.fresh(key)
        if page is not None:
            return page
        pending = self._rendering.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this request was cancelled, not the rendering
            return await render()  # the rendering's request went away
        future: asyncio.Future[Page] = asyncio.get_running_loop().create_future()
        self._rendering[key] = future
        try:
            page = await render()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as problem:
            future.set_exception(problem)
            # Those who waited get the problem; nobody else needs to see it.
            future.exception()
            raise
        finally:
            del self._rendering[key]
        future.set_result(page)
        self.renders += 1
        if page.status == 200:
            self._store(key, page)
        return page

    def _store(self, key: Hashable, page: Page) -> None:
        size = len(page.body)
        if size > self.most_bytes:
            return
        self._drop(key)
        self._entries[key] = _Entry(page, self.clock())
        self.stored_bytes += size
        while len(self._entries) > self.most_pages or (
            self.stored_bytes > self.most_bytes
        ):
            oldest = next(iter(self._entries))
            self._drop(oldest)

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.stored_bytes -= len(entry.page.body)
