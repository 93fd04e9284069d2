"""``kiosk-central``: serve the central, manage stations, author ticket events."""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import json
import os
import sys
from datetime import datetime
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from central.db import DEFAULT_POOL, CentralDatabase, DatabaseError, parse_target
from central.intake import MOST_PROCESSES as MOST_INTAKE_PROCESSES
from central.intake import default_processes
from central.limits import MAX_CONNECTIONS, READ_TIMEOUT, Limits, Rates
from central.page_cache import DEFAULT_MAX_AGE as DEFAULT_PAGE_SECONDS
from central.reports import subdistrict_month
from central.schemas import DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY
from central.store.audit import entries as audit_entries
from central.store.base import Rejected, StoreUnavailable
from central.store.central_events import CENTRAL_KINDS, record_central_event
from central.store.open311_keys import (
    add_open311_key,
    list_open311_keys,
    rotate_open311_key,
    set_open311_key_disabled,
)
from central.store.privacy import (
    DEFAULT_RETENTION_DAYS,
    MOST_RETENTION_DAYS,
    purge,
)
from central.store.stations import (
    add_station,
    list_stations,
    rotate_station_key,
    set_station_disabled,
    stats,
)
from kiosk.catalog import load_catalog
from kiosk.config import DEFAULT_TIMEZONE
from kiosk.reports import month_period, parse_time
from kiosk.states import (
    RATINGS,
    UNREACHABLE_REASONS,
    WITHDRAW_REASONS,
    TransitionError,
)

DB_ENV = "KIOSK_CENTRAL_DB"
DEFAULT_PORT = 8311


def _database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="postgresql://user@host:port/name, sqlite:///path or a file path "
        f"(default: ${DB_ENV}, else a SQLite file in the user data folder)",
    )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry
        return "unknown"


