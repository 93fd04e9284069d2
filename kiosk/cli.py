"""The ``kiosk`` command: the resident kiosk and the station's tools."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db import DatabaseUnavailable, open_database
from kiosk import __version__
from kiosk.config import (
    DEMO_STATION,
    STATION_CODE,
    ConfigError,
    Settings,
    config_path_from_env,
    load_settings,
)

if TYPE_CHECKING:
    from kiosk.app import KioskApp

log = logging.getLogger("kiosk")

# Modules adding command groups (see build_parser).
COMMAND_MODULES: tuple[str, ...] = (
    "kiosk.cli_staff",
    "kiosk.cli_print",
    "kiosk.cli_sync",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Station kiosk: walk-in requests in, QR-coded tickets out. "
        "With no command, starts the resident kiosk.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config file (default: $KIOSK_CONFIG, else the demo station)",
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser("run", help="start the resident kiosk (the default)")

    init = commands.add_parser("init", help="write a commented config file")
    init.add_argument("path", nargs="?", default="kiosk.toml", help="where to write it")
    init.add_argument("--station", metavar="CODE", help="station code, e.g. PHY3")
    init.add_argument("--name", help="station name")
    init.add_argument("--central", metavar="URL", help="central endpoint URL")
    init.add_argument("--api-key", metavar="KEY", help="this station's API key")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")

    stats = commands.add_parser("stats", help="ticket and sync counts")
    stats.add_argument("--json", action="store_true", help="print one JSON object")

    # Each further command group lives in its own module with a
    # register(commands) function; its parsers set_defaults(handler=...),
    # a callable (args, settings) -> exit code, run with the database open.
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    resident = resident_start(arguments)
    if resident is not None:
        started = start_resident(resident.config)
        if isinstance(started, int):
            return started
        started.run()
        return 0
    gc.enable()  # a tool, not the kiosk: see kiosk.entry.prepare_process
    args = build_parser().parse_args(arguments)
    if args.command == "init":
        return command_init(args)
    settings = settings_or_exit_code(args.config)
    if isinstance(settings, int):
        return settings
    if args.command == "stats":
        return command_stats(settings, as_json=args.json)
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args, settings))
    started = start_resident(args.config, settings)
    if isinstance(started, int):
        return started
    started.run()
    return 0


class _Resident(argparse.Namespace):
    config: str | None = None
    command: str | None = None


def resident_start(arguments: list[str]) -> _Resident | None:
    """The arguments of a plain resident start (no command, or ``run``);
    None for anything else, which goes through the full parser.

    The resident kiosk then starts without importing the tools' command
    modules (printing with Pillow, the staff board, sync) into its process.
    """
    quick = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    quick.add_argument("--config")
    quick.add_argument("command", nargs="?", choices=["run"])
    try:
        parsed, unknown = quick.parse_known_args(arguments, namespace=_Resident())
    except (argparse.ArgumentError, SystemExit):  # not a plain start
        return None
    return None if unknown else parsed


def settings_or_exit_code(config: str | None) -> Settings | int:
    """The settings, with logging and the database ready; or an exit code."""
    try:
        settings = load_settings(config_path_from_env(config))
    except ConfigError as error:
        print(f"kiosk: configuration error: {error}", file=sys.stderr)
        return 2
    setup_logging(settings)
    try:
        open_database(settings.database_path)
    except DatabaseUnavailable as error:
        log.error("database unavailable: %s", error)
        print(f"kiosk: {error}", file=sys.stderr)
        return 1
    return settings


def start_resident(
    config: str | None, settings: Settings | None = None, **options: Any
) -> KioskApp | int:
    """Everything ``kiosk`` does before the resident screen runs: settings,
    log, database, the font check, the app. ``options`` go to KioskApp."""
    from kiosk.app import KioskApp

    if settings is None:
        loaded = settings_or_exit_code(config)
        if isinstance(loaded, int):
            return loaded
        settings = loaded
    log.info("kiosk starting for station %s", settings.station.code)
    # The printer's font is checked by the print process once the welcome
    # screen is up (KioskApp.start_printer): Pillow stays out of this one.
    return KioskApp(settings, **options)


def setup_logging(settings: Settings) -> None:
    """Log to kiosk.log beside the database; never to the kiosk's screen."""
    root = logging.getLogger()
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return
    path = settings.database_path.parent / "kiosk.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def command_stats(settings: Settings, *, as_json: bool) -> int:
    from kiosk.tickets import last_sync_ok, pending_event_count, ticket_count

    figures = {
        "station": settings.station.code,
        "tickets": ticket_count(),
        "pending_events": pending_event_count(),
        "last_sync_ok": last_sync_ok(),
    }
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key}: {value if value is not None else '-'}")
    return 0


