"""The resident's phone closes the loop (tracking page): the overdue line, the
not-found answer that explains new tickets, the page's language, the
call-back answered on the page and the follow-up note, and the forms' guards.

HTTP against a real ``kiosk-central serve`` on SQLite and on PostgreSQL; the
same states in headless Chromium are in tests/sync/test_phone_chromium.py.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from central.store.resident import resident_answer
from central.tracking_page import late_by, page_language
from tests.central.conftest import Central, new_ticket

ZONE = ZoneInfo("Asia/Shanghai")


def issued(central: Central, **changes: Any) -> tuple[str, str]:
    received, data = new_ticket(**changes)
    with central.client("PHY3") as client:
        answer = client.post("/api/v1/events", json={"events": [received]})
        assert answer.status_code == 200, answer.text
    return data["ticket_no"], data["token"]


def resolved(central: Central, **changes: Any) -> tuple[str, str]:
    number, token = issued(central, **changes)
    central.cli("ticket", "update", number, "--kind", "dispatched")
    central.cli("ticket", "update", number, "--kind", "resolved", "--text", "修好")
    return number, token


def form_fields(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the page's form that posts to ``action``."""
    found = re.search(
        rf'<form method="post" action="[^"]*/{action}">(.*?)</form>', html
    )
    assert found, f"no {action} form on the page"
    return {
        name: unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="(\w+)" value="([^"]*)">', found[1]
        )
    }


def page(client: httpx.Client, number: str, token: str, **params: str) -> str:
    answer = client.get(f"/t/{number}", params={"k": token, **params})
    assert answer.status_code == 200, answer.text
    return answer.text


def post(
    client: httpx.Client,
    number: str,
    action: str,
    fields: dict[str, str],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return client.post(f"/t/{number}/{action}", data=fields, headers=headers or {})


def events(central: Central, number: str) -> list[tuple[str, str, str, dict]]:
    rows = central.rows(
        "SELECT kind, actor, origin, payload FROM event WHERE ticket_no = ? "
        "ORDER BY tx, id",
        (number,),
    )
    return [
        (kind, actor, origin, json.loads(payload))
        for kind, actor, origin, payload in rows
    ]


def month_counts(central: Central) -> dict[str, int]:
    """The station's counts in the subdistrict's report of the tickets' month."""
    report = json.loads(central.cli("report", "month", "2026-11", "--json").stdout)
    counts: dict[str, int] = report["stations"]["PHY3"]["counts"]
    return counts


def status(central: Central, number: str) -> str:
    return str(
        central.rows("SELECT status FROM ticket WHERE ticket_no = ?", (number,))[0][0]
    )


# -- honest status ------------------------------------------------------------------


def test_an_overdue_ticket_says_how_late_and_what_the_station_does(central: Central):
    number, token = issued(central, due_at="2026-07-05T13:12:00+08:00")
    central.cli("ticket", "update", number, "--kind", "dispatched")
    with httpx.Client(base_url=central.url) as client:
        chinese = page(client, number, token)
        english = page(client, number, token, lang="en")
    late_days = (datetime.now(ZONE) - datetime(2026, 7, 5, 13, 12, tzinfo=ZONE)).days
    overdue = re.search(r'id="overdue">([^<]*)<', chinese)
    assert overdue, chinese
    assert "已超过预计办结时间" in overdue[1] and "7月5日 13:12" in overdue[1]
    days = "|".join(str(late_days + step) for step in (-1, 0, 1))
    assert re.search(rf"时间 (?:{days}) 天（原定", overdue[1]), overdue[1]
    assert "服务站每天督办超期工单" in chinese
    assert "（已超期）" in chinese
    assert "预计7月5日 13:12前办结" not in chinese  # the on-time promise is gone
    assert re.search(
        r'id="overdue">Overdue by \d+ days \(it was due by 5 Jul 13:12\)', english
    )
    assert "The station chases overdue tickets" in english


def test_a_ticket_on_time_or_resolved_has_no_overdue_line(central: Central):
    later = (datetime.now(ZONE) + timedelta(days=2)).isoformat()
    number, token = issued(central, due_at=later)
    late, late_token = resolved(central, due_at="2026-07-05T13:12:00+08:00")
    with httpx.Client(base_url=central.url) as client:
        assert 'id="overdue"' not in page(client, number, token)
        assert 'id="overdue"' not in page(client, late, late_token)


def test_how_late_in_words():
    due = datetime(2026, 11, 1, 9, 0, tzinfo=ZONE)
    assert late_by(due, due + timedelta(minutes=20), "zh-CN") == "不到 1 小时"
    assert late_by(due, due + timedelta(hours=30), "zh-CN") == "30 小时"
    assert late_by(due, due + timedelta(days=144, hours=3), "zh-CN") == "144 天"
    assert late_by(due, due + timedelta(hours=5), "en") == "5 hours"


def test_not_found_is_identical_and_says_why_a_new_ticket_may_be_missing(
    central: Central,
):
    number, token = issued(central)
    with httpx.Client(base_url=central.url) as client:
        answers = [
            client.get("/t/PHY3-991231-999", params={"k": token}),  # not synced yet
            client.get(f"/t/{number}", params={"k": token[:-2] + "xy"}),
            client.get(f"/t/{number}"),
            client.post(f"/t/{number}/answer", data={"k": "wrong"}),
            client.post(f"/t/{number}/note", data={"k": "", "text": "x"}),
            client.post("/t/PHY3-991231-999/note", data={"k": token, "text": "x"}),
        ]
        english = client.get("/t/PHY3-991231-999", params={"k": token, "lang": "en"})
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.text for answer in answers}) == 1
    text = answers[0].text
    assert "没有找到这张工单" in text
    assert "刚登记的工单，要等服务站把它送到街道平台后才能在这里查到" in text
    assert "断网时要等恢复联网" in text and "核对小票上的二维码" in text
    assert (
        "A new ticket appears here only after the station has sent it" in english.text
    )


