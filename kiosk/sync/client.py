"""The HTTP side of sync: the central's client, its errors, and backoff.

CentralClient speaks to the central (docs/sync-protocol.md) over a
requests.Session with timeouts, TLS verified and the station's bearer key;
every failure becomes a SyncError with a one-line reason that never holds
the key.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests

from kiosk import __version__
from kiosk.clock import SkewReading, measure_skew
from kiosk.config import Settings

PUSH_PATH = "/api/v1/events"
PULL_PATH = "/api/v1/events"
# Longest Retry-After the engine honours; a larger one is read as this.
RETRY_AFTER_LIMIT = 3600.0
# The central's clock in its sync answers (docs/sync-protocol.md); an answer
# without it (an older central, a proxy's error page) is read by its Date.
CENTRAL_TIME_HEADER = "Central-Time"


class SyncError(Exception):
    """A sync step failed; the message is one line for people.

    ``transient`` failures (network, timeouts, 5xx, 429) are retried with
    backoff; the others (401, 403, 413, 422) need a person or a smaller batch.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool = True,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status
        self.retry_after = retry_after


def backoff_delay(
    failures: int, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**n))."""
    chooser = rng or random
    ceiling = min(cap, base * (2 ** min(max(failures - 1, 0), 30)))
    return chooser.uniform(0, ceiling)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_LIMIT)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    seconds = moment.timestamp() - (time.time() if now is None else now)
    return min(max(seconds, 0.0), RETRY_AFTER_LIMIT)


class CentralClient:
    """The HTTP side: a requests.Session with timeouts, TLS verified, bearer key.

    Every failure becomes a SyncError whose message never holds the API key.
    """

    def __init__(
        self,
        settings: Settings,
        session: requests.Session | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ):
        central = settings.central
        self._now = now or (lambda: datetime.now(settings.zone))
        # The box's clock against the central's, from the last answer.
        self.skew: SkewReading | None = None
        self.base_url = central.url.rstrip("/")
        self.api_key = central.api_key
        self.timeout = (central.connect_timeout, central.read_timeout)
        self.session = session or requests.Session()
        # Certificate verification is always on; a CA bundle only adds trust.
        self.session.verify = central.ca_bundle or True
        self.session.trust_env = False
        self.session.headers.update(
            {
                "Authorization": f"Bearer {self.api_key}",
                "User-Agent": f"station-kiosk/{__version__}",
                "Accept": "application/json",
            }
        )

    def close(self) -> None:
        self.session.close()

    def push(self, body: bytes) -> dict[str, Any]:
        return self._request(
            "POST",
            PUSH_PATH,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    def pull(self, cursor: str | None, limit: int) -> dict[str, Any]:
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["since"] = cursor
        return self._request("GET", PULL_PATH, params=params)

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        url = self.base_url + path
        where = display_url(self.base_url)
        sent, sent_monotonic = self._now(), time.monotonic()
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            content = response.content  # read fully: a cut body fails here
        except requests.exceptions.SSLError as error:
            raise SyncError(
                self._clean(f"TLS certificate check failed for {where}: {error}")
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise SyncError(
                f"the central at {where} did not accept a connection within "
                f"{self.timeout[0]:g} s"
            ) from None
        except requests.exceptions.ReadTimeout:
            raise SyncError(
                f"the central at {where} did not answer within {self.timeout[1]:g} s"
            ) from None
        except requests.exceptions.ConnectionError as error:
            raise SyncError(
                f"cannot reach the central at {where} ({_reason(error)})"
            ) from None
        except requests.exceptions.RequestException as error:
            raise SyncError(
                f"the connection to the central at {where} failed ({_reason(error)})"
            ) from None
        self._measure_skew(response, sent, sent_monotonic)
        status = response.status_code
        if status >= 400:
            raise self._status_error(response, content, where)
        try:
            parsed = json.loads(content)
        except ValueError:
            raise SyncError(
                f"the central at {where} sent an answer that is not JSON "
                f"(HTTP {status}, {len(content)} bytes)"
            ) from None
        if not isinstance(parsed, dict):
            raise SyncError(f"the central at {where} sent an unexpected answer")
        return parsed

    def _measure_skew(
        self, response: requests.Response, sent: datetime, sent_monotonic: float
    ) -> None:
        central_at = central_time(response.headers)
        if central_at is not None:
            self.skew = measure_skew(central_at, sent, self._now(), sent_monotonic)

    def _status_error(
        self, response: requests.Response, content: bytes, where: str
    ) -> SyncError:
        status = response.status_code
        detail = _error_detail(content)
        suffix = f": {detail}" if detail else ""
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 401:
            return SyncError(
                f"the central at {where} refused this station's API key (401)",
                transient=False,
                status=status,
            )
        if status == 403:
            return SyncError(
                self._clean(f"the central refused an event (403){suffix}"),
                transient=False,
                status=status,
            )
        if status == 413:
            return SyncError(
                "the central found the batch too big (413)",
                transient=False,
                status=status,
            )
        if status == 422:
            return SyncError(
                self._clean(f"the central refused a malformed batch (422){suffix}"),
                transient=False,
                status=status,
            )
        if status == 429 or status >= 500:
            waited = f", retry after {retry_after:g} s" if retry_after else ""
            return SyncError(
                f"the central at {where} is unavailable (HTTP {status}{waited})",
                status=status,
                retry_after=retry_after,
            )
        return SyncError(
            self._clean(f"the central at {where} answered HTTP {status}{suffix}"),
            transient=False,
            status=status,
        )

    def _clean(self, text: str) -> str:
        return redact(text, self.api_key)


def central_time(headers: Any) -> datetime | None:
    """The central's time in an answer: its Central-Time, else its Date."""
    text = headers.get(CENTRAL_TIME_HEADER)
    if text:
        try:
            moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return moment
    date = headers.get("Date")
    if not date:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment is not None and moment.tzinfo is not None else None


def redact(text: str, secret: str) -> str:
    """``text`` with the secret (and any bearer token) blanked out."""
    if secret:
        text = text.replace(secret, "***")
    return re.sub(r"(?i)(bearer\s+)\S+", r"\1***", " ".join(text.split()))


def display_url(url: str) -> str:
    """The URL without any user:password part."""
    return re.sub(r"^(\w+://)[^/@]*@", r"\1", url)


def _reason(error: BaseException) -> str:
    """The innermost useful words of a requests/urllib3 error."""
    text = str(error)
    for pattern, words in (
        (r"Connection refused", "connection refused"),
        (
            r"Name or service not known|getaddrinfo failed|Temporary failure in name",
            "name not found",
        ),
        (r"Network is unreachable", "network unreachable"),
        (r"No route to host", "no route to host"),
        (
            r"RemoteDisconnected|Connection aborted|closed connection",
            "the connection was closed before an answer",
        ),
        (r"Connection reset", "the connection was reset"),
        (
            r"IncompleteRead|ProtocolError|InvalidChunkLength|Response ended",
            "the answer was cut off",
        ),
        (r"timed out", "timed out"),
    ):
        if re.search(pattern, text):
            return words
    return type(error).__name__


def _error_detail(content: bytes) -> str:
    try:
        parsed = json.loads(content)
    except ValueError:
        return ""
    if not isinstance(parsed, dict):
        return ""
    detail = parsed.get("detail")
    text = detail if isinstance(detail, str) else ""
    errors = parsed.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        text += f" ({first.get('field', '?')}: {first.get('message', '')})"
    return text.strip()[:300]
