"""The files people pass on: the month's report and plan as one printable
page (kiosk report month --page), read back as a picture (OCR with tesseract
chi_sim finds its Chinese, its bars are drawn); the workbook (--xlsx) opened
by LibreOffice with its Chinese intact."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib

import pytest
from PIL import Image

from kiosk import desk, plan
from kiosk.catalog import load_catalog
from kiosk.report_page import BARS
from tests.helpers import at, issue, run_kiosk_command

LATER = "2026-12-10T12:00:00+08:00"


@pytest.fixture
def page_month(settings, head):
    """Three sanitation tickets at 1号楼 in November, one dispatched,
    resolved and rated 满意; a plan item from them; October's plan item done."""
    numbers = [
        issue(settings, "sanitation", "rubbish", "", "1号楼",
              at=at(f"2026-11-{day}T08:00:00+08:00")).ticket_no
        for day in ("20", "21", "22")
    ]  # fmt: skip
    desk.dispatch(settings, head, numbers[0], "enforcement",
                  now=at("2026-11-20T09:00:00+08:00"))  # fmt: skip
    desk.resolve(settings, head, numbers[0], "清运完毕",
                 now=at("2026-11-20T12:00:00+08:00"))  # fmt: skip
    desk.call_back(settings, head, numbers[0], "satisfied",
                   now=at("2026-11-21T12:00:00+08:00"))  # fmt: skip
    catalog = load_catalog()
    plan.add_item("2026-11", "垃圾清运集中治理", "enforcement", catalog=catalog,
                  zone=settings.zone, actor="staff:wang", tickets=numbers,
                  now=at("2026-11-23T09:00:00+08:00"))  # fmt: skip
    done = plan.add_item("2026-10", "楼门样板间改造", "property", catalog=catalog,
                         zone=settings.zone, actor="staff:wang",
                         now=at("2026-10-23T09:00:00+08:00"))  # fmt: skip
    plan.update(done, now=at("2026-10-30T09:00:00+08:00"), status="done",
                result="六个楼门完成改造")  # fmt: skip
    return numbers


def read_text(path) -> str:
    """The page's text as tesseract reads it, spaces left out."""
    done = subprocess.run(
        ["tesseract", str(path), "stdout", "-l", "chi_sim"],
        capture_output=True,
        text=True,
        check=True,
    )
    return "".join(done.stdout.split())


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract")
def test_the_month_as_a_page_to_print(kiosk_config, page_month, capsys, tmp_path):
    target = tmp_path / "月报.png"
    code, out, err = run_kiosk_command(capsys, "report", "month", "2026-11",
                         "--page", str(target), "--as-of", LATER)  # fmt: skip
    assert (code, err) == (0, "") and str(target) in out
    image = Image.open(target)
    assert image.size == (1240, 1754)  # A4 at 150 dpi
    text = read_text(target)
    for words in (
        "2026-11接诉即办月报",
        "响应率",
        "33.3%",  # one of three answered in time
        "满意率100.0%",
        "按类别",
        "环境卫生",
        "综合行政执法队",
        "热点(未诉先办)",
        "月度重点治理计划",
        "垃圾清运集中治理",
        "2026-10计划完成情况",
        "楼门样板间改造",
        "六个楼门完成改造",
    ):
        assert words in text, words
    # The charts: bars in the category colour and in each unit colour.
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16)}
    assert set(BARS) <= colours


def test_the_page_as_a_pdf_and_where_it_cannot_be_written(
    kiosk_config, page_month, capsys, tmp_path
):
    target = tmp_path / "月报.pdf"
    code, _, err = run_kiosk_command(capsys, "report", "month", "2026-11",
                         "--page", str(target), "--as-of", LATER)  # fmt: skip
    assert (code, err) == (0, "")
    content = target.read_bytes()
    assert content.startswith(b"%PDF") and b"/Count 1" in content
    code, _, err = run_kiosk_command(capsys, "report", "month", "2026-11", "--page",
                       str(tmp_path / "no" / "such" / "x.png"))  # fmt: skip
    assert code == 1 and "cannot write" in err and "Traceback" not in err


def pdf_text_codes(pdf: bytes) -> str:
    """The Unicode code points a PDF's fonts map their glyphs to (its
    ToUnicode tables), upper-case hex: what its text is made of."""
    tables = []
    for found in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            stream = zlib.decompress(found.group(1))
        except zlib.error:
            continue
        if b"beginbfchar" in stream or b"beginbfrange" in stream:
            tables.append(stream.decode("latin-1").upper())
    return "".join(tables)


@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")
def test_the_workbook_opens_in_libreoffice_with_its_chinese(
    kiosk_config, page_month, capsys, tmp_path
):
    """A headless LibreOffice turns the month's workbook into a PDF whose
    text holds the Chinese of every sheet, in a font that has it."""
    workbook = tmp_path / "报表.xlsx"
    code, _, err = run_kiosk_command(capsys, "report", "month", "2026-11",
                         "--xlsx", str(workbook), "--as-of", LATER)  # fmt: skip
    assert (code, err) == (0, "")
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(workbook),
        ],
        capture_output=True,
        check=True,
        timeout=300,
    )
    pdf = (tmp_path / "报表.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"WenQuanYi" in pdf or b"NotoSansCJK" in pdf or b"NotoSerifCJK" in pdf
    codes = pdf_text_codes(pdf)
    for words in ("报表", "响应率", "满意率", "环境卫生", "综合行政执法队",
                  "垃圾清运集中治理", "楼门样板间改造"):  # fmt: skip
        for character in words:
            assert f"{ord(character):04X}" in codes, (words, character)