def _actor_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--actor",
        default=_os_user(),
        help="who makes the change, for the audit log (default: the OS user)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk-central",
        description="The subdistrict's central endpoint for station kiosks.",
    )
    _database_option(parser)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP service")
    _database_option(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        help=f"largest body in bytes (default {DEFAULT_MAX_BODY})",
    )
    serve.add_argument(
        "--max-batch",
        type=int,
        default=DEFAULT_MAX_BATCH,
        help=f"most events in one push (default {DEFAULT_MAX_BATCH})",
    )
    serve.add_argument(
        "--public-base-url",
        default="",
        help="the URL residents reach this service at (for tracking links)",
    )
    serve.add_argument(
        "--intake-processes",
        type=int,
        default=None,
        metavar="N",
        help="processes that parse and check large pushes beside the database "
        "writer (default: one per core but one, at most "
        f"{MOST_INTAKE_PROCESSES}; 0: parse in the request's thread)",
    )
    serve.add_argument(
        "--read-timeout",
        type=float,
        default=READ_TIMEOUT,
        metavar="SECONDS",
        help="a request's headers must come within this, and its body may not "
        f"stall longer (default {READ_TIMEOUT:g})",
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        metavar="N",
        help=f"open connections at most; more are refused (default {MAX_CONNECTIONS})",
    )
    serve.add_argument(
        "--db-pool",
        type=int,
        default=DEFAULT_POOL,
        metavar="N",
        help="PostgreSQL: connections this instance holds at most "
        f"(default {DEFAULT_POOL})",
    )
    serve.add_argument(
        "--db-idle",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="PostgreSQL: close the pool's unused connections after this long "
        "with no request (default 60)",
    )
    serve.add_argument(
        "--public-reads-per-minute",
        type=int,
        default=Rates.public_reads_per_minute,
        metavar="N",
        help="Open311 reads and tracking pages per client address (a page of "
        "1000 requests counts 11); more get 429 (default "
        f"{Rates.public_reads_per_minute})",
    )
    serve.add_argument(
        "--open311-writes-per-minute",
        type=int,
        default=Rates.open311_writes_per_minute,
        metavar="N",
        help="Open311 filings per key and per client address; more get 429 "
        f"(default {Rates.open311_writes_per_minute})",
    )
    serve.add_argument(
        "--public-reads-total-per-minute",
        type=int,
        default=Rates.public_reads_total_per_minute,
        metavar="N",
        help="Open311 reads and tracking pages of all addresses together, "
        "counted as --public-reads-per-minute counts them; more get 429, so "
        "that station pushes keep the processor (default "
        f"{Rates.public_reads_total_per_minute})",
    )
    serve.add_argument(
        "--public-page-seconds",
        type=float,
        default=DEFAULT_PAGE_SECONDS,
        metavar="SECONDS",
        help="Open311 lists asked for without a key are served from a page "
        "rendered at most this long ago, so a crowd asking for them costs "
        f"little; 0: always afresh (default {DEFAULT_PAGE_SECONDS:g})",
    )
    serve.add_argument("--log-level", default="warning")

    station = commands.add_parser("station", help="register and list stations")
    station_commands = station.add_subparsers(dest="station_command", required=True)
    add = station_commands.add_parser(
        "add", help="register a station; prints its API key as the last line"
    )
    _database_option(add)
    add.add_argument("code", help="station code, e.g. PHY3")
    add.add_argument("--name", required=True, help="the station's name")
    _actor_option(add)
    listing = station_commands.add_parser("list", help="list the stations")
    _database_option(listing)
    listing.add_argument("--json", action="store_true")
    for command, text in (
        ("disable", "refuse every request made with the station's key"),
        ("enable", "take the station's key again"),
        ("rotate-key", "a new key (printed as the last line); the old one stops"),
    ):
        change = station_commands.add_parser(command, help=text)
        _database_option(change)
        change.add_argument("code", help="station code, e.g. PHY3")
        _actor_option(change)

    keys = commands.add_parser(
        "open311-key", help="Open311 clients' keys: each files for one station"
    )
    key_commands = keys.add_subparsers(dest="key_command", required=True)
    key_add = key_commands.add_parser(
        "add", help="a new key filing for a station; printed as the last line"
    )
    _database_option(key_add)
    key_add.add_argument("station", help="station code, e.g. PHY3")
    key_add.add_argument("--name", required=True, help="who the key is for")
    _actor_option(key_add)
    key_list = key_commands.add_parser("list", help="list the keys (never a key)")
    _database_option(key_list)
    key_list.add_argument("--json", action="store_true")
    for command, text in (
        ("disable", "revoke the key: it files nothing more"),
        ("enable", "take the key again"),
        ("rotate", "a new key (printed as the last line); the old one stops"),
    ):
        change = key_commands.add_parser(command, help=text)
        _database_option(change)
        change.add_argument("key_id", type=int, help="the key's id (see list)")
        _actor_option(change)

    audit = commands.add_parser("audit", help="who changed which key, and when")
    _database_option(audit)
    audit.add_argument("--json", action="store_true")

    counting = commands.add_parser("stats", help="count stations, tickets and events")
    _database_option(counting)
    counting.add_argument("--json", action="store_true")

    report = commands.add_parser("report", help="the stations' numbers (三率)")
    report_commands = report.add_subparsers(dest="report_command", required=True)
    month = report_commands.add_parser(
        "month", help="every station's month, the subdistrict's and a ranking"
    )
    _database_option(month)
    month.add_argument("month", help="YYYY-MM, in Asia/Shanghai")
    month.add_argument("--json", action="store_true")
    month.add_argument(
        "--as-of",
        metavar="TIME",
        help="count events up to this ISO time (default: now)",
    )

    privacy = commands.add_parser("privacy", help="residents' personal data")
    privacy_commands = privacy.add_subparsers(dest="privacy_command", required=True)
    erase = privacy_commands.add_parser(
        "purge",
        help="erase contact names and mobiles of tickets ended past the limit",
        description="Erase the contact name and mobile number of every ticket, "
        "of every station, that ended (closed or withdrawn) more than "
        "--retention-days ago, from the tickets and their events. The counts "
        "go to the audit log, never the data.",
    )
    _database_option(erase)
    erase.add_argument(
        "--retention-days",
        type=int,
        default=DEFAULT_RETENTION_DAYS,
        metavar="DAYS",
        help="keep contact details this long after a ticket ends "
        f"(default {DEFAULT_RETENTION_DAYS}, as the stations)",
    )
    erase.add_argument(
        "--dry-run", action="store_true", help="say what would be erased; erase nothing"
    )
    erase.add_argument("--json", action="store_true", help="print one JSON object")
    _actor_option(erase)

    ticket = commands.add_parser("ticket", help="act on a ticket centrally")
    ticket_commands = ticket.add_subparsers(dest="ticket_command", required=True)
    update = ticket_commands.add_parser(
        "update", help="record a central event; it reaches the station on its pull"
    )
    _database_option(update)
    update.add_argument("ticket_no")
    update.add_argument(
        "--kind",
        required=True,
        choices=CENTRAL_KINDS,
    )
    update.add_argument("--text", default="", help="a note for the station")
    update.add_argument("--unit", default="", help="dispatched: the unit's code")
    update.add_argument("--rating", choices=RATINGS, help="callback: the rating")
    update.add_argument(
        "--solved",
        choices=("yes", "no"),
        help="callback: was the problem solved (解决/未解决)",
    )
    update.add_argument(
        "--unreachable",
        choices=tuple(UNREACHABLE_REASONS),
        help="callback: 无法回访, and why (no contact details, or not reached)",
    )
    update.add_argument(
        "--tries", type=int, default=0, help="callback: calls that reached nobody"
    )
    update.add_argument(
        "--reason", choices=WITHDRAW_REASONS, help="withdrawn: the reason"
    )
    update.add_argument("--actor", default="subdistrict", help="who made the change")
    update.add_argument("--json", action="store_true")
    return parser