def test_the_page_opens_in_the_tickets_language_then_accept_language(central: Central):
    english_ticket, english_token = issued(central, language="en")
    chinese_ticket, chinese_token = issued(central)
    with httpx.Client(base_url=central.url) as client:
        own = page(client, english_ticket, english_token)
        phone_zh = client.get(
            f"/t/{english_ticket}",
            params={"k": english_token},
            headers={"Accept-Language": "zh-CN"},
        )
        switched = page(client, english_ticket, english_token, lang="zh-CN")
        phone_en = client.get(
            f"/t/{chinese_ticket}",
            params={"k": chinese_token},
            headers={"Accept-Language": "en-GB,en;q=0.9"},
        )
        plain = page(client, chinese_ticket, chinese_token)
    # The resident chose English at the kiosk: the page opens in English.
    assert '<html lang="en">' in own and "Ticket progress" in own
    assert '<html lang="en">' in phone_zh.text
    # The switch link stays, and wins.
    assert '<html lang="zh-CN">' in switched and "工单进度" in switched
    assert f'href="/t/{english_ticket}?k=' in switched and "lang=en" in switched
    # No choice recorded: the phone's language, else Chinese.
    assert '<html lang="en">' in phone_en.text
    assert '<html lang="zh-CN">' in plain
    assert page_language("", None, "en-GB,en;q=0.9") == "en"
    assert page_language("", "en", "zh-CN") == "en"
    assert page_language("zh-CN", "en", None) == "zh-CN"


# -- the call-back answered on the page -----------------------------------------------


def test_the_call_back_is_asked_once_resolved_and_stored_as_the_residents(
    central: Central,
):
    number, token = issued(central, contact_mobile="13812345678")
    with httpx.Client(base_url=central.url) as client:
        assert "/answer" not in page(client, number, token)  # not resolved yet
        central.cli("ticket", "update", number, "--kind", "dispatched")
        central.cli("ticket", "update", number, "--kind", "resolved", "--text", "修好")
        html = page(client, number, token)
        assert "问题解决了吗？" in html and "您对办理结果满意吗？" in html
        before = month_counts(central)
        fields = form_fields(html, "answer")
        sent = post(client, number, "answer",
                    {**fields, "solved": "yes", "rating": "satisfied"})  # fmt: skip
        assert sent.status_code == 303
        assert sent.headers["location"].endswith("done=recorded#done")
        again = post(client, number, "answer",
                     {**fields, "solved": "yes", "rating": "satisfied"})  # fmt: skip
        assert again.status_code == 303  # the same form twice: stored once
        after = client.get(sent.headers["location"]).text
    assert "谢谢！您的回答已送达服务站。" in after
    assert "您的回答：解决了，满意。" in after
    callbacks = [e for e in events(central, number) if e[0] == "callback"]
    assert callbacks == [
        ("callback", "resident", "central", {"solved": True, "rating": "satisfied"})
    ]
    assert status(central, number) == "closed"
    assert "13812345678" not in after
    # Counted in the subdistrict's 三率 like a call-back by phone.
    after_counts = month_counts(central)
    assert after_counts["called_back"] == before["called_back"] + 1
    assert after_counts["satisfied"] == before["satisfied"] + 1
    assert after_counts["solved"] == before["solved"] + 1


