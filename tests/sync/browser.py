"""Debian's headless Chromium, driven over the DevTools protocol.

One browser per test module; each test opens its pages in a fresh tab sized
as a phone (390x844). Taps are real mouse events at the element's place and
typing is real text input, so a form is sent the way a resident sends it,
without JavaScript on the page.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import websocket

from tests.central.conftest import chromium

PHONE_WIDTH = 390
PHONE_HEIGHT = 844
START_TIMEOUT = 30.0
ANSWER_TIMEOUT = 30.0


class ChromiumError(AssertionError):
    pass


class Browser:
    """One headless Chromium process and its DevTools connection."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        profile = folder / "profile"
        profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                chromium(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise ChromiumError("headless Chromium did not start")
            # The port file is the condition; this only paces the look.
            time.sleep(0.05)
        port, path = port_file.read_text().split("\n")[:2]
        self.socket = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=ANSWER_TIMEOUT
        )
        self._ids = itertools.count(1)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str = ""
    ) -> dict[str, Any]:
        """One DevTools command and its result (events in between are dropped)."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method}
        message["params"] = params or {}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:
            answer = json.loads(self.socket.recv())
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise ChromiumError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def new_page(self, accept_language: str) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        page = Page(self, target, session)
        page.send("Page.enable")
        page.send("Runtime.enable")
        page.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": PHONE_WIDTH,
                "height": PHONE_HEIGHT,
                "deviceScaleFactor": 1,
                "mobile": True,
            },
        )
        page.send(
            "Network.setUserAgentOverride",
            {
                "userAgent": "Mozilla/5.0 (Linux; Android 14) Mobile Chromium",
                "acceptLanguage": accept_language,
            },
        )
        # The page forbids every script; the test's own look at it (axe-core,
        # reading the layout) comes through DevTools.
        page.send("Page.setBypassCSP", {"enabled": True})
        return page

    def close(self) -> None:
        if getattr(self, "socket", None) is not None:
            self.socket.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder / "profile", ignore_errors=True)


class Page:
    """One tab."""

    def __init__(self, browser: Browser, target: str, session: str) -> None:
        self.browser = browser
        self.target = target
        self.session = session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def evaluate(self, expression: str, *, wait_promise: bool = False) -> Any:
        answer = self.send(
            "Runtime.evaluate",
            {
                "expression": expression,
                "returnByValue": True,
                "awaitPromise": wait_promise,
            },
        )
        if "exceptionDetails" in answer:
            raise ChromiumError(f"{expression[:80]}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Until ``expression`` is true in the page (a page load, an answer)."""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        while True:
            try:
                value = self.evaluate(expression)
            except ChromiumError:
                value = None  # the page is being replaced
            if value:
                return value
            if time.monotonic() > deadline:
                raise ChromiumError(f"timed out waiting for {what}")
            # Polled in the page: the condition itself is what is waited on.
            time.sleep(0.05)

    def open(self, url: str) -> None:
        self.evaluate("window.__loaded = false")
        self.send("Page.navigate", {"url": url})
        self.wait_for(
            "document.readyState === 'complete' && window.__loaded === undefined",
            f"{url} to load",
        )

    def text(self, selector: str = "body") -> str:
        where = json.dumps(selector)
        found = self.evaluate(
            f"(e => e ? e.innerText : null)(document.querySelector({where}))"
        )
        return str(found or "")

    def html(self) -> str:
        return str(self.evaluate("document.documentElement.outerHTML"))

    def tap(self, selector: str) -> None:
        """A finger on the element: scrolled into view, pressed, released."""
        box = self.evaluate(
            "(e => { e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })"
            f"(document.querySelector({json.dumps(selector)}))"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def type(self, text: str) -> None:
        self.send("Input.insertText", {"text": text})

    def send_form(self, button: str, then: str) -> None:
        """Tap a form's button and wait for the page that answers."""
        self.evaluate("window.__sent = true")
        self.tap(button)
        self.wait_for(
            f"window.__sent === undefined && document.readyState === 'complete'"
            f" && !!document.querySelector({json.dumps(then)})",
            f"the answer page ({then})",
        )

    def screenshot(self, path: Path) -> Path:
        data = self.send(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
        )["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
