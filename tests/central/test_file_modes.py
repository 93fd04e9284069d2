"""The central's SQLite files hold contact details: owner-only, never 0644."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.central.conftest import run_cli, start_server


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_central_database_and_its_wal_are_owner_only(tmp_path: Path) -> None:
    db_path = tmp_path / "data" / "central.db"
    previous = os.umask(0o022)  # the usual umask, which gave 0644
    try:
        run_cli(str(db_path), "station", "add", "PHY3", "--name", "蒲黄榆第三社区")
        assert _mode(db_path) == 0o600
        assert _mode(db_path.parent) == 0o700
        server = start_server(str(db_path), tmp_path)
        try:
            files = sorted(tmp_path.glob("data/central.db*"))
            assert [path.name for path in files] == [
                "central.db",
                "central.db-shm",
                "central.db-wal",
            ]
            assert {path.name: _mode(path) for path in files} == {
                path.name: 0o600 for path in files
            }
        finally:
            server.stop()
    finally:
        os.umask(previous)


def test_an_existing_world_readable_database_is_made_owner_only(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "central.db"
    run_cli(str(db_path), "station", "list")
    db_path.chmod(0o644)
    run_cli(str(db_path), "station", "list")
    assert _mode(db_path) == 0o600
