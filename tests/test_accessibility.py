"""PDF/UA-1 as two independent checkers see it, and large print by the clear-print rules.

Each edition is built once; `page-validation` (PDF/UA-1 profile) and `outloud` run on it
in-process. No failure from the first, no error from the second.
"""

import re
import shutil

import outloud
import page
import pytest
from conftest import EXAMPLE_CLINIC, ROOT, page_texts, run_cli

pytestmark = pytest.mark.slow  # builds many booklets: run by `make test-slow` (and CI)

ESSAY = ROOT / "content" / "essay.md"
EDITIONS = {
    "reading": [ESSAY, "--no-episode-log"],
    "with log": [ESSAY, "--episode-log"],
    "large print": [ESSAY, "--episode-log", "--large-print"],
    "letter": [ESSAY, "--episode-log", "--paper", "letter"],
    "spanish": [ROOT / "tests" / "languages" / "es.md", "--episode-log"],
    "research note": ["research-note.md", "--no-episode-log"],
    "tables, images, code": ["leaflet.md", "--no-episode-log"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{edition: PDF path}, each built once through the command."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("accessible")
    for name in ("research-note.md", "leaflet.md"):
        shutil.copy(ROOT / "tests" / "handouts" / name, folder / name)
    Image.new("RGB", (120, 1400), (30, 90, 160)).save(folder / "tall.png")
    Image.new("RGB", (2400, 260), (160, 60, 30)).save(folder / "wide.png")
    paths = {}
    for edition, (source, *options) in EDITIONS.items():
        source = source if isinstance(source, type(ROOT)) else folder / source
        out = folder / f"{edition.replace(' ', '-').replace(',', '')}.pdf"
        result = run_cli(source, "--config", EXAMPLE_CLINIC, *options, "-o", out, "-q")
        assert result.exit_code == 0, result.output
        paths[edition] = out
    return paths


@pytest.mark.parametrize("edition", EDITIONS)
def test_page_validation_pdf_ua_1(built, edition):
    report = page.validate_pdf(str(built[edition]), profile=page.ValidationProfile.PDF_UA_1)
    assert [(f.rule_id, f.message) for f in report.failures] == []


@pytest.mark.parametrize("edition", EDITIONS)
def test_outloud_finds_no_error(built, edition):
    result = outloud.check(str(built[edition]))
    assert result.error is None
    errors = [(f.rule, f.message) for f in result.findings if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("edition", ["reading", "with log", "spanish"])
def test_no_warnings_either(built, edition):
    """The booklet's own parts leave outloud nothing to warn about (README lists the rest)."""
    result = outloud.check(str(built[edition]))
    assert [(f.rule, f.message) for f in result.findings if f.severity == "warning"] == []


def test_large_print_has_no_hyphen_the_essay_does_not(built):
    # PDFium reports a hyphen the layout added at a line's end as U+FFFE: the A5 copy
    # hyphenates long words, so it has some; large print (clear print) has none.
    assert any("\ufffe" in text for text in page_texts(built["reading"].read_bytes()))
    assert not any("\ufffe" in text for text in page_texts(built["large print"].read_bytes()))
    essay = ESSAY.read_text()
    broken = []
    for text in page_texts(built["large print"].read_bytes()):
        lines = text.replace("\r", "").splitlines()
        for line, after in zip(lines, lines[1:], strict=False):
            if not re.search(r"\w[-\u00ad\u2010]$", line.rstrip()) or not after.strip():
                continue
            word = re.findall(r"\w+[-\u00ad\u2010]$", line.rstrip())[-1][:-1]
            joined = word + "-" + after.split()[0]
            if joined.rstrip(".,;:!?") not in essay:
                broken.append(line)
    assert broken == []


def test_one_h1_and_no_level_skipped(built, pdf_file):
    for edition in ("with log", "research note"):
        pdf = pdf_file(built[edition].read_bytes())
        levels = [
            int(str(el.S)[2:]) for el in _elements(pdf) if re.fullmatch(r"/H[1-6]", str(el.S))
        ]
        assert levels.count(1) == 1 and levels[0] == 1
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels


def test_reading_order_and_labelled_fields(built, pdf_file):
    """Cover, contents, essay, log (cards in order), back cover; every field has its name."""
    pdf = pdf_file(built["with log"].read_bytes())
    parts = [str(el.S) for el in pdf.Root.StructTreeRoot.K[0].K]
    assert parts[:2] == ["/Sect", "/NonStruct"] and "/Part" in parts and parts[-1] == "/Sect"
    names = [str(field.T) for field in pdf.Root.AcroForm.Fields]
    numbers = [int(re.match(r"\D+(\d+)_", name)[1]) for name in names]
    assert numbers == sorted(numbers)
    for field in pdf.Root.AcroForm.Fields:
        assert str(field.TU).startswith("Episode ")
        assert int(field.F) & 4 and str(field.Contents) == str(field.TU)
    for pdf_page in pdf.pages:
        for annotation in pdf_page.get("/Annots", []):
            assert int(annotation.F) & 4 and str(annotation.Contents).strip()


def test_image_without_alt_text_is_reported_with_its_line(tmp_path):
    from PIL import Image

    Image.new("RGB", (60, 40)).save(tmp_path / "dot.png")
    essay = tmp_path / "essay.md"
    essay.write_text("---\ntitle: Alt\n---\n\nSome text.\n\n![](dot.png)\n\nMore.\n")
    result = run_cli(essay, "-o", tmp_path / "out.pdf", "-q")
    assert result.exit_code == 0
    assert f"Warning: {essay}:7: image dot.png has no alternative text" in result.stderr
    strict = run_cli(essay, "-o", tmp_path / "strict.pdf", "--strict")
    assert strict.exit_code == 1
    assert f"Error: {essay}:7: image dot.png has no alternative text" in strict.stderr


def _elements(pdf):
    """Structure elements in reading order."""
    import pikepdf

    stack = list(reversed(list(pdf.Root.StructTreeRoot.K)))
    while stack:
        element = stack.pop()
        if not isinstance(element, pikepdf.Dictionary) or "/S" not in element:
            continue
        yield element
        kids = element.get("/K", pikepdf.Array())
        kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
        stack += reversed(kids)
