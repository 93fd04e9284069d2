"""The resident kiosk paints its welcome screen before it opens a current
database (and before peewee loads); a database that needs work is opened,
or refused, before anything is drawn."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from db import database, open_database
from db.deferred import open_later
from db.files import is_current
from db.migrations import MIGRATIONS, SCHEMA_VERSION
from kiosk.config import render_config
from screens.resident.app import KioskApp
from screens.resident.welcome import WelcomeScreen
from tests.helpers import FIXED_NOW, keypad_to_ticket, wait_screen

ROOT = Path(__file__).resolve().parents[2]
# The box's unprivileged user (.ci/run makes it): root can write any file.
BOX_USER = "kiosk-test"
# is_current of a database the asking user can read and not write (a file of
# root's, 0444, wal mode as the migrations leave it), from a copy of
# db/files.py (the standard library only) beside it: that user may not be able
# to read this checkout or its interpreter.
READ_ONLY_PROBE = """
import os, sys
from pathlib import Path
sys.path.insert(0, os.path.dirname(sys.argv[1]))
from files import is_current
path = Path(sys.argv[1])
assert os.access(path, os.R_OK) and not os.access(path, os.W_OK)
print(is_current(path, 1))
"""

# Started as the ``kiosk`` command starts, on a database that is current.
# At the first paint of the welcome screen (its tiles drawn) it notes which of
# the modules it can do without have loaded; then waits for start-up to
# settle and reads the database.
PROBE = """
import asyncio, gc, json, sys
from kiosk.lean import prepare_process
prepare_process()
from textual import events
from textual._context import active_message_pump
from textual.widget import Widget
from kiosk.cli import start_resident
from screens.resident.welcome import WelcomeScreen
app = start_resident(sys.argv[1])
seen = {}

def at_first_paint(widget):
    if widget.region.area > 0:
        seen.setdefault("loaded_at_first_paint", [
            name for name in ("peewee", "kiosk.catalog", "hashlib")
            if name in sys.modules])
    else:
        widget.call_after_refresh(at_first_paint, widget)

def hook(message):
    pump = active_message_pump.get(None)
    if (isinstance(message, events.Mount) and isinstance(pump, Widget)
            and pump.id == "tiles"):
        pump.call_after_refresh(at_first_paint, pump)

async def main():
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        while not (isinstance(app.screen, WelcomeScreen) and gc.isenabled()
                   and "loaded_at_first_paint" in seen):
            await pilot.pause()
        await app.workers.wait_for_complete()
        from db import database
        with database.connection_context():
            (tickets,) = database.execute_sql(
                "SELECT COUNT(*) FROM ticket").fetchone()
        print(json.dumps({**seen, "tickets": tickets}))

asyncio.run(main())
"""


def _config(tmp_path: Path, database_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    text = render_config(path, "PHY3", "", "", "")
    text = text.replace('path = "kiosk.db"', f'path = "{database_path}"')
    path.write_text(text, encoding="utf-8")
    return path


def _current_database(path: Path) -> None:
    """A current database with one ticket, made by another process
    (this one's peewee stays bound to whatever the tests opened)."""
    script = (
        "import sys; from db import open_database; "
        "open_database(sys.argv[1]).execute_sql("
        '"INSERT INTO ticket (uuid, ticket_no, queue_no, station, day, category,'
        " item, created_at, status, unit, due_at, token) VALUES ('u1',"
        " 'PHY3-261125-001', 'B001', 'PHY3', '2026-11-25', 'housing', 'lift',"
        " '2026-11-25T09:00:00+08:00', 'received', 'property',"
        " '2026-11-27T09:00:00+08:00', 'tok')\")"
    )
    _python("-c", script, str(path))


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("KIOSK_CONFIG", None)
    done = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_the_welcome_screen_is_painted_before_the_database_opens(tmp_path):
    path = tmp_path / "station" / "kiosk.db"
    path.parent.mkdir()
    _current_database(path)
    done = _python("-c", PROBE, str(_config(tmp_path, path)))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # The database (peewee), the catalog and hashlib (secrets) come after.
    assert report["loaded_at_first_paint"] == []
    assert report["tickets"] == 1  # and opened right after


@pytest.fixture
def database_left_for_later(settings):
    """The station database made, then left for the app to open after its
    first paint, as ``kiosk`` leaves a current one."""
    open_database(settings.database_path).close()
    database.initialize(None)
    open_later(settings.database_path)
    yield settings.database_path
    database.close()


async def test_the_flow_issues_a_ticket_on_a_database_opened_after_the_paint(
    settings, database_left_for_later, clock
):
    app = KioskApp(settings, clock=clock, now=lambda: FIXED_NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        await keypad_to_ticket(pilot)
    saved = sqlite3.connect(database_left_for_later)
    try:
        assert saved.execute("SELECT COUNT(*) FROM ticket").fetchone() == (1,)
    finally:
        saved.close()


def test_only_a_current_writable_database_is_left_for_later(tmp_path):
    path = tmp_path / "kiosk.db"
    assert not is_current(path, SCHEMA_VERSION)  # not there yet
    old = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    old.execute("PRAGMA user_version = 1")
    old.execute("PRAGMA journal_mode = wal")
    old.close()
    assert not is_current(path, SCHEMA_VERSION)  # to be migrated
    assert is_current(path, 1)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    assert not is_current(junk, SCHEMA_VERSION)
    assert not _current_for_someone_who_cannot_write(path, tmp_path)


def _current_for_someone_who_cannot_write(path: Path, scratch: Path) -> bool:
    """``is_current`` of ``path`` made read-only, asked by a user who cannot
    write it: this user, or (for root, who can write any file) the box's
    unprivileged user in a child process, on a copy it may read."""
    if os.geteuid() != 0:
        path.chmod(0o400)
        try:
            return is_current(path, 1)
        finally:
            path.chmod(0o600)
    shared = Path(tempfile.mkdtemp(prefix="kiosk-read-only-"))
    try:
        shared.chmod(0o755)
        copy = shared / "kiosk.db"
        shutil.copyfile(path, copy)  # closed, so whole, and still in wal mode
        copy.chmod(0o444)
        shutil.copyfile(ROOT / "db" / "files.py", shared / "files.py")
        (shared / "files.py").chmod(0o444)
        asked = subprocess.run(
            ["/usr/bin/python3", "-c", READ_ONLY_PROBE, str(copy)],
            cwd=shared,
            user=BOX_USER,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert asked.returncode == 0, asked.stderr
        return asked.stdout.strip() == "True"
    finally:
        shutil.rmtree(shared)


def test_a_resident_start_migrates_or_refuses_before_the_paint(tmp_path):
    path = tmp_path / "station" / "kiosk.db"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    old.execute("PRAGMA user_version = 1")
    old.close()
    config = _config(tmp_path, path)
    start = (
        "import sys; from kiosk.cli import open_settings; "
        "from kiosk.cli.errors import CommandError\n"
        "try:\n    open_settings(sys.argv[1], resident=True)\n"
        "except CommandError as error:\n    print(error)\n"
        "else:\n    import peewee; print('opened')"
    )
    done = _python("-c", start, str(config))
    assert done.stdout.strip() == "opened"  # migrated before anything is drawn
    version = sqlite3.connect(path)
    try:
        assert version.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        version.close()
    path.write_bytes(b"this is not a database" * 100)
    done = _python("-c", start, str(config))
    assert "数据库文件已损坏" in done.stdout  # said before the first paint
