"""``kiosk doctor`` on a box checks its session: the terminal's font draws
every character the kiosk shows, the screen gives the kiosk room for the QR,
keyboards and a sound card are there. Real fontconfig and real fonts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.screen_scale import apply_large_text, large_text_scale
from kiosk.session_check import (
    Screen,
    check_font,
    grid_for,
    keyboards,
    resolve_font,
    sound_cards,
)

REPO = Path(__file__).resolve().parents[2]
BOX = REPO / "deploy" / "box"
WQY = "WenQuanYi Micro Hei Mono:pixelsize=30"


def doctor(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[printer]\ntarget = "none"\n[database]\npath = "{tmp_path / "kiosk.db"}"\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), "doctor", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "Traceback" not in done.stderr
    return done.stdout


def line(output: str, what: str) -> str:
    return next(row for row in output.splitlines() if f" {what}: " in row)


def foot_ini(folder: Path, font: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "foot.ini").write_text(f"[main]\nfont={font}\n", encoding="utf-8")
    return folder


def test_the_box_font_draws_every_character_the_kiosk_shows(tmp_path):
    output = doctor(tmp_path, "--box", str(BOX))
    font = line(output, "screen font")
    assert font.startswith("ok   screen font: WenQuanYi Micro Hei Mono 30 px")
    assert "characters the kiosk shows" in font


def test_a_font_that_is_not_installed_is_named(tmp_path, settings):
    box = foot_ini(tmp_path / "box", "Station Sans Mono:pixelsize=30")
    check = check_font(settings, box / "foot.ini")
    assert check.level == "FAIL"
    assert "'Station Sans Mono' is not installed" in check.detail
    assert "fonts-wqy-microhei" in check.detail


def test_a_box_with_no_chinese_font_fails_and_says_which_characters(tmp_path, settings):
    """Only DejaVu on the box (fontconfig told to see nothing else): the
    kiosk's Chinese would be boxes, and the doctor says so."""
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        pytest.skip("needs fonts-dejavu-core")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><dir>{dejavu}</dir>"
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    box = foot_ini(tmp_path / "box", "DejaVu Sans Mono:pixelsize=30")
    env = os.environ | {"FONTCONFIG_FILE": str(conf)}
    output = doctor(tmp_path, "--box", str(box), env=env)
    font = line(output, "screen font")
    assert font.startswith("FAIL screen font: DejaVu Sans Mono")
    assert "have no glyph for" in font and "一丁七万" in font


def test_the_cell_size_gives_the_grid_the_readme_promises():
    font = resolve_font(WQY)
    assert font is not None and font.installed
    cell = font.cell_size()
    # As measured on foot's screen (tests/box): the header row is 37 px.
    assert cell == (18, 37)
    assert grid_for(Screen("HDMI-A-1", 1920, 1080), cell) == (106, 29)
    # 1280x720 at 30 px: under 80x24, the QR would not fit.
    assert grid_for(Screen("HDMI-A-1", 1280, 720), cell) == (71, 19)
    # At the scale large text sets: 88x24, still room for the QR.
    assert grid_for(Screen("HDMI-A-1", 1920, 1080, 1.2), cell) == (88, 24)


def test_outside_a_box_the_session_is_not_checked(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_BOX_CONFIG"}
    if Path("/etc/station-kiosk/foot.ini").exists():
        pytest.skip("this machine is a box")
    output = doctor(tmp_path, env=env)
    assert line(output, "session").startswith("ok   session: not a station box")
    assert " screen font: " not in output


PROC_INPUT = """\
I: Bus=0019 Vendor=0000 Product=0001 Version=0000
N: Name="Power Button"
P: Phys=LNXPWRBN/button/input0
H: Handlers=kbd event0
B: PROP=0
B: EV=3
B: KEY=10000000000000 0

I: Bus=0003 Vendor=04d9 Product=1203 Version=0111
N: Name="USB Keypad"
P: Phys=usb-0000:00:14.0-2/input0
H: Handlers=sysrq kbd event3 leds
B: PROP=0
B: EV=120013
B: KEY=1000000000007 ff800000000007ff febeffdff3cfffff fffffffffffffffe
B: MSC=10
B: LED=1f

I: Bus=0003 Vendor=0c2e Product=0b61 Version=0111
N: Name="Honeywell Imaging & Mobility 1900"
P: Phys=usb-0000:00:14.0-3/input0
H: Handlers=sysrq kbd event4 leds
B: PROP=0
B: EV=120013
B: KEY=1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe

I: Bus=0003 Vendor=046d Product=c077 Version=0111
N: Name="Logitech USB Optical Mouse"
H: Handlers=mouse0 event5
B: EV=17
"""

ASOUND = """\
 0 [PCH            ]: HDA-Intel - HDA Intel PCH
                      HDA Intel PCH at 0xf7f10000 irq 32
"""


def test_keyboards_are_found_and_buttons_and_mice_are_not(tmp_path):
    devices = tmp_path / "devices"
    devices.write_text(PROC_INPUT, encoding="utf-8")
    assert keyboards(devices) == ["USB Keypad", "Honeywell Imaging & Mobility 1900"]
    assert keyboards(tmp_path / "absent") == []


def test_sound_cards_are_read_from_alsa(tmp_path):
    cards = tmp_path / "cards"
    cards.write_text(ASOUND, encoding="utf-8")
    assert sound_cards(cards) == ["HDA-Intel - HDA Intel PCH"]
    cards.write_text("--- no soundcards ---\n", encoding="utf-8")
    assert sound_cards(cards) == []


@pytest.mark.skipif(shutil.which("fc-match") is None, reason="needs fontconfig")
def test_on_this_machine_the_box_checks_name_what_is_missing(tmp_path):
    output = doctor(tmp_path, "--box", str(BOX))
    for what in ("screen", "keypad and scanner", "sound"):
        assert line(output, what)


def test_large_text_takes_the_largest_scale_that_keeps_the_qr():
    assert large_text_scale(106, 29) == pytest.approx(1.2)  # 1920x1080, 30 px
    assert large_text_scale(106, 30) == pytest.approx(1.25)
    assert large_text_scale(80, 24) == 1.0  # no room to grow
    assert large_text_scale(70, 20) == 1.0
    assert large_text_scale(240, 80) == 2.0  # at most twice


def test_outside_the_box_session_large_text_leaves_the_screen_alone(monkeypatch):
    monkeypatch.delenv("KIOSK_BOX_SESSION", raising=False)
    assert apply_large_text(True, 106, 29) is None


def test_without_a_central_the_clock_has_nothing_to_be_compared_with(tmp_path):
    clock = line(doctor(tmp_path), "clock")
    assert clock.startswith("ok   clock: ") and "no central to compare it with" in clock