def _open(args: argparse.Namespace) -> CentralDatabase:
    url = getattr(args, "db", None) or os.environ.get(DB_ENV) or None
    pool = getattr(args, "db_pool", DEFAULT_POOL)
    if not 1 <= pool <= 1000:
        raise DatabaseError(f"--db-pool {pool}: use 1-1000")
    db = CentralDatabase(parse_target(url), pool_size=pool)
    db.open()
    return db


def _fail(message: str) -> int:
    print(f"kiosk-central: {message}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        db = _open(args)
    except DatabaseError as error:
        return _fail(str(error))
    try:
        return _run(args, db)
    finally:
        db.close()


def _run(args: argparse.Namespace, db: CentralDatabase) -> int:
    try:
        if args.command == "serve":
            return _serve(args, db)
        if args.command == "station" and args.station_command == "add":
            key = add_station(db, args.code, args.name, args.actor)
            print(f"station {args.code} ({args.name.strip()}) added; its API key:")
            print(key)
            return 0
        if args.command == "station" and args.station_command == "list":
            stations = list_stations(db)
            if args.json:
                print(json.dumps(stations, ensure_ascii=False))
            for entry in [] if args.json else stations:
                state = " (disabled)" if entry["disabled"] else ""
                print(f"{entry['code']}\t{entry['name']}{state}")
            return 0
        if args.command == "station" and args.station_command in (
            "disable",
            "enable",
        ):
            disabled = args.station_command == "disable"
            set_station_disabled(db, args.code, disabled, args.actor)
            print(f"station {args.code} {args.station_command}d")
            return 0
        if args.command == "station" and args.station_command == "rotate-key":
            key = rotate_station_key(db, args.code, args.actor)
            print(f"station {args.code}: a new API key; the old one no longer works:")
            print(key)
            return 0
        if args.command == "open311-key":
            return _open311_key(args, db)
        if args.command == "audit":
            log = audit_entries(db)
            if args.json:
                print(json.dumps(log, ensure_ascii=False))
            for entry in [] if args.json else log:
                print(
                    f"{entry['at']}\t{entry['actor']}\t{entry['action']}\t"
                    f"{entry['subject']}\t{entry['detail']}"
                )
            return 0
        if args.command == "stats":
            counts = stats(db)
            if args.json:
                print(json.dumps(counts))
            else:
                for name, value in counts.items():
                    print(f"{name}: {value}")
            return 0
        if args.command == "ticket":
            return _update(args, db)
        if args.command == "report":
            return _report(args, db)
        if args.command == "privacy":
            return _purge(args, db)
    except Rejected as error:
        return _fail(error.detail)
    except StoreUnavailable as error:
        return _fail(str(error))
    return _fail("unknown command")


def _open311_key(args: argparse.Namespace, db: CentralDatabase) -> int:
    command = args.key_command
    if command == "add":
        key_id, key = add_open311_key(db, args.station, args.name, args.actor)
        print(f"Open311 key {key_id} ({args.name.strip()}) files for {args.station}:")
        print(key)
    elif command == "list":
        listed = list_open311_keys(db)
        if args.json:
            print(json.dumps(listed, ensure_ascii=False))
        for entry in [] if args.json else listed:
            state = " (disabled)" if entry["disabled"] else ""
            print(f"{entry['id']}\t{entry['station']}\t{entry['name']}{state}")
    elif command in ("disable", "enable"):
        disabled = command == "disable"
        set_open311_key_disabled(db, args.key_id, disabled, args.actor)
        print(f"Open311 key {args.key_id} {command}d")
    else:
        key = rotate_open311_key(db, args.key_id, args.actor)
        print(f"Open311 key {args.key_id}: a new key; the old one no longer works:")
        print(key)
    return 0


def _purge(args: argparse.Namespace, db: CentralDatabase) -> int:
    if not 1 <= args.retention_days <= MOST_RETENTION_DAYS:
        return _fail(
            f"--retention-days {args.retention_days}: use 1-{MOST_RETENTION_DAYS}"
        )
    cutoff, counts = purge(
        db, args.retention_days, dry_run=args.dry_run, actor=args.actor
    )
    if args.json:
        report = {
            "ended_before": cutoff.isoformat(),
            "dry_run": args.dry_run,
            **counts.as_dict(),
        }
        print(json.dumps(report))
        return 0
    verb = "would erase" if args.dry_run else "erased"
    print(
        f"privacy purge: tickets ended before {cutoff:%Y-%m-%d %H:%M} UTC "
        f"({args.retention_days} days): {verb} the contact details of "
        f"{counts.tickets} tickets and {counts.events} events, "
        f"{counts.texts} mobile numbers in texts"
    )
    return 0


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _report(args: argparse.Namespace, db: CentralDatabase) -> int:
    zone = ZoneInfo(DEFAULT_TIMEZONE)
    try:
        as_of = parse_time(args.as_of) if args.as_of else datetime.now(zone)
    except ValueError:
        return _fail(
            f"--as-of {args.as_of!r}: give an ISO time with its offset, "
            "e.g. 2026-12-01T00:00:00+08:00"
        )
    try:
        month_period(args.month, zone)
    except ValueError:
        return _fail(f"{args.month!r} is not a month; give it as YYYY-MM")
    report = subdistrict_month(db, load_catalog(), args.month, as_of)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return 0
    whole = report["subdistrict"]
    print(f"{report['period']['label']}: {whole['tickets']} 件")
    print("排名\t站点\t综合得分\t响应率\t解决率\t满意率\t件数")
    rows = [("", "街道合计", whole)] + [
        (str(entry["rank"]), entry["station"], report["stations"][entry["station"]])
        for entry in report["ranking"]
    ]
    for rank, name, figures in rows:
        score = figures["composite_score"]
        print(
            f"{rank}\t{name}\t{'—' if score is None else f'{score:.2f}'}\t"
            f"{_percent(figures['response_rate'])}\t"
            f"{_percent(figures['resolution_rate'])}\t"
            f"{_percent(figures['satisfaction_rate'])}\t{figures['tickets']}"
        )
    return 0


def _update(args: argparse.Namespace, db: CentralDatabase) -> int:
    payload: dict[str, Any] = {}
    if args.text:
        payload["text"] = args.text
    if args.unit:
        # the catalog loads only for an update that names a unit
        from kiosk.catalog import load_catalog

        if args.unit not in load_catalog().units:
            units = ", ".join(load_catalog().units)
            return _fail(f"--unit {args.unit!r}: use one of {units}")
        payload["unit"] = args.unit
    if args.rating:
        payload["rating"] = args.rating
    if args.solved:
        payload["solved"] = args.solved == "yes"
    if args.unreachable:
        payload["unreachable"] = True
        payload["reason"] = args.unreachable
    if args.tries:
        if not 0 < args.tries <= 100:
            return _fail("--tries: a number from 1 to 100")
        payload["tries"] = args.tries
    if args.reason:
        payload["reason"] = args.reason
    try:
        event = record_central_event(
            db, args.ticket_no, args.kind, payload, f"central:{args.actor}"
        )
    except LookupError:
        return _fail(f"no ticket {args.ticket_no}")
    except TransitionError as error:
        return _fail(f"refused: {error.reason}")
    if args.json:
        print(json.dumps(event, ensure_ascii=False))
    else:
        print(f"{event['ticket_no']}: {args.kind} recorded; status {event['status']}")
    return 0


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _serve(args: argparse.Namespace, db: CentralDatabase) -> int:
    # the server (uvicorn, FastAPI) loads for `serve` only, not for the tools
    import uvicorn

    from central.app import ServerSettings, create_app
    from central.server import protocol_with

    if not 0 < args.port < 65536:
        return _fail(f"--port {args.port}: use 1-65535")
    if args.max_body < 1024 or args.max_batch < 1:
        return _fail("--max-body must be at least 1024 and --max-batch at least 1")
    processes = args.intake_processes
    if processes is None:
        processes = default_processes()
    if not 0 <= processes <= 64:
        return _fail(f"--intake-processes {processes}: use 0-64")
    if not 0.1 <= args.db_idle <= 86400:
        return _fail(f"--db-idle {args.db_idle:g}: use 0.1-86400 seconds")
    for option, value in (
        ("--public-reads-per-minute", args.public_reads_per_minute),
        ("--open311-writes-per-minute", args.open311_writes_per_minute),
        ("--public-reads-total-per-minute", args.public_reads_total_per_minute),
    ):
        if not 1 <= value <= 1_000_000:
            return _fail(f"{option} {value}: use 1-1000000")
    if not 0 <= args.public_page_seconds <= 60:
        return _fail(
            f"--public-page-seconds {args.public_page_seconds:g}: use 0-60 seconds"
        )
    if not 0.1 <= args.read_timeout <= 600:
        return _fail(f"--read-timeout {args.read_timeout:g}: use 0.1-600 seconds")
    if not 1 <= args.max_connections <= 100_000:
        return _fail(f"--max-connections {args.max_connections}: use 1-100000")
    limits = Limits(
        read_timeout=args.read_timeout, max_connections=args.max_connections
    )
    public_base_url = args.public_base_url.rstrip("/")
    if public_base_url:
        parsed = urlparse(public_base_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            return _fail(
                f"--public-base-url {public_base_url!r}: use http(s)://host[/path]"
            )
    elif _loopback(args.host):
        # Links are never written from a request's Host header.
        public_base_url = f"http://{_url_host(args.host)}:{args.port}"
    else:
        return _fail(
            f"--public-base-url is required when serving on {args.host}: the "
            "tracking links and Open311 discovery use it (e.g. "
            "https://central.example.gov.cn)"
        )
    settings = ServerSettings(
        max_body=args.max_body,
        max_batch=args.max_batch,
        public_base_url=public_base_url,
        intake_processes=processes,
        db_idle_seconds=args.db_idle,
        public_page_seconds=args.public_page_seconds,
        rates=Rates(
            open311_writes_per_minute=args.open311_writes_per_minute,
            public_reads_per_minute=args.public_reads_per_minute,
            public_reads_total_per_minute=args.public_reads_total_per_minute,
        ),
    )
    app = create_app(db, settings)
    print(
        f"kiosk-central: serving http://{args.host}:{args.port} "
        f"({db.target.describe()})",
        file=sys.stderr,
        flush=True,
    )
    # No access log: request lines carry tracking tokens in their query.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        server_header=False,
        http=protocol_with(limits),
        timeout_keep_alive=5,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
