"""The HTTP server's own limits, so that ``kiosk-central serve`` alone is safe
to put on the internet (docs: deploy/central.md).

uvicorn's httptools protocol, with:

- a cap on the bytes of a request line and its headers (431 beyond it);
- a read timeout: the headers must be complete within ``read_timeout`` of the
  connection (or of the request's first byte), and a body may not stall
  longer than that between two reads (a slow client is closed, 408);
- a cap on open connections (a connection beyond it is closed at once).

A body is only read once the app asks for it, and the app checks a push's
key before it does (central/app.py, ``KeyFirst``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from central.limits import Limits

LINGER_SECONDS = 1.0  # how long a refused client's last bytes are dropped


def _plain(status: bytes, text: str) -> bytes:
    body = text.encode("ascii")
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


class GuardedHttp(HttpToolsProtocol):
    """HttpToolsProtocol with header, time and connection limits."""

    limits = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_bytes = 0
        self._in_headers = True
        self._reading_body = False
        self._read_timer: asyncio.TimerHandle | None = None
        self._discarding = False

    # -------------------------------------------------------------- timers

    def _arm(self) -> None:
        self._disarm()
        self._read_timer = self.loop.call_later(
            self.limits.read_timeout, self._read_timed_out
        )

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if self.transport.is_closing():
            return
        if self._reading_body and self.flow.read_paused:
            self._arm()  # the app is not reading yet; the client is not late
            return
        if self._in_headers or self._reading_body:
            self._refuse(b"408 Request Timeout", "the request came too slowly")

    def _refuse(self, status: bytes, text: str) -> None:
        """Answer and end the connection; what the client still sends for a
        moment is read and dropped, so that it gets the answer, not a reset."""
        self._disarm()
        self._discarding = True
        self.transport.write(_plain(status, text))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    # -------------------------------------------------------------- protocol

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(b"503 Service Unavailable", "too many connections")
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self._in_headers:
            self._header_bytes += len(data)
        elif self._reading_body:
            self._arm()
        super().data_received(data)
        if self.transport.is_closing() or self._discarding:
            return
        if self._in_headers and self._header_bytes > self.limits.max_header_bytes:
            self._refuse(
                b"431 Request Header Fields Too Large",
                f"the request line and headers may have at most "
                f"{self.limits.max_header_bytes} bytes",
            )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        if self._read_timer is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._reading_body = True
        self._arm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._in_headers = True  # the next request's bytes count from here
        self._header_bytes = 0
        self._disarm()
        super().on_message_complete()


def protocol_with(limits: Limits) -> type[GuardedHttp]:
    """The protocol class uvicorn makes for each connection, with ``limits``."""
    return type("GuardedHttp", (GuardedHttp,), {"limits": limits})
