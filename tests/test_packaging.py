"""Layering rules and the wheel's contents."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_and_data_layers_never_import_textual():
    offenders = []
    for package in ("kiosk", "db"):
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "kiosk" / "app.py":
                continue
            if any(
                m == "textual" or m.startswith("textual.")
                for m in imported_modules(path)
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_wheel_carries_the_assets(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("station_kiosk-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "assets/catalog.toml",
        "screens/resident/resident.tcss",
        "assets/i18n/zh-CN.toml",
        "assets/i18n/en.toml",
        "screens/resident/app.py",
        "screens/resident/welcome.py",
        "screens/widgets/qrcode.py",
        "db/migrations.py",
    ):
        assert needed in names
    assert not any(name.startswith(("bench/", "tests/")) for name in names)
