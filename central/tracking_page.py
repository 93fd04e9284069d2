"""The page a resident's phone opens from the ticket's QR code.

``GET /t/{ticket_no}?k={token}``: the status timeline and what happens next
(with how late an overdue ticket is, and what the station does about it), in
the ticket's language unless ``lang`` or Accept-Language says otherwise. No
personal data and no free text at all: not the description, not the
building, not notes, not even the resident's own follow-up note. A wrong or
missing token answers exactly the same 404 as an unknown ticket, and that
answer says why a new ticket may not be there yet.

Two forms, plain HTML without JavaScript (central/store/resident.py stores
what they send):

- ``POST /t/{ticket_no}/answer``: once the ticket is resolved, the call-back's
  two questions (solved? how satisfied?); changeable for 24 hours.
- ``POST /t/{ticket_no}/note``: a follow-up note (补充说明) for the station.

Each form is bound to the ticket's token (a wrong one gets the 404 above),
carries a form id and a code derived from the token and that id (a page on
another site cannot make one), refuses a post another site's page sends
(``Sec-Fetch-Site``, ``Origin``), is stored once however often it is sent,
and is limited per ticket here and per address by central/rates.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import time
from datetime import datetime, timedelta
from html import escape
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from central.language import pick_language
from central.schemas import TICKET_NO_PATTERN
from central.store.base import StoreUnavailable, now_local
from central.store.resident import (
    ANSWER_CHANGE_HOURS,
    NOTE_LIMIT,
    Refused,
    ResidentAnswer,
    record_answer,
    record_note,
    resident_answer,
    ticket_form_events,
)
from central.store.tickets import ticket_by_no
from kiosk.catalog import load_catalog
from kiosk.i18n import DEFAULT_LANGUAGE, LANGUAGES
from kiosk.states import (
    ACKNOWLEDGED,
    CLOSED,
    DISPATCHED,
    ESCALATED,
    RATINGS,
    RECEIVED,
    RESOLVED,
    STATUS_NAMES,
    TERMINAL,
    TransitionError,
    next_status,
)
from kiosk.text import clean_text

router = APIRouter(tags=["tracking"])
TICKET_NO = re.compile(TICKET_NO_PATTERN)
# Statuses whose due time still runs: only these can be overdue.
RUNNING = frozenset({RECEIVED, DISPATCHED, ACKNOWLEDGED, ESCALATED})
FORM_HOURS = 24  # a form shown longer ago than this is sent again from the page
FORM_ID = re.compile(r"^(\d{9,11})\.([A-Za-z0-9_-]{12})$")
MAX_FORM_BYTES = 8 * 1024

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:17px/1.55 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#f3f5f7;color:#1c2430}
main{max-width:34rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:baseline;gap:.5rem}
h1{font-size:1.3rem;margin:.4rem 0}
a{color:#0b5cad}
.lang{font-size:.95rem;padding:.4rem 0}
.card{background:#fff;border-radius:.8rem;padding:1rem 1.1rem;margin:.8rem 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
.status{font-size:1.6rem;font-weight:700;color:#b3261e;margin:.2rem 0}
.status.done{color:#1b7f3b}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .9rem;margin:.6rem 0 0}
dt{color:#505a66}dd{margin:0;overflow-wrap:break-word;min-width:0}
h2{font-size:1.05rem;margin:0 0 .5rem}
ol{list-style:none;margin:0;padding:0}
li{position:relative;padding:0 0 .9rem 1.5rem;border-left:2px solid #c9d1db;
margin-left:.45rem}
li:last-child{border-left-color:transparent;padding-bottom:0}
li::before{content:"";position:absolute;left:-.5rem;top:.3rem;width:.8rem;height:.8rem;
border-radius:50%;background:#1b7f3b}
li.now::before{background:#b3261e;box-shadow:0 0 0 .25rem #f6d3d0}
.when{display:block;color:#505a66;font-size:.9rem}
.next{font-size:1.05rem}
.late{color:#a1221a;font-weight:700}
.notice{border-left:.35rem solid #1b7f3b}
.problem{border-left:.35rem solid #b3261e}
fieldset{border:0;margin:0 0 .8rem;padding:0}
legend{font-weight:700;margin-bottom:.3rem}
.choice{display:flex;align-items:center;gap:.6rem;min-height:2.75rem;
padding:.2rem .4rem;border:1px solid #c9d1db;border-radius:.5rem;margin:.35rem 0}
.choice input{width:1.3rem;height:1.3rem;margin:0}
label[for]{display:block;font-weight:700;margin-bottom:.3rem}
textarea{width:100%;min-height:7rem;font:inherit;padding:.5rem;border:1px solid #767f8a;
border-radius:.5rem}
button{font:inherit;font-weight:700;color:#fff;background:#0b5cad;border:0;
border-radius:.5rem;padding:.7rem 1.2rem;min-height:2.75rem;width:100%}
.hint{color:#505a66;font-size:.9rem;margin:.5rem 0 0}
footer{color:#505a66;font-size:.85rem;text-align:center;margin:1.2rem 0}
""".strip()
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Frame-Options": "DENY",
    "Vary": "Accept-Language",
}

