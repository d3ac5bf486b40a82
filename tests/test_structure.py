"""Structure on hidden cases: tables over pages, wrapped links, skipped headings, RTL addresses.

Real-shaped essays under tests/structure/ are each built once through the command. Rows
stay whole on a page with the header row on each; the tag tree has one row per row, all
with the same number of columns; a link over two lines or two pages is one /Link; a
skipped heading level is mended and reported; addresses read left to right in Arabic and
Hebrew text. Both PDF/UA-1 checkers pass on each essay.
"""

import re

import outloud
import page
import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import EXAMPLE_CLINIC, ROOT, page_texts, run_cli
from test_accessibility import _elements

FOLDER = ROOT / "tests" / "structure"
ESSAYS = (
    "medication-schedule",
    "dialysis-days",
    "tall-row",
    "resources",
    "skipped-levels",
    "rtl-addresses",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{essay: (PDF path, the command's stderr)}, each built once."""
    folder = tmp_path_factory.mktemp("structure")
    paths = {}
    for name in ESSAYS:
        out = folder / f"{name}.pdf"
        result = run_cli(FOLDER / f"{name}.md", "--config", EXAMPLE_CLINIC, "-o", out, "-q")
        assert result.exit_code == 0, result.output
        paths[name] = (out, result.stderr)
    return paths


def _words(text):
    """Text as words: the layout's hyphens and line breaks undone."""
    text = re.sub(r"\ufffe\r?\n?", "", text)  # PDFium's mark for a hyphen the layout added
    return " ".join(text.replace("<br>", " ").split())


def _markdown_rows(name):
    """Each body row of the essay's table as its cells' words, as Markdown reads them."""
    lines = (FOLDER / f"{name}.md").read_text().splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("|"))
    width = len(lines[header_at].strip().strip("|").split("|"))
    header = [_words(c) for c in lines[header_at].strip().strip("|").split("|")]
    rows = []
    for line in lines[header_at + 2 :]:
        if not line.startswith("|"):
            break
        cells = [_words(c) for c in line.strip().strip("|").split("|")]
        rows.append((cells + [""] * width)[:width])  # Markdown pads short rows, cuts long ones
    return header, rows


def _row_pages(texts, cells):
    """The pages whose text holds the row's cells one after another."""
    together = " ".join(c for c in cells if c)
    return [n for n, text in enumerate(texts) if together in _words(text)]


@pytest.mark.slow
@pytest.mark.parametrize("name", ESSAYS)
def test_both_checkers_pass(built, name):
    path = str(built[name][0])
    report = page.validate_pdf(path, profile=page.ValidationProfile.PDF_UA_1)
    assert [(f.rule_id, f.message) for f in report.failures] == []
    result = outloud.check(path)
    assert result.error is None
    assert [(f.rule, f.message) for f in result.findings if f.severity == "error"] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", ["medication-schedule", "dialysis-days"])
def test_every_row_on_one_page_under_the_header(built, name):
    texts = page_texts(built[name][0].read_bytes())
    header, rows = _markdown_rows(name)
    spanned = set()
    for cells in rows:
        pages = _row_pages(texts, cells)
        assert pages, f"row {cells[:2]} is not found whole on any page"
        spanned.update(pages)
    assert len(spanned) >= 3, spanned  # the table goes over pages
    for number in spanned:
        assert " ".join(header).strip() in _words(texts[number]), number
    assert "Warning" not in built[name][1]


def _tables(pdf):
    """Each essay /Table as its rows, each row as its cells' structure types."""
    tables = []
    for element in _elements(pdf):
        if str(element.S) == "/Table":
            rows = [e for e in _elements_under(element) if str(e.S) == "/TR"]
            tables.append(
                [[c for c in _kids(row) if str(c.get("/S")) in ("/TH", "/TD")] for row in rows]
            )
    return tables


def _kids(element):
    kids = element.get("/K", pikepdf.Array())
    kids = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    return [k for k in kids if isinstance(k, pikepdf.Dictionary)]


def _elements_under(element):
    for kid in _kids(element):
        if "/S" in kid:
            yield kid
            yield from _elements_under(kid)


def _columns(cell):
    attributes = cell.get("/A", pikepdf.Dictionary())
    return int(attributes.get("/ColSpan", 1))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["medication-schedule", "dialysis-days", "tall-row"])
def test_one_tag_row_per_row_all_of_one_width(built, pdf_file, name):
    pdf = pdf_file(built[name][0].read_bytes())
    header, rows = _markdown_rows(name)
    tables = [t for t in _tables(pdf) if len(t[0]) == len(header)]
    assert len(tables) == 1  # one table, whatever the pages it spans
    (table,) = tables
    assert len(table) == len(rows) + 1  # one /TR a row; the repeated header rows are artifacts
    assert {sum(_columns(c) for c in row) for row in table} == {len(header)}
    assert [str(c.S) for c in table[0]] == ["/TH"] * len(header)
    assert all(str(c.A.Scope) == "/Column" for c in table[0])


@pytest.mark.slow
def test_a_row_taller_than_a_page_splits_with_a_warning_on_its_line(built):
    path, stderr = built["tall-row"]
    essay = FOLDER / "tall-row.md"
    line = next(
        n for n, text in enumerate(essay.read_text().splitlines(), 1) if "step by step" in text
    )
    assert f"Warning: {essay}:{line}: a table row is taller than a page" in stderr
    assert stderr.count("Warning") == 1


def _link_annotations(pdf):
    """(page number, annotation) for every link annotation."""
    return [
        (number, annotation)
        for number, pdf_page in enumerate(pdf.pages)
        for annotation in pdf_page.get("/Annots", [])
        if annotation.Subtype == "/Link"
    ]


def _owner(pdf, annotation):
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    return tree[int(annotation.StructParent)]


@pytest.mark.slow
def test_each_link_is_one_link_element_with_all_its_parts(built, pdf_file):
    pdf = pdf_file(built["resources"][0].read_bytes())
    annotations = _link_annotations(pdf)
    reached = {e.objgen for e in _elements(pdf)}
    for _, annotation in annotations:
        owner = _owner(pdf, annotation)
        assert str(owner.S) == "/Link" and owner.objgen in reached
        objrs = [k for k in _kids(owner) if k.get("/Type") == "/OBJR"]
        assert annotation.objgen in {k.Obj.objgen for k in objrs}
    by_address = {}
    for number, annotation in annotations:
        if "/A" in annotation and "/URI" in annotation.A:
            owners = by_address.setdefault(str(annotation.A.URI), {})
            owners.setdefault(_owner(pdf, annotation).objgen, set()).add(number)
    assert len(by_address) >= 9
    for address, owners in by_address.items():
        assert len(owners) == 1, address  # one /Link for all the pieces of a link
    pieces = {a: len(_link_annotations_of(annotations, a)) for a in by_address}
    assert sum(1 for count in pieces.values() if count > 1) >= 6  # links that wrap
    over_pages = [a for a, owners in by_address.items() if len(next(iter(owners.values()))) > 1]
    assert over_pages, "no link crosses a page break: lengthen the paragraph before the last"


def _link_annotations_of(annotations, address):
    return [
        (annotation, number)
        for number, annotation in annotations
        if "/A" in annotation and str(annotation.A.get("/URI", "")) == address
    ]


@pytest.mark.slow
def test_a_link_over_a_page_break_says_all_its_text(built, pdf_file):
    pdf = pdf_file(built["resources"][0].read_bytes())
    annotations = _link_annotations_of(
        _link_annotations(pdf), "https://www.nice.org.uk/guidance/ng28"
    )
    assert len({number for _, number in annotations}) == 2
    for annotation, _ in annotations:
        said = " ".join(str(annotation.Contents).split())
        assert said.startswith("the complete National Institute") and said.endswith("eyes and feet")


@pytest.mark.slow
def test_skipped_heading_levels_are_mended_and_reported(built, pdf_file):
    path, stderr = built["skipped-levels"]
    essay = FOLDER / "skipped-levels.md"
    assert f"Warning: {essay}:10: heading level skipped: #### after ##; tagged as level 3" in stderr
    assert (
        f"Warning: {essay}:22: heading level skipped: ###### after ##; tagged as level 3" in stderr
    )
    assert stderr.count("heading level skipped") == 2  # the second #### follows a ####
    pdf = pdf_file(path.read_bytes())
    levels = [int(str(e.S)[2:]) for e in _elements(pdf) if re.fullmatch(r"/H[1-6]", str(e.S))]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))
    with pdf.open_outline() as outline:
        titles = {item.title: [kid.title for kid in item.children] for item in outline.root}
    assert titles["Before you leave hospital"] == ["What you need", "Washing your hands"]
    assert titles["The first week"] == ["If it bleeds"]


