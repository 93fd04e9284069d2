"""The resident process carries only what the screen needs, and lets go of
what closed screens used."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import resident_start
from kiosk.config import render_config
from kiosk.lean import UNUSED_DRIVERS, skip_unused_database_drivers
from screens.resident.welcome import WelcomeScreen
from tests.helpers import keypad_to_ticket, wait_screen

ROOT = Path(__file__).resolve().parents[2]

# Started in a fresh interpreter exactly as the ``kiosk`` command starts,
# up to the welcome screen painted and start-up's memory settled.
PROBE = """
import asyncio, gc, json, sys
from kiosk.lean import prepare_process
prepare_process()
collector_at_start = gc.isenabled()
from kiosk.cli import start_resident
from screens.resident.welcome import WelcomeScreen
app = start_resident(sys.argv[1])

async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        while not (isinstance(app.screen, WelcomeScreen) and gc.isenabled()):
            await pilot.pause()
        heavy = ("psycopg2", "PIL", "requests", "qrcode", "kiosk.accounts",
                 "kiosk.desk", "kiosk.sync.client", "kiosk.sync.engine",
                 "kiosk.sync.apply", "kiosk.printing.ticket_image",
                 "kiosk.printing.printer", "kiosk.printing.backends",
                 "kiosk.search", "multiprocessing", "kiosk.writing.dictionary",
                 "screens.widgets.writing_pad", "kiosk.tickets", "kiosk.reports",
                 "kiosk.report_facts", "kiosk.clock", "kiosk.disk", "argparse")
        loaded = [name for name in heavy if sys.modules.get(name) is not None]
        print(json.dumps({"collector_at_start": collector_at_start,
                          "collector_after_paint": gc.isenabled(),
                          "loaded": loaded}))

asyncio.run(main())
"""


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    text = render_config(path, "PHY3", "", "", "")
    text = text.replace('path = "kiosk.db"', f'path = "{tmp_path / "kiosk.db"}"')
    path.write_text(text, encoding="utf-8")
    return path


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("KIOSK_CONFIG", None)
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=environment,
        check=False,
    )


def test_the_resident_process_starts_without_the_tools_heavy_modules(tmp_path):
    done = _python("-c", PROBE, str(_config(tmp_path)))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # Printing (Pillow), sync (requests), the staff desk and PostgreSQL's
    # driver stay out, and so does issuing (its clock, disk check and report
    # facts), which loads as a request starts; the collector is off during
    # start-up and back on once the welcome screen is up.
    assert report == {
        "collector_at_start": False,
        "collector_after_paint": True,
        "loaded": [],
    }


def test_tool_commands_run_with_the_collector_on(tmp_path):
    config = _config(tmp_path)
    script = (
        "import gc, sys; from kiosk.cli import main; "
        "code = main(['--config', sys.argv[1], 'stats', '--json']); "
        "print(gc.isenabled(), code)"
    )
    done = _python("-c", script, str(config))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert json.loads(lines[0])["tickets"] == 0
    assert lines[-1] == "True 0"


@pytest.mark.parametrize(
    ("arguments", "config"),
    [
        ([], None),
        (["run"], None),
        (["--config", "a.toml"], "a.toml"),
        (["--config", "a.toml", "run"], "a.toml"),
        (["run", "--config", "a.toml"], "a.toml"),
        (["--config=a.toml", "run"], "a.toml"),
        (["--config", "a.toml", "--config", "b.toml"], "b.toml"),
    ],
)
def test_a_plain_start_is_recognised_without_the_full_parser(arguments, config):
    resident = resident_start(arguments)
    assert resident is not None and resident.config == config


@pytest.mark.parametrize(
    "arguments",
    [
        ["stats"],
        ["--help"],
        ["--version"],
        ["users", "list"],
        ["--config"],
        ["run", "extra"],
        ["run", "run"],
        ["--config", "--version"],
        ["sync", "--once"],
    ],
)
def test_anything_else_goes_to_the_full_parser(arguments):
    assert resident_start(arguments) is None


def test_skipping_drivers_leaves_an_imported_peewee_alone():
    import peewee  # noqa: F401

    before = {name: sys.modules.get(name, "absent") for name in UNUSED_DRIVERS}
    skip_unused_database_drivers()
    after = {name: sys.modules.get(name, "absent") for name in UNUSED_DRIVERS}
    assert after == before


async def test_closed_screens_leave_no_rendered_lines_behind(make_app, clock):
    """Each widget has one StylesCache holding every line it rendered; once
    its screen is closed, both must go. (Textual 8.2.8 kept up to 1,024 of
    them alive through an lru_cache; see screens.resident.app.release_render_caches.)"""
    from textual._styles_cache import StylesCache
    from textual.widget import Widget

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        for _ in range(3):
            await keypad_to_ticket(pilot)
            clock.advance(3)
            await pilot.press("enter")
            await wait_screen(pilot, WelcomeScreen)
            await pilot.pause()
        gc.collect()
        live = gc.get_objects()
        caches = sum(1 for item in live if isinstance(item, StylesCache))
        widgets = sum(1 for item in live if isinstance(item, Widget))
        assert caches <= widgets, f"{caches} render caches for {widgets} widgets"


def _flow_styles_read(app: object) -> bool:
    sources = app.stylesheet.source  # type: ignore[attr-defined]
    return any(str(path).endswith("flow.tcss") for path, _ in sources)


async def test_the_flow_screens_styles_are_read_as_the_first_of_them_opens(
    make_app,
):
    """The welcome screen's first paint parses only resident.tcss; the other
    screens' rules (flow.tcss) come with the first of them, and apply."""
    from screens.resident.track import TrackScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_screen(pilot, WelcomeScreen)
        assert not _flow_styles_read(app)
        await pilot.press("2")
        await wait_screen(pilot, TrackScreen)
        assert _flow_styles_read(app)
        how = app.screen.query_one("#track-how")
        assert how.styles.border_top[0] == "round"