def test_dissatisfied_reopens_and_the_answer_can_change_within_a_day(central: Central):
    number, token = resolved(central)
    with httpx.Client(base_url=central.url) as client:
        fields = form_fields(page(client, number, token), "answer")
        post(
            client,
            number,
            "answer",
            {**fields, "solved": "no", "rating": "dissatisfied"},
        )
        assert status(central, number) == "dispatched"  # back to its unit
        html = page(client, number, token)
        assert "修改回答" in html and "前可以修改" in html
        fields = form_fields(html, "answer")
        better = {**fields, "solved": "yes", "rating": "basically_satisfied"}
        changed = post(client, number, "answer", better)
        assert changed.headers["location"].endswith("done=changed#done")
    callbacks = [e[3] for e in events(central, number) if e[0] == "callback"]
    assert callbacks[0] == {"solved": False, "rating": "dissatisfied"}
    assert callbacks[1]["amends"] and callbacks[1]["rating"] == "basically_satisfied"
    assert status(central, number) == "closed"


def test_once_the_unit_acts_again_the_answer_stands(central: Central):
    number, token = resolved(central)
    with httpx.Client(base_url=central.url) as client:
        fields = form_fields(page(client, number, token), "answer")
        post(
            client,
            number,
            "answer",
            {**fields, "solved": "no", "rating": "dissatisfied"},
        )
        stale = form_fields(page(client, number, token), "answer")
        central.cli("ticket", "update", number, "--kind", "acknowledged")
        refused = post(client, number, "answer",
                       {**stale, "solved": "yes", "rating": "satisfied"})  # fmt: skip
        html = page(client, number, token)
    assert refused.status_code == 409
    assert "工单已有新的进展，您的回答不能再修改了。" in refused.text
    assert "您的回答已记录" in html and "/answer" not in html
    assert len([e for e in events(central, number) if e[0] == "callback"]) == 1


def test_an_answer_needs_both_questions_and_a_form_from_this_page(central: Central):
    number, token = resolved(central)
    with httpx.Client(base_url=central.url) as client:
        fields = form_fields(page(client, number, token), "answer")
        half = post(client, number, "answer", {**fields, "rating": "satisfied"})
        forged_fields = {**fields, "c": "0" * 32, "solved": "yes"}
        forged = post(
            client, number, "answer", {**forged_fields, "rating": "satisfied"}
        )
        made_up = post(client, number, "answer",
                       {"k": token, "f": "1764000000.abcdefghijkl", "c": "x",
                        "solved": "yes", "rating": "satisfied"})  # fmt: skip
        cross = post(client, number, "answer",
                     {**fields, "solved": "yes", "rating": "satisfied"},
                     {"Sec-Fetch-Site": "cross-site"})  # fmt: skip
        other_origin = post(client, number, "answer",
                            {**fields, "solved": "yes", "rating": "satisfied"},
                            {"Origin": "https://evil.example"})  # fmt: skip
    assert half.status_code == 400 and "请回答两个问题后再提交" in half.text
    assert 'value="satisfied" required checked' in half.text  # the choice is kept
    assert forged.status_code == made_up.status_code == 400
    assert "本页打开太久了" in forged.text
    assert cross.status_code == other_origin.status_code == 403
    assert "请在本页提交" in cross.text
    assert not [e for e in events(central, number) if e[0] == "callback"]
    assert "Traceback" not in half.text + forged.text + cross.text


# -- the follow-up note ------------------------------------------------------------


def test_a_note_reaches_the_station_cleaned_and_is_never_shown_back(central: Central):
    number, token = issued(central)
    secret = "楼道灯还是不亮\x1b[31m，我是王秀英 13812345678"
    with httpx.Client(base_url=central.url) as client:
        fields = form_fields(page(client, number, token), "note")
        sent = post(client, number, "note", {**fields, "text": secret})
        twice = post(client, number, "note", {**fields, "text": secret})
        html = client.get(sent.headers["location"]).text
        english = page(client, number, token, lang="en")
    assert sent.status_code == twice.status_code == 303
    assert "补充说明已送达服务站" in html
    assert "王秀英" not in html and "13812345678" not in html and "楼道灯" not in html
    assert "王秀英" not in english
    notes = [e for e in events(central, number) if e[0] == "note"]
    assert notes == [
        (
            "note",
            "resident",
            "central",
            {
                "text": "楼道灯还是不亮，我是王秀英 13812345678",
                "source": "tracking_page",
            },
        )
    ]
    with httpx.Client(base_url=central.url) as client:
        public = client.get(f"/open311/v2/requests/{number}.json").text
    assert "楼道灯" not in public and "13812345678" not in public


