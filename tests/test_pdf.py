"""The booklet as a reader sees it: pages, text, contents, metadata, bookmarks, fields."""

import io
import re

import pikepdf
import pytest
from conftest import (
    EXAMPLE_CLINIC,
    MM,
    body_text,
    build_clean,
    essay_paragraphs,
    flatten,
    page_sizes,
    page_texts,
)

A5 = (round(148 * MM, 1), round(210 * MM, 1))
HALF_LETTER = (396.0, 612.0)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The default build: no settings, no log."""
    return build_clean(tmp_path_factory.mktemp("plain"))["reading copy"]


@pytest.fixture(scope="module")
def with_log(tmp_path_factory):
    """The example clinic's booklet with a two-page log and print sheets."""
    return build_clean(
        tmp_path_factory.mktemp("log"), config=EXAMPLE_CLINIC, log_pages=2, impose=True
    )


def test_every_page_is_a5(plain):
    assert set(page_sizes(plain)) == {A5}


def test_whole_essay_in_order(plain):
    text = body_text(page_texts(plain))
    position = 0
    for paragraph in essay_paragraphs():
        found = text.find(flatten(paragraph), position)
        assert found >= 0, f"missing or out of order: {paragraph[:60]}…"
        position = found


def test_pages_in_reading_order(plain):
    texts = page_texts(plain)
    assert texts[0].strip().startswith("Muscle Spasm in the")  # cover
    assert texts[1].lstrip().startswith("Contents")
    assert "A muscle spasm in the back is one of the most painful" in flatten(texts[2])
    assert "does not replace advice from your doctor" in flatten(texts[-1])


def _contents(texts):
    """{entry: page number} as printed on the contents page."""
    entries = {}
    for line in texts[1].replace("\r", "").splitlines():
        match = re.match(r"(.+?)\.{3,}\s*(\d+)$", line.strip()) or re.match(
            r"(.+?)\s+(\d+)$", line.strip()
        )
        if match and not line.strip().isdigit():
            entries[match[1].strip(" .")] = int(match[2])
    return entries


def test_contents_page_numbers_point_at_the_headings(plain):
    texts = page_texts(plain)
    entries = _contents(texts)
    for heading in (
        "Painful Muscle Spasms in the Back",
        "Causes of Muscle Spasm in the Back",
        "Muscle Spasm in the Back Ordeal",
    ):
        page = entries[heading]
        assert heading in texts[page - 1], f"{heading} is not on page {page}"
    assert entries["About this booklet"] == len(texts)


def test_page_numbers_at_the_bottom_except_covers(plain):
    texts = page_texts(plain)
    for number, text in enumerate(texts, start=1):
        last_line = text.replace("\r", "").strip().splitlines()[-1].strip()
        if number in (1, len(texts)):
            assert last_line != str(number)
        else:
            assert last_line == str(number), f"page {number} ends with {last_line!r}"


def test_metadata_and_language(plain, pdf_file):
    pdf = pdf_file(plain)
    assert str(pdf.docinfo["/Title"]) == "Muscle Spasm in the Back"
    assert "spasms torment" in str(pdf.docinfo["/Subject"])
    assert "back pain" in str(pdf.docinfo["/Keywords"])
    assert "/Author" not in pdf.docinfo  # the essay names no author and no clinic is set
    assert str(pdf.Root.Lang) == "en"
    assert pdf.Root.ViewerPreferences.DisplayDocTitle is True


def test_author_is_the_clinic_when_the_essay_names_none(with_log, pdf_file):
    pdf = pdf_file(with_log["reading copy"])
    assert str(pdf.docinfo["/Author"]) == "Riverside Back Care Clinic"


def test_bookmarks_for_the_headings(plain, pdf_file):
    pdf = pdf_file(plain)
    with pdf.open_outline() as outline:
        titles = []

        def walk(items):
            for item in items:
                titles.append(item.title)
                walk(item.children)

        walk(outline.root)
    assert titles[:1] == ["Contents"]
    for heading in ("Muscle Spasm in the Back", "Causes of Muscle Spasm in the Back"):
        assert heading in titles


def test_contents_entries_link_to_their_pages(plain, pdf_file):
    """Every contents link lands on a page, and the number printed beside it is that page."""
    import pypdfium2 as pdfium

    pdf = pdf_file(plain)
    links = [a for a in pdf.pages[1].get("/Annots", []) if a.Subtype == "/Link"]
    assert len(links) >= 10  # title and page number of each of at least five entries
    named = pikepdf.NameTree(pdf.Root.Names.Dests) if "/Names" in pdf.Root else {}
    page_objects = [p.obj.objgen for p in pdf.pages]
    text = pdfium.PdfDocument(plain)[1].get_textpage()
    numbers_checked = 0
    for link in links:
        destination = link.get("/Dest") or link.A.D
        if isinstance(destination, pikepdf.String | pikepdf.Name):
            destination = named[str(destination).lstrip("/")]
        if isinstance(destination, pikepdf.Dictionary):
            destination = destination.D
        assert destination[0].objgen in page_objects
        target = page_objects.index(destination[0].objgen) + 1
        shown = text.get_text_bounded(*[float(v) for v in link.Rect]).strip()
        if shown.isdigit():  # the page-number half of the entry
            assert int(shown) == target, shown
            numbers_checked += 1
    assert numbers_checked >= 5