def test_a_skipped_heading_keeps_the_look_of_its_written_level():
    from booklet.essay import read_essay

    essay = read_essay(FOLDER / "skipped-levels.md")
    assert '<h3 class="bk-2 md-4" id="what-you-need">' in essay.html
    assert '<h3 class="bk-2 md-6" id="if-it-bleeds">' in essay.html
    assert [level for level, _, _ in essay.headings] == [1, 2, 2, 1, 2, 1]


def _visual_lines(data, number):
    """The page's lines as drawn, left to right (not in PDFium's reading order)."""
    document = pdfium.PdfDocument(data)
    textpage = document[number].get_textpage()
    lines = {}
    for index in range(textpage.count_chars()):
        left, bottom, _, _ = textpage.get_charbox(index, loose=True)
        char = textpage.get_text_range(index, 1)
        if char.strip():
            lines.setdefault(round(bottom / 4), []).append((left, char))
    document.close()
    return ["".join(c for _, c in sorted(chars)) for _, chars in sorted(lines.items())]


@pytest.mark.slow
def test_addresses_read_left_to_right_in_arabic_and_hebrew(built):
    data = built["rtl-addresses"][0].read_bytes()
    number = next(n for n, text in enumerate(page_texts(data)) if "nurse" in text)
    drawn = "\n".join(_visual_lines(data, number))
    for address in (
        "appointments@example-clinic.org",
        "info@example-clinic.org",
        "nurse.team@example-clinic.org",
        "https://www.example-clinic.org/he/contact",
    ):
        assert address in drawn, drawn
