"""Touch on the box: the kiosk in a browser (deploy/box/web, textual-serve)
takes a tap on a tile as a click and chooses it.

Debian 12's foot (1.13) has no touch support, so a tap in the terminal
session does nothing; Chromium turns a tap into mouse events, which xterm.js
(textual-serve's page) passes to the kiosk as mouse reports. Headless
Chromium from Debian, driven through its DevTools protocol: the tap is a
real touch sequence (touchStart, touchEnd) through Chromium's own gesture
detection; the screen is read back by OCR (tesseract's chi_sim)."""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.box.session import REPO
from tests.central.conftest import chromium

aiohttp = pytest.importorskip("aiohttp", reason="the web extra (textual-serve)")
pytest.importorskip("textual_serve", reason="the web extra (textual-serve)")

WEB = REPO / "deploy" / "box" / "web"
SIZE = (1920, 1080)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ocr(png: bytes, folder: Path, layout: str = "txt") -> str:
    picture = folder / "screen.png"
    picture.write_bytes(png)
    done = subprocess.run(
        [
            "tesseract",
            str(picture),
            "-",
            "-l",
            "chi_sim",
            *(["tsv"] * (layout == "tsv")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout if layout == "tsv" else "".join(done.stdout.split())


def word_box(tsv: str, part: str) -> tuple[int, int, int, int]:
    """The box (left, top, width, height) of the first word holding ``part``."""
    for line in tsv.splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 12 and part in fields[11]:
            left, top, width, height = map(int, fields[6:10])
            return left, top, width, height
    raise AssertionError(f"no {part!r} on the screen")


@dataclass
class Page:
    """One Chromium page, spoken to over the DevTools protocol."""

    socket: Any
    folder: Path
    next_id: int = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        sent = self.next_id
        await self.socket.send_json({"id": sent, "method": method, "params": params})
        while True:
            message = await self.socket.receive_json()
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    async def png(self) -> bytes:
        reply = await self.call("Page.captureScreenshot", format="png")
        return base64.b64decode(reply["data"])

    async def wait_for_text(self, text: str, seconds: float = 60) -> bytes:
        """The first screenshot in which OCR reads ``text``."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                png = await self.png()
            except RuntimeError:  # the page is still loading
                png = b""
            if png and text in ocr(png, self.folder):
                return png
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on the page in {seconds:g} s")
            await asyncio.sleep(0.2)  # paces the screenshots

    async def tap(self, x: int, y: int) -> None:
        await self.call(
            "Input.dispatchTouchEvent",
            type="touchStart",
            touchPoints=[{"x": x, "y": y}],
        )
        await self.call("Input.dispatchTouchEvent", type="touchEnd", touchPoints=[])

    async def key(self, digit: str) -> None:
        """A digit key, as a USB keypad sends it."""
        code = {"key": digit, "code": f"Digit{digit}"}
        code["windowsVirtualKeyCode"] = ord(digit)  # type: ignore[assignment]
        await self.call("Input.dispatchKeyEvent", type="keyDown", text=digit, **code)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **code)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """deploy/box/web serving this checkout's kiosk on 127.0.0.1."""
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[printer]\ntarget = "none"\n[database]\npath = "{tmp_path / "kiosk.db"}"\n',
        encoding="utf-8",
    )
    port = free_port()
    command = f"{sys.executable} -m kiosk --config {config}"
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, str(WEB), "--port", str(port), "--command", command],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=REPO,
    )
    url = f"http://127.0.0.1:{port}/?fontsize=30"
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, (tmp_path / "web.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "deploy/box/web did not listen"
            time.sleep(0.1)  # paces the connection attempts
    try:
        yield url, tmp_path / "kiosk.db"
    finally:
        server.terminate()
        server.wait(30)


@pytest.fixture
async def page(served: tuple[str, Path], tmp_path: Path) -> AsyncIterator[Page]:
    url, _ = served
    port = free_port()
    browser = subprocess.Popen(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--window-size={SIZE[0]},{SIZE[1]}",
            f"--remote-debugging-port={port}",
            f"--user-data-dir={tmp_path / 'profile'}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/json") as answer:
                        targets = await answer.json()
                    target = next(t for t in targets if t["type"] == "page")
                    break
                except (aiohttp.ClientError, StopIteration):
                    assert time.monotonic() < deadline, "chromium did not start"
                    await asyncio.sleep(0.1)  # paces the connection attempts
            async with http.ws_connect(
                target["webSocketDebuggerUrl"], max_msg_size=0
            ) as devtools:
                chosen = Page(devtools, tmp_path)
                await chosen.call(
                    "Emulation.setDeviceMetricsOverride",
                    width=SIZE[0],
                    height=SIZE[1],
                    deviceScaleFactor=1,
                    mobile=False,
                )
                # The kiosk's window has the focus, as the only window on the box.
                await chosen.call("Emulation.setFocusEmulationEnabled", enabled=True)
                # A touchscreen: the page gets touch events, as on the box.
                await chosen.call(
                    "Emulation.setTouchEmulationEnabled", enabled=True, maxTouchPoints=1
                )
                await chosen.call("Page.navigate", url=url)
                yield chosen
    finally:
        browser.terminate()
        browser.wait(30)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
async def test_a_tap_on_a_tile_chooses_it(page: Page):
    welcome = await page.wait_for_text("我要反映问题")
    left, top, width, height = word_box(ocr(welcome, page.folder, "tsv"), "反映")
    # Below the tile's title: its second line, still inside the tile. A tap
    # that a busy machine's page lost is tapped again, as a resident would,
    # only while the welcome screen is still there.
    for _ in range(3):
        await page.tap(left + width // 2, top + height * 2)
        try:
            await page.wait_for_text("请选择问题类别", 15)
            break
        except AssertionError:
            assert "我要反映问题" in ocr(await page.png(), page.folder)
    else:
        raise AssertionError("three taps on tile 1 and no category screen")
    # The category screen's tiles (drawn just after its title).
    await page.wait_for_text("环境卫生", 15)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
async def test_keys_still_work_in_the_browser(page: Page):
    await page.wait_for_text("我要反映问题")
    await page.key("1")
    await page.wait_for_text("请选择问题类别", 30)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
async def test_the_chinese_is_drawn_at_the_box_s_size(page: Page):
    welcome = await page.wait_for_text("我要反映问题")
    # 30 px type at 1920x1080, as in foot: glyphs about 30 px tall, not 16.
    _, _, _, height = word_box(ocr(welcome, page.folder, "tsv"), "反映")
    assert 20 <= height <= 40