def test_tagged_for_screen_readers(plain, pdf_file):
    pdf = pdf_file(plain)
    assert pdf.Root.MarkInfo.Marked is True
    assert "/StructTreeRoot" in pdf.Root
    assert "pdfuaid" in bytes(pdf.Root.Metadata.read_bytes()).decode()


@pytest.mark.slow
@pytest.mark.parametrize("pages", [1, 2, 7])
def test_log_pages_added_exactly_as_asked(tmp_path, plain, pages):
    reading = build_clean(tmp_path, log_pages=pages)["reading copy"]
    texts = page_texts(reading)
    titled = [t for t in texts if re.search(r"Episode log · page \d+ of \d+", t)]
    assert len(titled) == pages
    assert f"Episode log · page {pages} of {pages}" in titled[-1]
    # the log adds its explanation page and the asked-for pages, nothing else
    assert len(texts) == len(page_texts(plain)) + 1 + pages
    explained = [t for t in texts if "0 = no pain" in t and "10 = worst imaginable" in t]
    assert len(explained) == 1


@pytest.mark.slow
def test_fifty_log_pages(tmp_path):
    reading = build_clean(tmp_path, log_pages=50)["reading copy"]
    texts = page_texts(reading)
    assert sum("Episode log · page" in t for t in texts) == 50
    assert "Episode 100" in texts[-2]


FIELDS = (
    "date",
    "start",
    "duration",
    "pain",
    "stress",
    "sitting",
    "where",
    "trigger",
    "helped",
    "notes",
)


def test_log_fields_are_fillable_and_named(with_log, pdf_file):
    pdf = pdf_file(with_log["reading copy"])
    names = [str(field.T) for field in pdf.Root.AcroForm.Fields]
    expected = [f"episode{n}_{key}" for n in range(1, 5) for key in FIELDS]
    assert sorted(names) == sorted(expected)
    pain = next(f for f in pdf.Root.AcroForm.Fields if str(f.T) == "episode3_pain")
    assert str(pain.TU) == "Episode 3: Pain 0–10 (0 = no pain, 10 = worst imaginable)"
    assert pain.FT == "/Tx"
    for field in pdf.Root.AcroForm.Fields:  # big enough to click and type into
        left, bottom, right, top = (float(v) for v in field.Rect)
        assert abs(top - bottom) >= 8 * MM and right - left >= 8 * MM, str(field.T)


def test_fields_use_a_standard_font_and_the_copy_is_small(with_log, pdf_file):
    data = with_log["reading copy"]
    pdf = pdf_file(data)
    assert pdf.Root.AcroForm.DR.Font.Helv.BaseFont == "/Helvetica"
    for field in pdf.Root.AcroForm.Fields:
        assert bytes(field.DA).startswith(b"/Helv ")
    assert len(data) <= 100 * 1024, f"reading copy is {len(data) // 1024} KB"


def _writing_lines(image, dots_per_mm):
    """Vertical positions (mm) of the horizontal rules a person would write on."""
    width, height = image.size
    pixels = image.load()
    rows = []
    for y in range(height):
        longest = run = 0
        for x in range(width):
            run = run + 1 if pixels[x, y] < 128 else 0
            longest = max(longest, run)
        # a writing line (8 mm or more), shorter than the card's own border
        if 8 * dots_per_mm < longest < 100 * dots_per_mm:
            rows.append(y)
    lines = []
    for y in rows:
        if lines and y - lines[-1][-1] <= 1:
            lines[-1].append(y)
        else:
            lines.append([y])
    return [sum(line) / len(line) / dots_per_mm for line in lines]


def test_writing_lines_at_least_8mm_apart(tmp_path):
    """Rendered like a printout, the log's writing lines stand at least 8 mm apart."""
    import pypdfium2 as pdfium

    reading = build_clean(tmp_path, log_pages=1)["reading copy"]
    document = pdfium.PdfDocument(reading)
    dots_per_mm = 4
    image = document[len(document) - 2].render(scale=dots_per_mm / MM).to_pil().convert("L")
    lines = _writing_lines(image, dots_per_mm)
    assert len(lines) == 14  # two episodes of seven lines
    gaps = [b - a for a, b in zip(lines, lines[1:], strict=False)]
    assert min(gaps) >= 8


