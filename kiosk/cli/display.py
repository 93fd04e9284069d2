"""``kiosk display``: the waiting room's TV, and the voice that calls numbers."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from kiosk.config import Settings
from kiosk.voice import Voice

log = logging.getLogger(__name__)


def register(commands: Any) -> None:
    display = commands.add_parser(
        "display",
        help="the waiting room's TV: the number called, the last few, how many "
        "wait; says each call aloud",
    )
    display.add_argument(
        "--no-voice", action="store_true", help="show the calls without saying them"
    )
    display.set_defaults(handler=command_display)


def command_display(args: argparse.Namespace, settings: Settings) -> int:
    # Textual and the display screen load only for the TV.
    from screens.display.app import DisplayApp

    voice = Voice()
    if args.no_voice:
        announce = None
    elif voice.available:
        announce = voice.say
    else:
        announce = None
        log.warning("display: voice %s", voice.status())
    app = DisplayApp(settings, announce=announce)
    app.run()
    return 1 if app.return_code else 0