TEXT = {
    "zh-CN": {
        "title": "工单进度",
        "ticket": "工单号",
        "matter": "事项",
        "unit": "负责单位",
        "received": "受理时间",
        "due": "预计办结",
        "overdue_mark": "（已超期）",
        "station": "服务站",
        "progress": "办理进度",
        "next": "下一步",
        "switch": "English",
        "switch_label": "Read this page in English",
        "not_found_title": "未找到工单",
        "not_found": "没有找到这张工单。",
        "not_found_new": "刚登记的工单，要等服务站把它送到街道平台后才能在这里查到："
        "服务站联网时通常几分钟，断网时要等恢复联网，可能要几个小时。"
        "请稍后再打开本页。",
        "not_found_check": "如果一直查不到，请核对小票上的二维码，或到社区服务站咨询。",
        "footer": "本页不显示任何个人信息。",
        "next.received": "服务站工作人员将核实情况，"
        "并在 {hours} 小时内吹哨派单给{unit}。",
        "next.dispatched": "已通知{unit}到场处理，预计{due}前办结。",
        "next.acknowledged": "{unit}已报到，正在处理，预计{due}前办结。",
        "next.escalated": "已上报街道统筹协调，街道将指派相关部门办理。",
        "next.resolved": "已办结。请在下面告诉我们办理结果；"
        "如您留了电话、又没有在这里回答，服务站会打电话回访。",
        "next.closed": "已回访，工单结束。感谢您的反馈！",
        "next.unreachable": "工单已办结。服务站没能联系上您，回访结束。"
        "如对办理结果有意见，请到社区服务站反映。",
        "next.withdrawn": "工单已撤销。如仍需帮助，请到社区服务站重新反映。",
        "overdue": "已超过预计办结时间 {late}（原定 {due} 前办结）。",
        "overdue_action": "服务站每天督办超期工单，催承办单位办结，"
        "必要时上报街道协调。如需了解进展，请到社区服务站咨询。",
        "late.minutes": "不到 1 小时",
        "late.hours": "{count} 小时",
        "late.days": "{count} 天",
        "answer_title": "办理结果回访",
        "answer_intro": "工单已办结。请回答两个问题，您的回答会送到服务站。",
        "solved_question": "问题解决了吗？",
        "solved.yes": "解决了",
        "solved.no": "没有解决",
        "rating_question": "您对办理结果满意吗？",
        "answer_send": "提交回答",
        "answer_change_send": "修改回答",
        "answer_hint": "{hours} 小时内可以修改。选“不满意”，工单会退回{unit}重新办理。",
        "your_answer": "您的回答：{answer}。",
        "change_until": "{until} 前可以修改。",
        "answer_final": "您的回答已记录，感谢！",
        "note_title": "补充说明",
        "note_intro": "还有情况要告诉服务站？最多 {limit} 字。内容只发给服务站，"
        "不会显示在本页；请不要写身份证号、电话等个人信息。",
        "note_label": "补充说明（最多 {limit} 字）",
        "note_send": "发送给服务站",
        "done.recorded": "谢谢！您的回答已送达服务站。",
        "done.changed": "您的回答已修改，服务站会收到新的回答。",
        "done.note": "补充说明已送达服务站，工作人员会看到。",
        "problem.choose": "请回答两个问题后再提交。",
        "problem.empty": "请先写下要补充的内容。",
        "problem.long": "补充说明最多 {limit} 字，现在是 {count} 字，请删减后再发送。",
        "problem.stale": "工单的状态已经变了，请看下面最新的进度。",
        "problem.too_late": "回答在提交 {hours} 小时后就不能再修改了。",
        "problem.moved_on": "工单已有新的进展，您的回答不能再修改了。",
        "problem.ended": "工单已经结束，不能再补充说明；"
        "如有新情况，请到服务站重新反映。",
        "problem.notes_full": "这张工单的补充说明已经够多了；"
        "还有情况，请到服务站当面说明。",
        "problem.expired": "本页打开太久了，已为您刷新，请重新提交。",
        "problem.cross_site": "请在本页提交，不要从其他网站提交。",
        "problem.busy": "提交太频繁，请 {seconds} 秒后再试。",
        "problem.unavailable": "系统暂时忙，请稍后再试；您填写的内容还在。",
        "busy_title": "请稍后再试",
    },
    "en": {
        "title": "Ticket progress",
        "ticket": "Ticket",
        "matter": "Matter",
        "unit": "Responsible unit",
        "received": "Received",
        "due": "Expected by",
        "overdue_mark": " (overdue)",
        "station": "Station",
        "progress": "Progress",
        "next": "What happens next",
        "switch": "中文",
        "switch_label": "用中文阅读本页",
        "not_found_title": "Ticket not found",
        "not_found": "We could not find this ticket.",
        "not_found_new": "A new ticket appears here only after the station has sent "
        "it to the subdistrict's platform: usually within minutes, but while the "
        "station is offline it waits until the station is back online, which can "
        "take a few hours. Please open this page again later.",
        "not_found_check": "If it still does not appear, check the QR code on your "
        "ticket, or ask at the community service station.",
        "footer": "This page shows no personal information.",
        "next.received": "Station staff will check the matter and pass it to {unit} "
        "within {hours} hours.",
        "next.dispatched": "{unit} has been called in and should finish by {due}.",
        "next.acknowledged": "{unit} has reported and is working on it; expected "
        "by {due}.",
        "next.escalated": "Passed up to the subdistrict, which will assign the "
        "departments concerned.",
        "next.resolved": "Resolved. Please tell us below how it went; if you left a "
        "phone number and do not answer here, the station will call you.",
        "next.closed": "Closed after the call-back. Thank you!",
        "next.unreachable": "Resolved. The station could not reach you for the "
        "call-back, so the ticket is closed. If you are not happy with the result, "
        "please tell the station.",
        "next.withdrawn": "Withdrawn. If you still need help, please ask at the "
        "station again.",
        "overdue": "Overdue by {late} (it was due by {due}).",
        "overdue_action": "The station chases overdue tickets every day, presses the "
        "unit to finish, and passes them up to the subdistrict when needed. Ask at "
        "the station for news.",
        "late.minutes": "less than an hour",
        "late.hours": "{count} hours",
        "late.days": "{count} days",
        "answer_title": "How did it go?",
        "answer_intro": "The ticket is resolved. Please answer two questions; your "
        "answers go to the station.",
        "solved_question": "Was the problem solved?",
        "solved.yes": "Yes, solved",
        "solved.no": "No, not solved",
        "rating_question": "How satisfied are you with the result?",
        "answer_send": "Send my answers",
        "answer_change_send": "Change my answers",
        "answer_hint": "You can change your answers for {hours} hours. "
        '"Dissatisfied" sends the ticket back to {unit}.',
        "your_answer": "Your answers: {answer}.",
        "change_until": "You can change them until {until}.",
        "answer_final": "Your answers are recorded. Thank you!",
        "note_title": "Add a note",
        "note_intro": "Anything else the station should know? At most {limit} "
        "characters. Only the station reads it; it is never shown on this page. "
        "Please leave out ID numbers, phone numbers and other personal details.",
        "note_label": "Your note (at most {limit} characters)",
        "note_send": "Send to the station",
        "done.recorded": "Thank you! Your answers have reached the station.",
        "done.changed": "Your answers are changed; the station gets the new ones.",
        "done.note": "Your note has reached the station.",
        "problem.choose": "Please answer both questions, then send.",
        "problem.empty": "Please write your note first.",
        "problem.long": "A note has at most {limit} characters; this one has {count}. "
        "Please shorten it and send it again.",
        "problem.stale": "The ticket has changed; see its latest progress below.",
        "problem.too_late": "Answers can only be changed for {hours} hours.",
        "problem.moved_on": "The ticket has moved on, so your answers can no "
        "longer be changed.",
        "problem.ended": "The ticket has ended, so no more notes can be added; for "
        "something new, please ask at the station.",
        "problem.notes_full": "This ticket has all the notes it can take; please "
        "tell the station in person.",
        "problem.expired": "This page was open too long; it is fresh now, please "
        "send again.",
        "problem.cross_site": "Please send the form from this page, not from "
        "another site.",
        "problem.busy": "Too many tries; please wait {seconds} s and try again.",
        "problem.unavailable": "The system is busy; please try again shortly. What "
        "you wrote is still here.",
        "busy_title": "Please try again shortly",
    },
}
RATING_WORDS = {
    "zh-CN": {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "dissatisfied": "不满意",
    },
    "en": {
        "satisfied": "Satisfied",
        "basically_satisfied": "Basically satisfied",
        "dissatisfied": "Dissatisfied",
    },
}
DONE_KEYS = {
    "recorded": "done.recorded",
    "changed": "done.changed",
    "note": "done.note",
}


