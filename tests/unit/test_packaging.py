"""The wheel's contents."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
        "assets/pinyin/zh.txt",
        "assets/pinyin/en.txt",
        "screens/resident/app.py",
        "screens/resident/welcome.py",
        "screens/widgets/qrcode.py",
        "db/migrations.py",
    ):
        assert needed in names
    assert not any(name.startswith(("bench/", "tests/", "scripts/")) for name in names)
