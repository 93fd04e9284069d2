"""The page a resident's phone opens from the ticket's QR code.

``GET /t/{ticket_no}?k={token}``: the status timeline and what happens next,
in zh-CN (en by Accept-Language or ``lang=en``). No personal data and no free
text at all: not the description, not the building, not notes. A wrong or
missing token answers exactly the same 404 as an unknown ticket.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from central.language import pick_language
from central.schemas import TICKET_NO_PATTERN
from central.store.tickets import ticket_by_no, ticket_events
from kiosk.catalog import load_catalog
from kiosk.states import STATUS_NAMES, TransitionError, next_status

router = APIRouter(tags=["tracking"])
TICKET_NO = re.compile(TICKET_NO_PATTERN)

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:17px/1.55 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif;background:#f3f5f7;color:#1c2430}
main{max-width:34rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:baseline;gap:.5rem}
h1{font-size:1.3rem;margin:.4rem 0}
.lang{font-size:.95rem;color:#0b5cad}
.card{background:#fff;border-radius:.8rem;padding:1rem 1.1rem;margin:.8rem 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
.status{font-size:1.6rem;font-weight:700;color:#b3261e;margin:.2rem 0}
.status.done{color:#1b7f3b}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .9rem;margin:.6rem 0 0}
dt{color:#5b6573}dd{margin:0;word-break:break-all}
h2{font-size:1.05rem;margin:0 0 .5rem}
ol{list-style:none;margin:0;padding:0}
li{position:relative;padding:0 0 .9rem 1.5rem;border-left:2px solid #c9d1db;
margin-left:.45rem}
li:last-child{border-left-color:transparent;padding-bottom:0}
li::before{content:"";position:absolute;left:-.5rem;top:.3rem;width:.8rem;height:.8rem;
border-radius:50%;background:#1b7f3b}
li.now::before{background:#b3261e;box-shadow:0 0 0 .25rem #f6d3d0}
.when{display:block;color:#5b6573;font-size:.9rem}
.next{font-size:1.05rem}
footer{color:#5b6573;font-size:.85rem;text-align:center;margin:1.2rem 0}
""".strip()
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode()
HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; img-src 'none'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "X-Frame-Options": "DENY",
}

TEXT = {
    "zh-CN": {
        "title": "工单进度",
        "ticket": "工单号",
        "matter": "事项",
        "unit": "负责单位",
        "received": "受理时间",
        "due": "预计办结",
        "station": "服务站",
        "progress": "办理进度",
        "next": "下一步",
        "switch": "English",
        "not_found_title": "未找到工单",
        "not_found": "没有找到这张工单。请核对小票上的二维码，或到社区服务站咨询。",
        "footer": "本页不显示任何个人信息。",
        "next.received": "服务站工作人员将核实情况，"
        "并在 {hours} 小时内吹哨派单给{unit}。",
        "next.dispatched": "已通知{unit}到场处理，预计{due}前办结。",
        "next.acknowledged": "{unit}已报到，正在处理，预计{due}前办结。",
        "next.escalated": "已上报街道统筹协调，街道将指派相关部门办理。",
        "next.resolved": "已办结。如您留了电话，服务站将回访，请您评价办理结果。",
        "next.closed": "已回访，工单结束。感谢您的反馈！",
        "next.withdrawn": "工单已撤销。如仍需帮助，请到社区服务站重新反映。",
    },
    "en": {
        "title": "Ticket progress",
        "ticket": "Ticket",
        "matter": "Matter",
        "unit": "Responsible unit",
        "received": "Received",
        "due": "Expected by",
        "station": "Station",
        "progress": "Progress",
        "next": "What happens next",
        "switch": "中文",
        "not_found_title": "Ticket not found",
        "not_found": "We could not find this ticket. Check the QR code on your "
        "ticket, or ask at the community service station.",
        "footer": "This page shows no personal information.",
        "next.received": "Station staff will check the matter and pass it to {unit} "
        "within {hours} hours.",
        "next.dispatched": "{unit} has been called in and should finish by {due}.",
        "next.acknowledged": "{unit} has reported and is working on it; expected "
        "by {due}.",
        "next.escalated": "Passed up to the subdistrict, which will assign the "
        "departments concerned.",
        "next.resolved": "Resolved. If you left a phone number, the station will "
        "call you to ask how it went.",
        "next.closed": "Closed after the call-back. Thank you!",
        "next.withdrawn": "Withdrawn. If you still need help, please ask at the "
        "station again.",
    },
}