def _when(text: str) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""


def _short_when(text: str | datetime, language: str) -> str:
    """A due time for a sentence: 11月27日 09:30 / 27 Nov 09:30."""
    try:
        moment = text if isinstance(text, datetime) else datetime.fromisoformat(text)
    except ValueError:
        return ""
    if language == "en":
        return moment.strftime("%d %b %H:%M").lstrip("0")
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


def late_by(due: datetime, now: datetime, language: str) -> str:
    """How late, in words: less than an hour, N hours (under two days), N days."""
    late = now - due
    text = TEXT[language]
    if late < timedelta(hours=1):
        return text["late.minutes"]
    if late < timedelta(hours=48):
        return text["late.hours"].format(count=int(late.total_seconds() // 3600))
    return text["late.days"].format(count=late.days)


def overdue(ticket: dict[str, Any], now: datetime) -> datetime | None:
    """The due time of a ticket that is past it and still running."""
    if ticket["status"] not in RUNNING or not ticket.get("due_at"):
        return None
    try:
        due = datetime.fromisoformat(ticket["due_at"])
    except ValueError:
        return None
    if due.tzinfo is None:
        due = due.replace(tzinfo=now.tzinfo)
    return due if due < now else None


def timeline(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(status, time) for each change of status, oldest first."""
    steps: list[tuple[str, str]] = []
    status: str | None = None
    for event in events:
        try:
            payload = json.loads(event["payload"])
            if not isinstance(payload, dict):
                payload = {}
            after = next_status(status, event["kind"], payload)
        except (TransitionError, ValueError):
            continue
        if after != status or event["kind"] == "callback":
            steps.append((after, event["at"]))
        status = after
    return steps


def page_language(
    explicit: str, ticket_language: str | None, accept_language: str | None
) -> str:
    """``lang`` if given; else the language the resident chose at the kiosk
    (a ticket in the default zh-CN records no choice: every resident who did
    not switch has it); else Accept-Language; else zh-CN."""
    if explicit:
        return pick_language(None, explicit[:10])
    if ticket_language in LANGUAGES and ticket_language != DEFAULT_LANGUAGE:
        return str(ticket_language)
    return pick_language(accept_language)


def _page(language: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def not_found_page(language: str) -> HTMLResponse:
    """The one answer for an unknown ticket, a wrong token or none."""
    text = TEXT[language]
    body = (
        f"<h1>{escape(text['not_found_title'])}</h1>"
        f'<section class="card" id="not-found"><p>{escape(text["not_found"])}</p>'
        f"<p>{escape(text['not_found_new'])}</p>"
        f"<p>{escape(text['not_found_check'])}</p></section>"
    )
    return HTMLResponse(
        _page(language, text["not_found_title"], body),
        404,
        headers={**HEADERS, "Content-Language": language},
    )


def busy_page(language: str, seconds: int) -> HTMLResponse:
    """429 for a resident: too many posts from one address or on one ticket."""
    text = TEXT[language]
    body = (
        f"<h1>{escape(text['busy_title'])}</h1>"
        f'<section class="card problem" role="alert"><p>'
        f"{escape(text['problem.busy'].format(seconds=seconds))}</p></section>"
    )
    return HTMLResponse(
        _page(language, text["busy_title"], body),
        429,
        headers={**HEADERS, "Retry-After": str(seconds), "Content-Language": language},
    )


def unavailable_page(
    language: str, ticket: dict[str, Any], token: str, typed: str
) -> HTMLResponse:
    """503 when the database does not answer: what was typed is kept."""
    text = TEXT[language]
    body = (
        f"<h1>{escape(text['title'])}</h1>"
        f'<section class="card problem" role="alert" id="problem"><p>'
        f"{escape(text['problem.unavailable'])}</p></section>"
        f"{_note_form(ticket, language, token, typed) if typed else ''}"
    )
    return HTMLResponse(
        _page(language, text["title"], body),
        503,
        headers={**HEADERS, "Retry-After": "5", "Content-Language": language},
    )


# -- the forms' ids and codes ---------------------------------------------------


def new_form_id(now: float | None = None) -> str:
    return f"{int(now if now is not None else time.time())}.{secrets.token_urlsafe(9)}"


def form_code(token: str, ticket_no: str, form_id: str) -> str:
    """What only a page made for this ticket's token can carry."""
    message = f"tracking-form:{ticket_no}:{form_id}".encode()
    return hmac.new(token.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


def form_fresh(form_id: str, now: float | None = None) -> bool:
    found = FORM_ID.match(form_id)
    if found is None:
        return False
    age = (now if now is not None else time.time()) - int(found[1])
    return -300 <= age <= FORM_HOURS * 3600


def _hidden(token: str, ticket_no: str, language: str) -> str:
    form_id = new_form_id()
    fields = {
        "k": token,
        "f": form_id,
        "c": form_code(token, ticket_no, form_id),
        "lang": language,
    }
    return "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in fields.items()
    )


# -- the page ---------------------------------------------------------------------


def _answer_words(answer: ResidentAnswer, language: str) -> str:
    text = TEXT[language]
    parts = []
    if answer.solved is not None:
        parts.append(text["solved.yes" if answer.solved else "solved.no"])
    parts.append(RATING_WORDS[language].get(answer.rating, answer.rating))
    return ("，" if language != "en" else ", ").join(parts)


def _answer_form(
    ticket: dict[str, Any],
    language: str,
    token: str,
    unit: str,
    answer: ResidentAnswer | None,
    chosen: tuple[str, str] | None = None,
) -> str:
    text = TEXT[language]
    if answer is None and ticket["status"] != RESOLVED:
        return ""
    parts = [
        f'<section class="card" id="answer" aria-labelledby="answer-title">'
        f'<h2 id="answer-title">{escape(text["answer_title"])}</h2>'
    ]
    if answer is not None:
        words = text["your_answer"].format(answer=_answer_words(answer, language))
        parts.append(f'<p id="your-answer">{escape(words)}</p>')
        if not answer.changeable:
            parts.append(f"<p>{escape(text['answer_final'])}</p></section>")
            return "".join(parts)
        until = _short_when(
            answer.first_at + timedelta(hours=ANSWER_CHANGE_HOURS), language
        )
        parts.append(f"<p>{escape(text['change_until'].format(until=until))}</p>")
    else:
        parts.append(f"<p>{escape(text['answer_intro'])}</p>")
    solved_now, rating_now = chosen or (
        ("yes" if answer.solved else "no")
        if answer and answer.solved is not None
        else "",
        answer.rating if answer else "",
    )
    action = f"/t/{quote(ticket['ticket_no'])}/answer"
    parts.append(f'<form method="post" action="{action}">')
    parts.append(_hidden(token, ticket["ticket_no"], language))
    parts.append(
        f"<fieldset><legend>{escape(text['solved_question'])}</legend>"
        + "".join(
            f'<label class="choice"><input type="radio" name="solved" '
            f'value="{value}" required{" checked" if solved_now == value else ""}>'
            f"{escape(text['solved.' + value])}</label>"
            for value in ("yes", "no")
        )
        + "</fieldset>"
    )
    parts.append(
        f"<fieldset><legend>{escape(text['rating_question'])}</legend>"
        + "".join(
            f'<label class="choice"><input type="radio" name="rating" '
            f'value="{rating}" required{" checked" if rating_now == rating else ""}>'
            f"{escape(RATING_WORDS[language][rating])}</label>"
            for rating in RATINGS
        )
        + "</fieldset>"
    )
    send = text["answer_change_send" if answer else "answer_send"]
    parts.append(f'<button type="submit">{escape(send)}</button>')
    parts.append(
        f'<p class="hint">'
        f"{escape(text['answer_hint'].format(hours=ANSWER_CHANGE_HOURS, unit=unit))}"
        "</p></form></section>"
    )
    return "".join(parts)


def _note_form(
    ticket: dict[str, Any], language: str, token: str, typed: str = ""
) -> str:
    if ticket["status"] in TERMINAL:
        return ""
    text = TEXT[language]
    action = f"/t/{quote(ticket['ticket_no'])}/note"
    return (
        '<section class="card" id="note" aria-labelledby="note-title">'
        f'<h2 id="note-title">{escape(text["note_title"])}</h2>'
        f"<p>{escape(text['note_intro'].format(limit=NOTE_LIMIT))}</p>"
        f'<form method="post" action="{action}">'
        f"{_hidden(token, ticket['ticket_no'], language)}"
        f'<label for="note-text">'
        f"{escape(text['note_label'].format(limit=NOTE_LIMIT))}</label>"
        f'<textarea id="note-text" name="text" maxlength="{NOTE_LIMIT}" required>'
        f"{escape(typed)}</textarea>"
        f'<button type="submit">{escape(text["note_send"])}</button>'
        "</form></section>"
    )


def render_ticket(
    ticket: dict[str, Any],
    events: list[dict[str, Any]],
    language: str,
    token: str,
    now: datetime,
    *,
    done: str = "",
    problem: str = "",
    chosen: tuple[str, str] | None = None,
    typed: str = "",
) -> str:
    text = TEXT[language]
    catalog = load_catalog()
    index = 1 if language == "en" else 0
    try:
        category = catalog.category(ticket["category"])
        matter = category.label(language)
        try:
            matter += " · " + category.item(ticket["item"]).label(language)
        except KeyError:
            pass
        response_hours = category.response_hours
    except KeyError:
        matter, response_hours = ticket["category"], 24
    unit_entry = catalog.units.get(ticket["unit"])
    unit = unit_entry.label(language) if unit_entry else ticket["unit"]
    status = ticket["status"]
    status_name = STATUS_NAMES.get(status, (status, status))[index]
    done_status = status in ("resolved", "closed")
    next_key = f"next.{status}"
    if status == CLOSED and _closed_unreachable(events):
        next_key = "next.unreachable"
    next_text = text.get(next_key, "").format(
        unit=unit, due=_short_when(ticket["due_at"], language), hours=response_hours
    )
    late = overdue(ticket, now)
    next_html = f'<p class="next" id="next">{escape(next_text)}</p>'
    due_html = escape(_when(ticket["due_at"]))
    if late is not None:
        late_text = text["overdue"].format(
            late=late_by(late, now, language), due=_short_when(late, language)
        )
        next_html = (
            f'<p class="next late" id="overdue">{escape(late_text)}</p>'
            f'<p class="next" id="next">{escape(text["overdue_action"])}</p>'
        )
        due_html += f'<span class="late">{escape(text["overdue_mark"])}</span>'
    other = "en" if language != "en" else "zh-CN"
    switch_href = (
        f"/t/{quote(ticket['ticket_no'])}?k={quote(token, safe='')}&amp;lang={other}"
    )
    items = []
    steps = timeline(events)
    for position, (step, at) in enumerate(steps):
        css = ' class="now"' if position == len(steps) - 1 else ""
        name = STATUS_NAMES.get(step, (step, step))[index]
        items.append(
            f"<li{css}><strong>{escape(name)}</strong>"
            f'<span class="when">{escape(_when(at))}</span></li>'
        )
    station = ticket.get("station_name") or ticket["station"]
    notices = ""
    if done in DONE_KEYS:
        notices += (
            f'<section class="card notice" role="status" id="done">'
            f"<p>{escape(text[DONE_KEYS[done]])}</p></section>"
        )
    if problem:
        notices += (
            f'<section class="card problem" role="alert" id="problem">'
            f"<p>{escape(problem)}</p></section>"
        )
    answer = resident_answer(events, now)
    body = (
        f"<header><h1>{escape(text['title'])}</h1>"
        f'<a class="lang" href="{switch_href}" lang="{other}" '
        f'aria-label="{escape(text["switch_label"])}">'
        f"{escape(text['switch'])}</a></header>"
        f"{notices}"
        '<section class="card">'
        f'<p class="status{" done" if done_status else ""}" id="status">'
        f"{escape(status_name)}</p><dl>"
        f"<dt>{escape(text['ticket'])}</dt><dd>{escape(ticket['ticket_no'])}</dd>"
        f"<dt>{escape(text['matter'])}</dt><dd>{escape(matter)}</dd>"
        f"<dt>{escape(text['unit'])}</dt><dd>{escape(unit)}</dd>"
        f"<dt>{escape(text['station'])}</dt><dd>{escape(station)}</dd>"
        f"<dt>{escape(text['received'])}</dt>"
        f"<dd>{escape(_when(ticket['created_at']))}</dd>"
        f"<dt>{escape(text['due'])}</dt><dd>{due_html}</dd>"
        "</dl></section>"
        f'<section class="card"><h2>{escape(text["next"])}</h2>{next_html}</section>'
        f"{_answer_form(ticket, language, token, unit, answer, chosen)}"
        f'<section class="card"><h2>{escape(text["progress"])}</h2>'
        f'<ol id="timeline">{"".join(items)}</ol></section>'
        f"{_note_form(ticket, language, token, typed)}"
        f"<footer>{escape(text['footer'])}</footer>"
    )
    return _page(language, f"{text['title']} {ticket['ticket_no']}", body)


def _closed_unreachable(events: list[dict[str, Any]]) -> bool:
    """Whether the ticket's last call-back reached nobody (无法回访)."""
    for event in reversed(events):
        if event["kind"] == "callback":
            try:
                payload = json.loads(event["payload"])
            except ValueError:
                return False
            return isinstance(payload, dict) and payload.get("unreachable") is True
    return False


def _token_matches(ticket: dict[str, Any] | None, token: str) -> bool:
    return (
        ticket is not None
        and bool(token)
        and len(token) <= 200
        and hmac.compare_digest(
            ticket["token"].encode("utf-8"), token.encode("utf-8", "replace")
        )
    )


def _find(request: Request, ticket_no: str) -> dict[str, Any] | None:
    db = request.app.state.db
    return ticket_by_no(db, ticket_no) if TICKET_NO.match(ticket_no) else None


@router.get("/t/{ticket_no}", response_class=HTMLResponse)
def tracking_page(
    ticket_no: str,
    request: Request,
    k: str = Query("", description="The ticket's tracking token"),
    lang: str = Query("", description="zh-CN or en"),
    done: str = Query("", description="What was just sent (recorded, changed, note)"),
) -> HTMLResponse:
    """The ticket's status timeline and what happens next; no personal data."""
    accept = request.headers.get("accept-language")
    ticket = _find(request, ticket_no)
    if ticket is None or not _token_matches(ticket, k):
        return not_found_page(page_language(lang, None, accept))
    language = page_language(lang, ticket.get("language"), accept)
    events = ticket_form_events(request.app.state.db, ticket["ticket_no"])
    html = render_ticket(ticket, events, language, k, now_local(), done=done[:20])
    return HTMLResponse(html, headers={**HEADERS, "Content-Language": language})


# -- posting ----------------------------------------------------------------------


def _cross_site(request: Request) -> bool:
    """A post that another site's page sent."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        return urlsplit(origin).netloc.lower() != host.lower()
    return False


def _ticket_buckets(request: Request) -> Any:
    """Posts per ticket, counted in this instance (central.rates.Limiter)."""
    return request.app.state.limiter.tracking_posts_by_ticket


async def _posted(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES * 4:
        return {}
    pairs = parse_qsl(
        body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20
    )
    return {name: value for name, value in pairs}


async def _handle_post(request: Request, ticket_no: str, what: str) -> Response:
    try:
        form = await _posted(request)
    except ValueError:
        form = {}
    token = form.get("k", "")
    accept = request.headers.get("accept-language")
    ticket = await run_in_threadpool(_find, request, ticket_no)
    if ticket is None or not _token_matches(ticket, token):
        return not_found_page(page_language(form.get("lang", ""), None, accept))
    language = page_language(form.get("lang", ""), ticket.get("language"), accept)
    text = TEXT[language]
    db = request.app.state.db
    now = now_local()
    typed = form.get("text", "")[: NOTE_LIMIT * 4]
    chosen = (form.get("solved", ""), form.get("rating", ""))

    async def again(problem: str, status: int) -> HTMLResponse:
        events = await run_in_threadpool(ticket_form_events, db, ticket["ticket_no"])
        fresh = await run_in_threadpool(_find, request, ticket_no) or ticket
        html = render_ticket(
            fresh,
            events,
            language,
            token,
            now,
            problem=problem,
            chosen=chosen if what == "answer" else None,
            typed=typed if what == "note" else "",
        )
        return HTMLResponse(
            html, status, headers={**HEADERS, "Content-Language": language}
        )

    if _cross_site(request):
        return await again(text["problem.cross_site"], 403)
    form_id = form.get("f", "")
    if not hmac.compare_digest(
        form_code(token, ticket["ticket_no"], form_id), form.get("c", "")
    ):
        return await again(text["problem.expired"], 400)
    if not form_fresh(form_id):
        return await again(text["problem.expired"], 400)
    wait = _ticket_buckets(request).take(ticket["ticket_no"])
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        return busy_page(language, seconds)
    try:
        if what == "answer":
            solved, rating = chosen
            if solved not in ("yes", "no") or rating not in RATINGS:
                return await again(text["problem.choose"], 400)
            outcome = await run_in_threadpool(
                record_answer,
                db,
                ticket["ticket_no"],
                form_id,
                solved == "yes",
                rating,
                now,
            )
        else:
            cleaned = clean_text(typed, NOTE_LIMIT * 4, multiline=True)
            if not cleaned:
                return await again(text["problem.empty"], 400)
            if len(cleaned) > NOTE_LIMIT:
                problem = text["problem.long"].format(
                    limit=NOTE_LIMIT, count=len(cleaned)
                )
                return await again(problem, 400)
            await run_in_threadpool(
                record_note, db, ticket["ticket_no"], form_id, cleaned, now
            )
            outcome = "note"
    except Refused as refused:
        problem = text[f"problem.{refused.reason}"].format(hours=ANSWER_CHANGE_HOURS)
        return await again(problem, 409)
    except StoreUnavailable:
        return unavailable_page(
            language, ticket, token, typed if what == "note" else ""
        )
    target = (
        f"/t/{quote(ticket['ticket_no'])}?k={quote(token, safe='')}"
        f"&lang={language}&done={outcome}#done"
    )
    return RedirectResponse(target, 303, headers=HEADERS)


@router.post("/t/{ticket_no}/answer", response_class=HTMLResponse)
async def post_answer(ticket_no: str, request: Request) -> Response:
    """The resident's call-back answer (form fields k, f, c, solved, rating)."""
    return await _handle_post(request, ticket_no, "answer")


@router.post("/t/{ticket_no}/note", response_class=HTMLResponse)
async def post_note(ticket_no: str, request: Request) -> Response:
    """A follow-up note for the station (form fields k, f, c, text)."""
    return await _handle_post(request, ticket_no, "note")
