"""Print sheets: every half of every sheet side holds the page folding puts there."""

import pypdfium2 as pdfium
import pytest
from conftest import EXAMPLE_CLINIC, build_clean, page_sizes, page_texts

from booklet.impose import booklet_order, impose, sheet_sides

A4_LANDSCAPE = (841.9, 595.3)
LETTER_LANDSCAPE = (792.0, 612.0)


def marked_pages(count, size="148mm 210mm"):
    """A PDF whose page n says only 'Pn'."""
    from weasyprint import HTML

    body = "".join(f'<p style="break-after: page">P{n}</p>' for n in range(1, count + 1))
    html = f"<style>@page {{ size: {size}; margin: 20mm }} body, p {{ margin: 0 }}</style>{body}"
    return HTML(string=html).write_pdf()


def halves(sheets):
    """[(left text, right text)] for each sheet side, read back by region."""
    document = pdfium.PdfDocument(sheets)
    result = []
    for page in document:
        width, height = page.get_size()
        text = page.get_textpage()
        left = text.get_text_bounded(0, 0, width / 2, height).strip()
        right = text.get_text_bounded(width / 2, 0, width, height).strip()
        result.append((left, right))
    return result


def folded_order(sides):
    """Read a stack of printed sheets the way a folded booklet is read."""
    fronts, backs = sides[0::2], sides[1::2]
    first_half, second_half = [], []
    for (front_left, front_right), (back_left, back_right) in zip(fronts, backs, strict=True):
        first_half += [front_right, back_left]
        second_half = [back_right, front_left] + second_half
    return first_half + second_half


@pytest.mark.parametrize("count", [1, 4, 5, 8, 13, 50])
def test_every_half_holds_the_page_folding_puts_there(count):
    sheets = impose(marked_pages(count), A4_LANDSCAPE)
    sides = halves(sheets)
    total = -(-count // 4) * 4
    assert len(sides) == total // 2
    read = folded_order(sides)
    expected = [f"P{n}" for n in range(1, count)] + [""] * (total - count) + [f"P{count}"]
    if count == 1:
        expected = ["P1", "", "", ""]
    assert read == expected
    # first sheet's front: the back cover on the left, page 1 on the right
    assert sides[0] == (expected[-1], "P1")


def test_sheet_order_spelled_out_for_eight_pages():
    assert sheet_sides(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert sheet_sides(6) == [(6, 1), (2, None), (None, 3), (4, 5)]
    assert booklet_order(6) == [1, 2, 3, 4, 5, None, None, 6]


@pytest.mark.parametrize(
    ("paper", "sheet", "page"),
    [
        ("a4", A4_LANDSCAPE, "148mm 210mm"),
        ("letter", LETTER_LANDSCAPE, "5.5in 8.5in"),
    ],
)
def test_sheet_sizes_and_pages_meet_at_the_fold(paper, sheet, page):
    sheets = impose(marked_pages(4, page), sheet)
    assert set(page_sizes(sheets)) == {sheet}
    document = pdfium.PdfDocument(sheets)
    width, height = document[0].get_size()
    # page 1 starts exactly at the fold: its text begins 20 mm right of the middle
    text = document[0].get_textpage()
    index = text.get_text_range().index("P1")
    left = text.get_charbox(index)[0]
    assert abs(left - (width / 2 + 20 * 72 / 25.4)) < 2


def test_booklet_print_sheets_put_blanks_before_the_back_cover(tmp_path):
    pdfs = build_clean(tmp_path, config=EXAMPLE_CLINIC, log_pages=1, impose=True)
    reading = page_texts(pdfs["reading copy"])
    count = len(reading)
    total = -(-count // 4) * 4
    assert total > count, "this booklet should need padding"
    sides = halves(pdfs["print sheets"])
    assert len(sides) == total // 2
    assert "Contact and review" in sides[0][0]  # back cover on the outside of the fold
    assert "Muscle Spasm in the" in sides[0][1]  # cover
    read = folded_order(sides)
    assert read[count - 1 : total - 1] == [""] * (total - count)
    assert "Contact and review" in read[-1]


def empty_filtered_streams(data):
    """Streams marked compressed but holding no bytes: not valid zlib (pdf.js, RIPs complain)."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [
            o.objgen
            for o in pdf.objects
            if isinstance(o, pikepdf.Stream)
            and o.get("/Filter") is not None
            and not o.read_raw_bytes()
        ]


@pytest.mark.parametrize("count", [1, 2, 6])
def test_sheets_have_no_empty_compressed_stream(count):
    """An all-blank sheet side (a one-page booklet has one) has no content stream at all."""
    import io

    import pikepdf

    sheets = impose(marked_pages(count), A4_LANDSCAPE)
    assert empty_filtered_streams(sheets) == []
    with pikepdf.open(io.BytesIO(sheets)) as pdf:
        assert pdf.check_pdf_syntax() == []
    assert [side for side in halves(sheets) if side != ("", "")]  # something is drawn