def _when(text: str) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return ""


def _short_when(text: str, language: str) -> str:
    """A due time for a sentence: 11月27日 09:30 / 27 Nov 09:30."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if language == "en":
        return moment.strftime("%d %b %H:%M").lstrip("0")
    return f"{moment.month}月{moment.day}日 {moment:%H:%M}"


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


def _page(language: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _not_found(language: str) -> HTMLResponse:
    text = TEXT[language]
    body = (
        f"<h1>{escape(text['not_found_title'])}</h1>"
        f'<section class="card"><p>{escape(text["not_found"])}</p></section>'
    )
    return HTMLResponse(
        _page(language, text["not_found_title"], body), 404, headers=HEADERS
    )


def render_ticket(
    ticket: dict[str, Any], steps: list[tuple[str, str]], language: str, token: str
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
    done = status in ("resolved", "closed")
    next_text = text.get(f"next.{status}", "").format(
        unit=unit, due=_short_when(ticket["due_at"], language), hours=response_hours
    )
    other = "en" if language != "en" else "zh-CN"
    switch_href = f"?k={quote(token, safe='')}&amp;lang={other}"
    items = []
    for position, (step, at) in enumerate(steps):
        css = ' class="now"' if position == len(steps) - 1 else ""
        name = STATUS_NAMES.get(step, (step, step))[index]
        items.append(
            f"<li{css}><strong>{escape(name)}</strong>"
            f'<span class="when">{escape(_when(at))}</span></li>'
        )
    station = ticket.get("station_name") or ticket["station"]
    body = (
        f"<header><h1>{escape(text['title'])}</h1>"
        f'<a class="lang" href="{switch_href}" lang="{other}">'
        f"{escape(text['switch'])}</a></header>"
        '<section class="card">'
        f'<p class="status{" done" if done else ""}" id="status">'
        f"{escape(status_name)}</p><dl>"
        f"<dt>{escape(text['ticket'])}</dt><dd>{escape(ticket['ticket_no'])}</dd>"
        f"<dt>{escape(text['matter'])}</dt><dd>{escape(matter)}</dd>"
        f"<dt>{escape(text['unit'])}</dt><dd>{escape(unit)}</dd>"
        f"<dt>{escape(text['station'])}</dt><dd>{escape(station)}</dd>"
        f"<dt>{escape(text['received'])}</dt>"
        f"<dd>{escape(_when(ticket['created_at']))}</dd>"
        f"<dt>{escape(text['due'])}</dt><dd>{escape(_when(ticket['due_at']))}</dd>"
        "</dl></section>"
        f'<section class="card"><h2>{escape(text["next"])}</h2>'
        f'<p class="next" id="next">{escape(next_text)}</p></section>'
        f'<section class="card"><h2>{escape(text["progress"])}</h2>'
        f'<ol id="timeline">{"".join(items)}</ol></section>'
        f"<footer>{escape(text['footer'])}</footer>"
    )
    return _page(language, f"{text['title']} {ticket['ticket_no']}", body)


@router.get("/t/{ticket_no}", response_class=HTMLResponse)
def tracking_page(
    ticket_no: str,
    request: Request,
    k: str = Query("", description="The ticket's tracking token"),
    lang: str = Query("", description="zh-CN or en"),
) -> HTMLResponse:
    """The ticket's status timeline and what happens next; no personal data."""
    language = pick_language(request.headers.get("accept-language"), lang[:10] or None)
    db = request.app.state.db
    ticket = ticket_by_no(db, ticket_no) if TICKET_NO.match(ticket_no) else None
    if (
        ticket is None
        or not k
        or len(k) > 200
        or not hmac.compare_digest(
            ticket["token"].encode("utf-8"), k.encode("utf-8", "replace")
        )
    ):
        return _not_found(language)
    steps = timeline(ticket_events(db, ticket["ticket_no"]))
    html = render_ticket(ticket, steps, language, k)
    return HTMLResponse(html, headers={**HEADERS, "Content-Language": language})