def test_form_fills_in_pdfium(with_log, tmp_path):
    """Chrome's engine sees the fields and draws a filled value on the page."""
    import pypdfium2 as pdfium

    pdf = pikepdf.open(io.BytesIO(with_log["reading copy"]))
    for field in pdf.Root.AcroForm.Fields:
        if str(field.T) == "episode1_notes":
            field.V = pikepdf.String("WORSE AFTER DRIVING")
    pdf.save(tmp_path / "filled.pdf")
    document = pdfium.PdfDocument(tmp_path / "filled.pdf")
    document.init_forms()
    assert document.get_formtype() == pdfium.raw.FORMTYPE_ACRO_FORM
    log_page = next(
        i
        for i in range(len(document))
        if "Episode log · page 1 of 2" in document[i].get_textpage().get_text_range()
    )
    blank = document[log_page].render(scale=1, may_draw_forms=False).to_pil().convert("L")
    filled = document[log_page].render(scale=1, may_draw_forms=True).to_pil().convert("L")
    assert blank.tobytes() != filled.tobytes()


def test_print_sheets_carry_no_fields_or_links(with_log, pdf_file):
    pdf = pdf_file(with_log["print sheets"])
    assert "/AcroForm" not in pdf.Root
    assert all("/Annots" not in page.obj for page in pdf.pages)


def test_letter_paper_gives_half_letter_pages(tmp_path):
    pdfs = build_clean(tmp_path, paper="letter", log_pages=1, impose=True)
    assert set(page_sizes(pdfs["reading copy"])) == {HALF_LETTER}
    assert set(page_sizes(pdfs["print sheets"])) == {(792.0, 612.0)}


def _text_sizes(data, page_index):
    """{font size in pt: characters} on one page, read back with pdfplumber-free PDFium."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(data)
    textpage = document[page_index].get_textpage()
    sizes = {}
    for i in range(textpage.count_chars()):
        if textpage.get_text_range(i, 1).strip():
            size = round(raw.FPDFText_GetFontSize(textpage.raw, ctypes.c_int(i)), 1)
            sizes[size] = sizes.get(size, 0) + 1
    return sizes


def test_body_text_is_at_least_12pt(plain):
    sizes = _text_sizes(plain, 2)
    body = max(sizes, key=sizes.get)
    assert body >= 12


def test_large_print_body_is_18pt_on_a4_pages(tmp_path):
    reading = build_clean(tmp_path, large_print=True, log_pages=1)["reading copy"]
    assert set(page_sizes(reading)) == {(595.3, 841.9)}
    sizes = _text_sizes(reading, 2)
    body = max(sizes, key=sizes.get)
    assert body >= 18
    texts = page_texts(reading)
    assert "Large print edition" in texts[0]
    assert sum("Episode log · page" in t for t in texts) == 1


@pytest.mark.slow
def test_every_pdf_opens_cleanly_in_qpdf_and_pdfium(tmp_path):
    """qpdf's check (through pikepdf) finds nothing; PDFium opens and draws every page."""
    import pypdfium2 as pdfium
    from test_impose import empty_filtered_streams

    pdfs = build_clean(tmp_path, config=EXAMPLE_CLINIC, log_pages=2, impose=True)
    pdfs["large print"] = build_clean(tmp_path, large_print=True, log_pages=1)["reading copy"]
    letter = build_clean(tmp_path, paper="letter", log_pages=1, impose=True)
    pdfs["letter"], pdfs["letter sheets"] = letter["reading copy"], letter["print sheets"]
    for kind, data in pdfs.items():
        assert empty_filtered_streams(data) == [], kind  # pdf.js warns; strict RIPs refuse
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert pdf.check_pdf_syntax() == [], kind
        document = pdfium.PdfDocument(data)
        document.init_forms()
        drawn = [page.render(scale=0.3, may_draw_forms=True).to_pil() for page in document]
        assert len(drawn) > 0
        # every page but a padding blank has something on it
        assert sum(image.convert("L").getextrema()[0] < 128 for image in drawn) >= len(drawn) - 3


def test_only_the_booklet_fonts_are_embedded(with_log, pdf_file):
    """No fallback font sneaks in (a missing glyph would pull in a system font)."""
    pdf = pdf_file(with_log["reading copy"])
    fonts = set()
    for page in pdf.pages:
        for font in page.obj.Resources.get("/Font", {}).values():
            fonts.add(str(font.BaseFont).split("+", 1)[-1])
    assert fonts <= {"Atkinson-Hyperlegible", "Atkinson-Hyperlegible-Bold", "Booklet-Field"}
    assert "Atkinson-Hyperlegible" in fonts
