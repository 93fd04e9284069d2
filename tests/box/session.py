"""The box's headless session for the tests: deploy/box/screenshot's
BoxSession, run as an unprivileged user with this checkout's kiosk.

sway refuses to run as root, so a test run as root (CI) runs the session as
BOX_USER, created by .ci/run. The kiosk in the session is this checkout's,
run by an interpreter that user can execute, with this environment's
packages on its path.
"""

from __future__ import annotations

import csv
import importlib.machinery
import importlib.util
import io
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "deploy" / "box" / "screenshot"
BOX_USER = "kiosk-test"


def load_screenshot_module(box: Path = SCREENSHOT.parent) -> ModuleType:
    """deploy/box/screenshot (a script without .py) as a module."""
    script = box / "screenshot"
    loader = importlib.machinery.SourceFileLoader("box_screenshot", str(script))
    spec = importlib.util.spec_from_loader("box_screenshot", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def session_user() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(BOX_USER)
    except KeyError as error:
        raise AssertionError(
            f"no user {BOX_USER}: .ci/run creates it (useradd --system {BOX_USER})"
        ) from error


def _as_user(account: pwd.struct_passwd, argv: list[str], env: dict[str, str]) -> int:
    prefix: list[str] = []
    if os.geteuid() == 0:
        prefix = [
            "setpriv",
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--init-groups",
        ]
    environment = [f"{key}={value}" for key, value in env.items()]
    return subprocess.run(
        [*prefix, "env", "-i", *environment, *argv],
        capture_output=True,
        timeout=60,
        check=False,
    ).returncode


def kiosk_environment(account: pwd.struct_passwd, data_dir: Path) -> dict[str, str]:
    """What the session needs to run this checkout's kiosk as ``account``.

    Where that user cannot read this checkout or its packages (a checkout
    under /root), they are copied into ``data_dir`` first."""
    paths = [REPO, Path(sysconfig.get_paths()["purelib"])]
    paths.append(Path(sysconfig.get_paths()["platlib"]))
    for attempt in ("in place", "copied"):
        python_path = os.pathsep.join(dict.fromkeys(str(path) for path in paths))
        env = {
            "PYTHONPATH": python_path,
            "HOME": str(data_dir),
            "PATH": "/usr/bin:/bin",
        }
        for interpreter in (os.path.realpath(sys.executable), "/usr/bin/python3"):
            if _as_user(account, [interpreter, *PROBE], env) == 0:
                return {
                    "KIOSK_COMMAND": f"{interpreter} -m kiosk",
                    "PYTHONPATH": python_path,
                    "XDG_DATA_HOME": str(data_dir),
                }
        if attempt == "in place":
            paths = _copy_for(account, paths, data_dir / "code")
    raise AssertionError(
        f"{account.pw_name} cannot run this checkout's kiosk from {REPO}"
    )


PROBE = ["-c", "import screens.resident.app, kiosk.cli"]


def _copy_for(
    account: pwd.struct_passwd, paths: list[Path], target: Path
) -> list[Path]:
    """The kiosk's packages and this environment's, where ``account`` reads them."""
    copies = []
    for index, path in enumerate(dict.fromkeys(paths)):
        copy = target / str(index)
        if path == REPO:
            for package in ("kiosk", "screens", "db", "assets"):
                shutil.copytree(path / package, copy / package)
        else:
            shutil.copytree(path, copy)
        copies.append(copy)
    if os.geteuid() == 0:
        subprocess.run(
            ["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(target)],
            check=True,
        )
    return copies


@contextmanager
def user_folder(account: pwd.struct_passwd) -> Iterator[Path]:
    """A private temporary folder owned by the session's user."""
    folder = Path(tempfile.mkdtemp(prefix="kiosk-box-test-"))
    os.chmod(folder, 0o700)
    if os.geteuid() == 0:
        os.chown(folder, account.pw_uid, account.pw_gid)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_file(data_dir: Path) -> Path:
    return data_dir / "station-kiosk" / "kiosk.db"


def ocr_chinese(png: Path) -> str:
    """What tesseract (chi_sim) reads in a picture, without whitespace."""
    done = subprocess.run(
        ["tesseract", str(png), "-", "-l", "chi_sim"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return "".join(done.stdout.split())


def box_files(account: pwd.struct_passwd, folder: Path) -> Path:
    """deploy/box where ``account`` can run it: in place, or copied into
    ``folder`` (a checkout under /root)."""
    box = SCREENSHOT.parent
    env = {"PATH": "/usr/bin:/bin"}
    if _as_user(account, ["test", "-x", str(box / "session")], env) == 0:
        return box
    copy = folder / "box"
    shutil.copytree(box, copy)
    if os.geteuid() == 0:
        subprocess.run(
            ["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", str(copy)],
            check=True,
        )
    return copy


def session_for(account: pwd.struct_passwd, env: dict[str, str], box: Path) -> Any:
    """A BoxSession of deploy/box/screenshot (not yet started)."""
    module = load_screenshot_module(box)
    return module.BoxSession(account.pw_name, extra_env=env)


def settled(session: Any) -> bytes:
    """A screenshot once the screen has stopped changing (foot redrawn at
    the new scale, the kiosk laid out again for its new size)."""
    last: list[bytes] = [session.frame().pixels]

    def same_twice(frame: Any) -> bool:
        still = frame.pixels == last[0]
        last[0] = frame.pixels
        return still

    session.wait_for_frame(same_twice, 30, "a still screen")
    return bytes(session.png())


def chinese_words(png: bytes) -> dict[str, int]:
    """The Chinese words tesseract (chi_sim) reads with confidence, each
    with its height in pixels (the tallest, where a word is read twice)."""
    with tempfile.NamedTemporaryFile(suffix=".png") as picture:
        picture.write(png)
        picture.flush()
        done = subprocess.run(
            ["tesseract", picture.name, "-", "-l", "chi_sim", "tsv"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    rows = csv.DictReader(io.StringIO(done.stdout), delimiter="\t", quoting=3)
    words: dict[str, int] = {}
    for row in rows:
        text = row.get("text") or ""
        if (
            any("\u4e00" <= char <= "\u9fff" for char in text)
            and float(row.get("conf") or 0) > 60
        ):
            words[text] = max(words.get(text, 0), int(row["height"]))
    return words


def height_ratio(before: bytes, after: bytes) -> float:
    """How much taller the same Chinese words are in ``after`` than in
    ``before``: the median over the words read in both. Comparing a word
    with itself, never the medians of two different sets of words (large
    text draws the tiles' numbers in block letters, which OCR may read as
    tall Chinese "words" that are in one picture only)."""
    first, second = chinese_words(before), chinese_words(after)
    shared = sorted(set(first) & set(second))
    assert len(shared) >= 3, f"too few words read in both pictures: {shared}"
    return statistics.median(second[word] / first[word] for word in shared)
