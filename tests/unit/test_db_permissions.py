"""The station database holds mobile numbers, tokens and PIN hashes: its
file, its -wal and -shm files and its folder are owner-only, whatever the
process's umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import Ticket, database, open_database


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_folder_are_owner_only(tmp_path, open_umask):
    path = tmp_path / "state" / "station" / "kiosk.db"
    open_database(path)
    try:
        Ticket.select().count()  # the -wal and -shm files exist once read
        for suffix in ("", "-wal", "-shm"):
            file = Path(f"{path}{suffix}")
            assert file.exists() and mode(file) == 0o600, suffix
        assert mode(path.parent) == 0o700
    finally:
        database.close()


def test_an_existing_readable_database_is_made_owner_only(tmp_path, open_umask):
    path = tmp_path / "kiosk.db"
    open_database(path)
    database.close()
    for suffix in ("", "-wal", "-shm"):
        file = Path(f"{path}{suffix}")
        if file.exists():
            file.chmod(0o644)
    open_database(path)
    try:
        Ticket.select().count()
        for suffix in ("", "-wal", "-shm"):
            assert mode(Path(f"{path}{suffix}")) == 0o600, suffix
    finally:
        database.close()


def test_the_cli_makes_the_data_folder_and_its_log_owner_only(tmp_path):
    import subprocess
    import sys

    folder = tmp_path / "data"
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[database]\npath = "{folder / "kiosk.db"}"\n')
    subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), "stats"],
        check=True,
        capture_output=True,
        env={**os.environ, "KIOSK_CONFIG": ""},
    )
    assert mode(folder) == 0o700
    assert mode(folder / "kiosk.log") == 0o600
