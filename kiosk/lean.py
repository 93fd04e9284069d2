"""What keeps the kiosk's own processes lean.

peewee imports every database driver it finds installed when it is first
imported: psycopg2, psycopg, PyMySQL, MySQLdb. The kiosk only ever opens
SQLite, and psycopg2 alone loads libpq with its own OpenSSL: about 5 MB of
memory and 15 ms of start-up in every kiosk process on a box that also has
the central's extra (or Debian's python3-psycopg2) installed. The kiosk's own
processes (the ``kiosk`` command, its helper processes) hide those drivers
from peewee before anything imports it; code that imports ``kiosk`` as a
library (the central, the tests) is not touched.
"""

from __future__ import annotations

import gc
import sys

UNUSED_DRIVERS = (
    "pysqlite3",
    "psycopg2cffi",
    "psycopg2",
    "psycopg",
    "pymysql",
    "MySQLdb",
)


def skip_unused_database_drivers() -> None:
    """Make ``import psycopg2`` and friends fail in this process, for peewee.

    Only before peewee is imported (afterwards it has made its choice) and
    only for drivers nothing has imported yet.
    """
    if "peewee" in sys.modules:
        return
    for name in UNUSED_DRIVERS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def prepare_process() -> None:
    """What the ``kiosk`` command does before anything else is imported.

    Start-up only makes objects that live as long as the process (modules,
    styles, the catalog); collecting garbage among them is wasted time: two
    or three full collections, ~15 ms, before the first screen. So the
    collector is off until the welcome screen is up, when KioskApp collects
    once, freezes what start-up made and turns it back on
    (``settle_memory``); the tools' commands turn it back on at once.
    """
    gc.disable()
    skip_unused_database_drivers()
