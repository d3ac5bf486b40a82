"""Shared helpers: build booklets in-process and read them back with real PDF libraries."""

import re
import sys
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import build as cli  # noqa: E402
from booklet.pipeline import Request, build_pdfs, outputs_for_flags  # noqa: E402
from booklet.settings import load_clinic  # noqa: E402

ESSAY = ROOT / "content" / "essay.md"
EXAMPLE_CLINIC = ROOT / "content" / "clinic.example.toml"
MM = 72 / 25.4


def run_cli(*args):
    """Run `python build.py ARGS` in-process; stdout and stderr apart."""
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def make_pdfs(
    tmp_path, source=ESSAY, config=None, paper="a4", large_print=False, impose=False, **options
):
    """Build in-process; return ({kind: bytes}, warnings)."""
    request = Request(
        source=Path(source),
        clinic=load_clinic(config),
        outputs=outputs_for_flags(tmp_path / "out.pdf", paper, large_print, impose),
        **options,
    )
    laid = build_pdfs(request)
    return {kind: laid.files[path] for path, _, kind in laid.described}, laid.warnings


def build_clean(tmp_path, **options):
    """Build and insist WeasyPrint and the fetcher had nothing to warn about."""
    pdfs, warnings = make_pdfs(tmp_path, **options)
    assert warnings == []
    return pdfs


def page_texts(data):
    """Text of every page as a reader extracts it."""
    document = pdfium.PdfDocument(data)
    texts = [page.get_textpage().get_text_range() for page in document]
    document.close()
    return texts


def page_sizes(data):
    """(width, height) of every page in points."""
    document = pdfium.PdfDocument(data)
    sizes = [tuple(round(v, 1) for v in page.get_size()) for page in document]
    document.close()
    return sizes


def flatten(text):
    """Text with line-break hyphens, typographic quotes and spacing normalised."""
    text = text.replace("\r", "")
    text = re.sub(r"[\u2010\u00ad-]\n", "", text)  # a hyphen the line break made
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\ufffe", "")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text).strip()


def body_text(texts):
    """The pages' text joined without the margin boxes (running head, page number)."""
    bodies = []
    for text in texts:
        lines = text.replace("\r", "").rstrip().splitlines()
        if lines and lines[-1].strip().isdigit():
            lines.pop()  # page number
        if len(lines) > 1 and len(lines[-1]) < 60 and not lines[-1].rstrip().endswith((".", "!")):
            lines.pop()  # running head
        bodies.append("\n".join(lines))
    return flatten("\n".join(bodies))


def essay_paragraphs():
    """The essay's paragraphs (not headings, not front matter) as content/essay.md has them."""
    body = ESSAY.read_text().split("\n---\n", 1)[1]
    blocks = [b.strip() for b in body.split("\n\n") if b.strip()]
    return [b for b in blocks if not b.startswith("#")]


@pytest.fixture
def pdf_file(tmp_path):
    """Open bytes with pikepdf, closing afterwards."""
    opened = []

    def open_(data):
        pdf = pikepdf.open(__import__("io").BytesIO(data))
        opened.append(pdf)
        return pdf

    yield open_
    for pdf in opened:
        pdf.close()


def line_ends(data, page):
    """(left, right) x of each text line on a page, in points."""
    import pypdfium2 as pdfium

    text = pdfium.PdfDocument(data)[page].get_textpage()
    lines = {}
    for i in range(text.count_chars()):
        if text.get_text_range(i, 1).strip():
            left, _, right, top = text.get_charbox(i, loose=True)
            line = lines.setdefault(round(top), [left, right])
            line[0], line[1] = min(line[0], left), max(line[1], right)
    return list(lines.values())


def build_py(*args, cwd=ROOT, env=None, timeout=120):
    """`python build.py ARGS` in a real process, as a user runs it; the finished process."""
    import os
    import subprocess

    return subprocess.run(
        [sys.executable, str(ROOT / "build.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, **env} if env else None,
    )


def line_of(path, needle):
    """The 1-based line of a file that contains needle (exactly one must)."""
    lines = [n for n, line in enumerate(Path(path).read_text().splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]
