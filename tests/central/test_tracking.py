"""The tracking page behind the ticket's QR code: HTTP and headless Chromium."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.central.conftest import Central, chromium, new_ticket

NAME = "王秀英"
MOBILE = "13812345678"


def _issued(central: Central, **changes: str) -> tuple[str, str]:
    received, data = new_ticket(contact_name=NAME, contact_mobile=MOBILE, **changes)
    with central.client("PHY3") as client:
        assert (
            client.post("/api/v1/events", json={"events": [received]}).status_code
            == 200
        )
    return data["ticket_no"], data["token"]


def test_status_timeline_and_next_step_without_personal_data(central: Central) -> None:
    number, token = _issued(
        central, description=f"我是{NAME}，电话{MOBILE}", building="<b>5号楼</b>"
    )
    central.cli("ticket", "update", number, "--kind", "dispatched", "--text", NAME)
    with httpx.Client(base_url=central.url) as client:
        page = client.get(f"/t/{number}", params={"k": token})
        english = client.get(
            f"/t/{number}",
            params={"k": token},
            headers={"Accept-Language": "en-US,en;q=0.9"},
        )
        switched = client.get(f"/t/{number}", params={"k": token, "lang": "en"})
    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN">' in html
    assert "已吹哨派单" in html and "已受理" in html
    assert "物业公司" in html and "预计" in html
    assert NAME not in html and MOBILE not in html and "5号楼" not in html
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Dispatched" in english.text and english.headers["content-language"] == "en"
    assert "Dispatched" in switched.text


def test_wrong_missing_or_unknown_all_answer_the_same_404(central: Central) -> None:
    number, token = _issued(central)
    with httpx.Client(base_url=central.url) as client:
        answers = [
            client.get(f"/t/{number}", params={"k": token[:-1] + "x"}),
            client.get(f"/t/{number}"),
            client.get(f"/t/{number}", params={"k": ""}),
            client.get("/t/PHY3-000000-000", params={"k": token}),
            client.get("/t/<script>", params={"k": token}),
            client.get(f"/t/{number}", params={"k": token * 20}),
        ]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.text for answer in answers}) == 1
    assert "未找到工单" in answers[0].text


def _chromium(url: str, tmp_path: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
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
            "--window-size=390,844",
            "--lang=zh-CN",
            "--accept-lang=zh-CN,zh",
            f"--user-data-dir={tmp_path / 'profile'}",
            *mode,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
    )


def test_headless_chromium_renders_the_status_and_no_personal_data(
    central: Central, tmp_path: Path
) -> None:
    number, token = _issued(central, description=f"联系{NAME} {MOBILE}")
    central.cli("ticket", "update", number, "--kind", "dispatched")
    central.cli("ticket", "update", number, "--kind", "acknowledged")
    url = f"{central.url}/t/{number}?k={token}"
    dom = _chromium(url, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr
    assert 'id="status">已报到处理中<' in dom.stdout
    assert "已吹哨派单" in dom.stdout and number in dom.stdout
    assert NAME not in dom.stdout and MOBILE not in dom.stdout
    shot = tmp_path / "tracking.png"
    picture = _chromium(url, tmp_path, f"--screenshot={shot}")
    assert picture.returncode == 0, picture.stderr
    assert shot.stat().st_size > 5000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