def test_a_long_note_is_refused_with_its_text_kept_and_notes_are_limited(
    central: Central,
):
    number, token = issued(central)
    with httpx.Client(base_url=central.url) as client:
        fields = form_fields(page(client, number, token), "note")
        long = post(client, number, "note", {**fields, "text": "漏" * 501})
        assert long.status_code == 400
        assert "补充说明最多 500 字，现在是 501 字" in long.text
        assert "漏" * 501 in long.text  # nothing typed is lost
        answers = []
        for number_of_note in range(4):
            fields = form_fields(page(client, number, token), "note")
            note = {**fields, "text": f"第{number_of_note}条"}
            answers.append(post(client, number, "note", note))
    assert [a.status_code for a in answers] == [303, 303, 303, 409]
    assert "补充说明已经够多了" in answers[-1].text
    assert "第3条" in answers[-1].text  # kept in the box
    assert len([e for e in events(central, number) if e[0] == "note"]) == 3


def test_posts_on_one_ticket_are_limited(central: Central):
    number, token = issued(central)
    with httpx.Client(base_url=central.url) as client:
        fields = form_fields(page(client, number, token), "note")
        codes = [
            post(client, number, "note", {**fields, "text": ""}).status_code
            for _ in range(8)
        ]
        busy = post(client, number, "note", {**fields, "text": ""})
    assert codes[:6] == [400] * 6 and 429 in codes[6:]
    assert busy.status_code == 429 and "提交太频繁" in busy.text
    assert int(busy.headers["retry-after"]) >= 1


@pytest.mark.parametrize("kind", ["callback_attempt"])
def test_the_central_takes_the_new_call_back_kinds_and_fields(central: Central, kind):
    number, _ = resolved(central)
    central.cli("ticket", "update", number, "--kind", kind, "--text", "未接通")
    central.cli("ticket", "update", number, "--kind", "callback", "--unreachable",
                "not_reached", "--tries", "3")  # fmt: skip
    stored = events(central, number)
    assert stored[-2][0] == kind
    assert stored[-1][3] == {"unreachable": True, "reason": "not_reached", "tries": 3}
    assert status(central, number) == "closed"
    refused = central.cli("ticket", "update", number, "--kind", "callback", "--solved",
                          "yes", "--rating", "satisfied", check=False)  # fmt: skip
    assert refused.returncode != 0 and "Traceback" not in refused.stderr


def test_unreachable_is_not_thanked_for_feedback(central: Central):
    number, token = resolved(central)
    central.cli("ticket", "update", number, "--kind", "callback",
                "--unreachable", "no_contact")  # fmt: skip
    with httpx.Client(base_url=central.url) as client:
        html = page(client, number, token)
    assert "服务站没能联系上您，回访结束" in html
    assert "感谢您的反馈" not in html
    assert "/answer" not in html and "/note" not in html  # it has ended


def test_an_answer_can_be_changed_for_a_day_from_the_first():
    first = datetime(2026, 11, 25, 9, 0, tzinfo=ZONE)

    def event(kind: str, at: datetime, actor: str = "resident", **payload: Any):
        return {
            "uuid": f"{kind}-{at:%H%M}",
            "kind": kind,
            "actor": actor,
            "at": at.isoformat(),
            "payload": json.dumps(payload),
        }

    answered = [
        event("resolved", first - timedelta(hours=1), "staff:wang"),
        event("callback", first, rating="dissatisfied", solved=False),
        event(
            "callback",
            first + timedelta(hours=20),
            rating="satisfied",
            solved=True,
            amends="callback-0900",
        ),  # fmt: skip
    ]
    soon = resident_answer(answered, first + timedelta(hours=23))
    assert soon is not None and soon.changeable and soon.rating == "satisfied"
    late = resident_answer(answered, first + timedelta(hours=24, minutes=1))
    assert late is not None and not late.changeable
    acted = [*answered, event("acknowledged", first + timedelta(hours=21), "x")]
    assert not resident_answer(acted, first + timedelta(hours=22)).changeable
    again = [*acted, event("resolved", first + timedelta(days=3), "staff:wang")]
    assert resident_answer(again, first + timedelta(days=3, hours=1)) is None
