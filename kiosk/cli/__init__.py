"""The ``kiosk`` command: the resident kiosk and the station's tools.

``main`` is the console script. A plain start (no command, or ``run``) takes
the fast path: settings, log, database and the resident app, without the
tools' command modules (printing with Pillow, the staff board, sync). Any
other command goes through the full parser, whose groups live one per module
in this package, each with a ``register(commands)`` function.

Every command's failure is raised as a CommandError (or a ConfigError, or a
DatabaseUnavailable) and printed in one place, ``main``.

The resident start keeps its process lean (kiosk/lean.py): nothing
that imports peewee is imported at this module's top.
"""

from __future__ import annotations

import gc
import importlib
import logging
import logging.handlers
import os
import sys
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.cli.errors import CommandError
from kiosk.config import ConfigError, Settings, config_path_from_env, load_settings
from kiosk.lean import prepare_process

if TYPE_CHECKING:
    import argparse

    from screens.resident.app import KioskApp

log = logging.getLogger("kiosk")

# Modules adding command groups (see build_parser).
COMMAND_MODULES: tuple[str, ...] = (
    "kiosk.cli.station",
    "kiosk.cli.staff",
    "kiosk.cli.tickets",
    "kiosk.cli.printing",
    "kiosk.cli.sync",
    "kiosk.cli.demo",
    "kiosk.cli.backup",
    "kiosk.cli.privacy",
    "kiosk.cli.ledger",
    "kiosk.cli.report",
    "kiosk.cli.plan",
    "kiosk.cli.display",
    "kiosk.cli.audit",
    "kiosk.cli.meeting",
)


def build_parser() -> argparse.ArgumentParser:
    # the tools' commands only: the resident start reads its own arguments
    import argparse

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
    # Each command group's parsers set_defaults(handler=...), a callable
    # (args, settings) -> exit code, run with the database open; a handler
    # that needs no settings (init) also sets needs_settings=False and is
    # called as (args, None).
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    prepare_process()
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _run(arguments)
    except CommandError as error:
        print(f"kiosk: {error}", file=sys.stderr)
        return error.exit_code
    except ConfigError as error:
        print(f"kiosk: configuration error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`kiosk tickets list | head -1`): stop
        # quietly, and keep Python from complaining as it flushes stdout.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # a defect: logged, never shown as a traceback
        log.exception("kiosk %s failed", " ".join(arguments[:2]))
        print(
            f"kiosk: internal error ({type(error).__name__}); see kiosk.log",
            file=sys.stderr,
        )
        return 1


def _run(arguments: list[str]) -> int:
    resident = resident_start(arguments)
    if resident is not None:
        return run_kiosk(start_resident(resident.config))
    gc.enable()  # a tool, not the kiosk: see prepare_process
    args = build_parser().parse_args(arguments)
    handler = getattr(args, "handler", None)
    if handler is None:  # ``run`` with other options
        return run_kiosk(start_resident(args.config))
    if not getattr(args, "needs_settings", True):
        return int(handler(args, None))
    return int(handler(args, open_settings(args.config)))


class _Resident:
    """A plain resident start's arguments."""

    __slots__ = ("config", "command")

    def __init__(self, config: str | None, command: str | None) -> None:
        self.config = config
        self.command = command


def resident_start(arguments: list[str]) -> _Resident | None:
    """The arguments of a plain resident start (no command, or ``run``, and
    ``--config FILE``); None for anything else, which goes through the full
    parser (where an abbreviated ``--conf FILE`` starts the kiosk too).
    Read by hand: argparse (and gettext with it) cost the kiosk 2 ms of
    start-up."""
    config: str | None = None
    command: str | None = None
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument.startswith("--config="):
            config = argument.partition("=")[2]
        elif argument == "--config":
            value = arguments[index + 1] if index + 1 < len(arguments) else "-"
            if value.startswith("-"):
                return None
            config = value
            index += 1
        elif argument == "run" and command is None:
            command = argument
        else:
            return None
        index += 1
    return _Resident(config, command)


def open_settings(config: str | None, *, resident: bool = False) -> Settings:
    """The settings, with logging and the database ready; for the resident
    kiosk, a current database is only checked and opens after its first
    paint (db/deferred.py).

    Raises ConfigError or CommandError (the database cannot be opened). For
    the resident kiosk (``resident``) the message is in the kiosk's language:
    it is printed on the kiosk's own screen.
    """
    # db imports peewee: only when opened, after prepare_process hid the
    # drivers; db.files and db.migrations do without it.
    from db.deferred import open_later
    from db.files import DatabaseUnavailable, is_current
    from db.migrations import SCHEMA_VERSION

    settings = load_settings(config_path_from_env(config))
    setup_logging(settings)
    path = settings.database_path
    if resident and is_current(path, SCHEMA_VERSION):
        # Nothing to create or migrate: the kiosk paints its welcome screen
        # first, then opens it (KioskApp.open_database), before any key acts.
        open_later(path)
        return settings
    from db import open_database  # peewee, only now (see above)

    try:
        open_database(path)
    except DatabaseUnavailable as error:
        log.error("database unavailable: %s", error)
        language = settings.kiosk.language if resident else "en"
        raise CommandError(error.in_language(language)) from error
    return settings


def start_resident(
    config: str | None, settings: Settings | None = None, **options: Any
) -> KioskApp:
    """Everything ``kiosk`` does before the resident screen runs: settings,
    log, database, the app. ``options`` go to KioskApp."""
    # Textual and the resident screens load only for the resident kiosk.
    from screens.resident.app import KioskApp

    if settings is None:
        settings = open_settings(config, resident=True)
    log.info("kiosk starting for station %s", settings.station.code)
    # The printer's font is checked by the print process once the welcome
    # screen is up (KioskApp.start_printer): Pillow stays out of this one.
    return KioskApp(settings, **options)


def run_kiosk(app: KioskApp, *, headless: bool = False) -> int:
    """Run the resident app; its exit status: 1 after a crash (logged with
    its traceback by the app), so that the service manager restarts it."""
    app.run(headless=headless)
    status = app.return_code or 0
    if status:
        log.error("kiosk stopped with exit status %d", status)
        print("kiosk: stopped after an error; see kiosk.log", file=sys.stderr)
    return status


class StationTimeFormatter(logging.Formatter):
    """Log times in the station's time zone, with the offset, whatever the
    box's own zone is (a log read beside the tickets' times)."""

    def __init__(self, fmt: str, zone: tzinfo) -> None:
        super().__init__(fmt)
        self.zone = zone

    def formatTime(  # logging's name for it
        self, record: logging.LogRecord, datefmt: str | None = None
    ) -> str:
        moment = datetime.fromtimestamp(record.created, self.zone)
        return moment.isoformat(timespec="milliseconds")


def log_formatter(settings: Settings) -> logging.Formatter:
    return StationTimeFormatter(
        "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s", settings.zone
    )


def setup_logging(settings: Settings) -> None:
    """Log to kiosk.log beside the database; never to the kiosk's screen."""
    root = logging.getLogger()
    if any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        return
    # the database's files, without peewee (see open_settings)
    from db.files import make_owner_only, make_private_folder

    path = settings.database_path.parent / "kiosk.log"
    try:
        # The log sits beside the database, in its owner-only folder.
        make_private_folder(path.parent)
        make_owner_only(path)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(log_formatter(settings))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