CONFIG_TEMPLATE = """\
# Station kiosk configuration (TOML).
# Start the kiosk with:  kiosk --config {path}   (or set KIOSK_CONFIG)

# Time zone of the station: dates, daily ticket numbers and SLAs follow it.
timezone = "Asia/Shanghai"

[station]
# 2-8 capital letters or digits, starting with a letter; ticket numbers
# begin with it (PHY3-261125-001).
code = "{code}"
name = "{name}"
name_en = "{name_en}"
subdistrict = "{subdistrict}"
subdistrict_en = "{subdistrict_en}"

# The grids of the community and their buildings, as residents know them.
# Residents pick one with the number keys; add as many as you need.
{grids}
[kiosk]
# zh-CN or en: the language each new resident starts in.
language = "zh-CN"
# Seconds without input before the kiosk asks "do you need more time?" (5-3600),
# and seconds of that countdown before the form is cleared (3-300).
idle_timeout = 60
idle_countdown = 15
# Seconds the ticket stays on screen before the kiosk starts over (5-600).
ticket_screen_seconds = 45
# Start in large-text, high-contrast mode.
large_text = false

[central]
# The subdistrict's central endpoint; leave empty to run offline only.
url = "{central}"
# This station's API key (keep this file readable by its owner only).
api_key = "{api_key}"
# Base of the tracking link in the QR code; defaults to url.
# public_base_url = "https://track.example.gov.cn"
# A CA bundle to verify the central's certificate, if not a public CA.
# ca_bundle = "/etc/ssl/certs/subdistrict-ca.pem"
# Sync: events per request (1-5000), timeouts in seconds, the backoff after a
# failure (base and cap, seconds) and the pause between passes.
# batch_size = 2000
# connect_timeout = 5
# read_timeout = 30
# backoff_base = 1
# backoff_cap = 300
# sync_interval = 30
# The resident kiosk syncs in the background by itself; set false where the
# kiosk-sync daemon runs (deploy/kiosk-sync.service): one syncing is enough.
# background_sync = true

[printer]
# Where tickets are printed: none, file:DIR (PNG files), escpos:/dev/usb/lp0,
# tcp://HOST:9100 (ESC/POS network printer) or cups:QUEUE. Empty: PNG files
# in a folder "printed" beside the database.
target = ""
# Paper width in dots: 384 (58 mm) or 576 (80 mm).
width = 384
# A font file with Chinese glyphs (path[:index]); empty: found by fontconfig.
font = ""
# Seconds to wait for the printer (0.5-60).
timeout = 5

[staff]
# Minutes an account stays locked after five wrong PINs, and minutes of no
# input before the staff terminal locks itself.
lockout_minutes = 5
idle_lock_minutes = 10

[database]
# The station's SQLite file (relative paths are relative to this file).
path = "kiosk.db"
"""


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def render_config(path: Path, code: str, name: str, central: str, api_key: str) -> str:
    demo = DEMO_STATION
    grids = "".join(
        "[[station.grids]]\n"
        f'name = "{_toml_string(grid.name)}"\n'
        f'name_en = "{_toml_string(grid.name_en)}"\n'
        "buildings = ["
        + ", ".join(f'"{_toml_string(b)}"' for b in grid.buildings)
        + "]\n\n"
        for grid in demo.grids
    )
    is_demo = code == demo.code and not name
    return CONFIG_TEMPLATE.format(
        path=path,
        code=code,
        name=_toml_string(name or demo.name),
        name_en=_toml_string(demo.name_en if is_demo else (name or demo.name_en)),
        subdistrict=_toml_string(demo.subdistrict),
        subdistrict_en=_toml_string(demo.subdistrict_en),
        grids=grids,
        central=_toml_string(central),
        api_key=_toml_string(api_key),
    )


def command_init(args: argparse.Namespace) -> int:
    path = Path(args.path).expanduser()
    code = args.station or DEMO_STATION.code
    if not STATION_CODE.match(code):
        print(
            f"kiosk: --station {code!r} is not allowed; use 2-8 capital letters or "
            "digits, starting with a letter (e.g. PHY3)",
            file=sys.stderr,
        )
        return 2
    if path.exists() and not args.force:
        print(f"kiosk: {path} exists; use --force to overwrite it", file=sys.stderr)
        return 1
    text = render_config(
        path, code, args.name or "", args.central or "", args.api_key or ""
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created owner-only from the start: the file may hold the API key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o600)
    except OSError as error:
        print(f"kiosk: cannot write {path}: {error.strerror}", file=sys.stderr)
        return 1
    load_settings(path)  # what we wrote must load
    print(f"wrote {path}")
    return 0
