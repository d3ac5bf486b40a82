"""Same inputs, same bytes: whichever font subsetter the machine has, whenever it runs."""

import hashlib
import io
import subprocess
import sys
import time

import pikepdf
import pytest
from conftest import ESSAY, EXAMPLE_CLINIC, ROOT, make_pdfs
from fontTools.misc.timeTools import epoch_diff
from fontTools.ttLib import TTFont


def shipped_font_dates():
    """head.modified of the fonts in templates/fonts/: a font embedded whole keeps it."""
    return {
        TTFont(path)["head"].modified + epoch_diff
        for path in (ROOT / "templates" / "fonts").glob("*.ttf")
    }


def embedded_font_dates(data):
    """head.modified of every embedded font, as Unix time."""
    pdf = pikepdf.open(io.BytesIO(data))
    dates = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
            stream = obj.get("/FontFile2") or obj.get("/FontFile3")
            if stream is not None:
                font = TTFont(io.BytesIO(stream.read_bytes()))
                dates.append(font["head"].modified + epoch_diff)
    return dates


@pytest.fixture
def fonttools_path(monkeypatch):
    """Subset fonts as a machine without libharfbuzz-subset does: with fontTools."""
    from booklet.startup import import_weasyprint

    import_weasyprint()
    from weasyprint.pdf import fonts

    monkeypatch.setattr(fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def build_at(tmp_path, monkeypatch, clock):
    """The reading copy and print sheets, built with the clock showing `clock`."""
    monkeypatch.setattr(time, "time", lambda: clock)
    pdfs, _ = make_pdfs(tmp_path, config=EXAMPLE_CLINIC, log_pages=1, impose=True)
    return pdfs


@pytest.mark.slow
def test_no_clock_reaches_the_fonts_on_the_fonttools_path(tmp_path, monkeypatch, fonttools_path):
    early = build_at(tmp_path, monkeypatch, 1_800_000_000.0)
    late = build_at(tmp_path, monkeypatch, 1_900_000_000.0)
    assert early == late  # reading copy and print sheets
    dates = embedded_font_dates(early["reading copy"])
    assert dates.count(0) >= 2  # regular and bold subsets at least: fixed at 1970
    assert set(dates) <= {0} | shipped_font_dates(), dates  # no clock reading anywhere


@pytest.mark.slow
def test_a_source_date_epoch_the_user_sets_is_honoured(tmp_path, monkeypatch, fonttools_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for clock in (1_900_000_000.0, 1_950_000_000.0):
        pdfs = build_at(tmp_path, monkeypatch, clock)
        dates = embedded_font_dates(pdfs["reading copy"])
        assert dates.count(1_700_000_000) >= 2
        assert set(dates) <= {1_700_000_000} | shipped_font_dates(), dates


def test_the_environment_is_left_as_it_was(tmp_path, fonttools_path):
    import os

    make_pdfs(tmp_path)
    assert "SOURCE_DATE_EPOCH" not in os.environ


@pytest.mark.slow
def test_same_inputs_give_identical_bytes_a_second_apart(tmp_path):
    """Two separate processes over a second apart, same inputs: byte-identical PDFs."""
    hashes = []
    for run in range(2):
        if run:
            time.sleep(1.1)
        out = tmp_path / f"run{run}" / "b.pdf"
        subprocess.run(
            [sys.executable, "build.py", ESSAY, "-o", out, "--config", EXAMPLE_CLINIC, "--impose"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        hashes.append(
            tuple(
                hashlib.sha256(p.read_bytes()).hexdigest()
                for p in (out, out.with_name("b-print.pdf"))
            )
        )
    assert hashes[0] == hashes[1]
