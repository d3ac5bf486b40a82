"""Markdown as people write it on GitHub and in a CMS comes out as a reader expects (issue 22).

tests/markdown/ holds real-shaped documents: a pre-op checklist template as a clinic's CMS
exports it, and a GitHub README-style first-aid note, with their images beside them.
"""

import io
import re
import shutil

import pikepdf
import pytest
from conftest import ROOT, page_texts, run_cli

from booklet.essay import markdown_to_html

CORPUS = ROOT / "tests" / "markdown"
CHECKLIST = "pre-op-checklist.md"
README = "first-aid-readme.md"
TASKS = [
    ("Arrange for an adult to take you home and stay the night", False),
    ("Take off nail varnish and false nails", False),
    ("Read this checklist", True),
    ("Pack your medicines in their boxes", False),
]


def html(markdown):
    return markdown_to_html(markdown)[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{name: (result, {edition: PDF path})}: each document built once, its images beside it."""
    folder = tmp_path_factory.mktemp("markdown")
    for path in CORPUS.iterdir():
        shutil.copy(path, folder / path.name)
    results = {}
    for name in (CHECKLIST, README):
        out = folder / "out" / f"{name[:-3]}.pdf"
        result = run_cli(folder / name, "-o", out, "-e", "reading", "-e", "large-print")
        results[name] = (
            result,
            {"reading": out, "large": out.with_name(f"{out.stem}-large-print.pdf")},
        )
    return results


def essay_text(path):
    """The essay pages' text, lines kept (cover, contents and back cover left out)."""
    texts = page_texts(path.read_bytes())
    return "\n".join(texts[2:-1]).replace("\r", "")


def image_draws(path):
    """How many times each page draws an image XObject."""
    counts = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            images = page.Resources.get("/XObject", {})
            counts.append(
                sum(
                    1
                    for operands, operator in pikepdf.parse_content_stream(page)
                    if str(operator) == "Do"
                    and images[operands[0]].get("/Subtype") == pikepdf.Name.Image
                )
            )
    return counts


# ---------- Lists, headings and attribute lines, as the HTML has them ----------


@pytest.mark.parametrize("marker", ["-", "*", "+", "1."])
def test_a_list_right_after_a_paragraph_line_is_a_list(marker):
    out = html(f"Bring these with you:\n{marker} your tablets\n{marker} your glasses\n")
    tag = "ol" if marker == "1." else "ul"
    assert out.startswith("<p>Bring these with you:</p>\n<" + tag + ">")
    assert out.count("<li>") == 2


def test_a_number_in_a_sentence_does_not_start_a_list():
    # GitHub: only a list starting at 1 may interrupt a paragraph.
    out = html("In 2023 we saw 1,200 people and\n2. of them came back.\n")
    assert "<li>" not in out and "2. of them came back." in out


def test_lines_in_fenced_code_are_left_as_written():
    out = html("Type this:\n\n```\nA paragraph\n- not a list\n  - nor this\n```\n")
    assert "<li>" not in out and "A paragraph\n- not a list\n  - nor this" in out


def test_lists_nested_by_two_and_three_spaces_nest():
    out = html(
        "- Ice it\n  - 20 minutes\n  - every 2 hours\n- Rest it\n\n1. Shower\n   - with soap\n2. Dress\n"
    )
    assert out.count("<ul>") == 3 and out.count("<ol>") == 1
    assert re.search(r"<li>Ice it<ul>\s*<li>20 minutes</li>\s*<li>every 2 hours</li>", out)
    assert re.search(r"<li>Shower<ul>\s*<li>with soap</li>\s*</ul>\s*</li>\s*<li>Dress", out)


def test_lists_in_quotes_follow_the_same_rules():
    out = html("> Before you come:\n> - fast\n>   - from midnight\n> > Note:\n> > - no gum\n")
    assert re.search(r"<li>fast<ul>\s*<li>from midnight</li>", out)
    assert re.search(r"<blockquote>\s*<p>Note:</p>\s*<ul>\s*<li>no gum</li>", out)


def test_quotes_nested_thousands_deep_are_no_crash():
    out = html(">" * 2000 + " deep\n")  # left to the layout's own limit, with one line
    assert "deep" in out


def test_headings_indented_up_to_three_spaces_are_headings():
    out = html("Some text.\n\n  ## One week before\n\n   ### The day before\n\n    ## code\n")
    assert '<h2 class="bk-1 md-2" id="one-week-before">One week before</h2>' in out
    assert ">The day before</h3>" in out
    assert "<pre><code>## code" in out


def test_kramdown_attribute_lines_are_applied_never_printed():
    out = html(
        "{: .note}\nPhone us first.\n\nA tip.\n{: .tip}\n\n{: #warn}\n## Take care\n\n"
        "* TOC\n{:toc}\n\n{: .alone}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n{: .table}\n"
    )
    assert '<p class="note">Phone us first.</p>' in out
    assert '<p class="tip">A tip.</p>' in out
    assert 'id="warn"' in out
    assert "{:" not in out and "TOC" not in out


# ---------- The checklist a clinic's CMS exports ----------


def test_checklist_lists_are_separate_lines_in_the_pdf(built):
    result, pdfs = built[CHECKLIST]
    assert result.exit_code == 0, result.output
    lines = essay_text(pdfs["reading"]).splitlines()
    for item in (
        "Blood thinners such as warfarin or apixaban",
        "metformin: the evening before",
        "Shower and put on clean, loose clothes",
        "Leave jewellery and valuables at home",
    ):
        assert any(line.strip() == item for line in lines), item
    assert "You will need to stop some medicines. Ask your GP if you are not sure:" in " ".join(
        lines
    )
    assert not any(line.strip().startswith("- ") for line in lines)
    assert any(line.strip() == "One week before" for line in lines)  # indented heading


def test_checklist_tasks_are_check_boxes_ticked_as_written(built):
    _, pdfs = built[CHECKLIST]
    with pikepdf.open(pdfs["reading"]) as pdf:
        fields = [f for f in pdf.Root.AcroForm.Fields if str(f.T).startswith("task")]
        assert [str(f.T) for f in fields] == [f"task{n}" for n in range(1, len(TASKS) + 1)]
        assert all(f.FT == pikepdf.Name.Btn for f in fields)
        assert [(str(f.TU), f.V == pikepdf.Name("/on")) for f in fields] == TASKS
    text = essay_text(pdfs["reading"])
    assert "[ ]" not in text and "[x]" not in text
    for task, _ in TASKS:
        assert task in text


def test_large_print_check_boxes_are_larger(built):
    _, pdfs = built[CHECKLIST]

    def sides(path):
        with pikepdf.open(path) as pdf:
            return {round(float(f.Rect[2] - f.Rect[0])) for f in pdf.Root.AcroForm.Fields}

    assert min(sides(pdfs["large"])) > max(sides(pdfs["reading"]))


def test_checklist_html_image_is_drawn_not_printed_as_markup(built):
    _, pdfs = built[CHECKLIST]
    assert sum(image_draws(pdfs["reading"])) == 1
    text = "\n".join(page_texts(pdfs["reading"].read_bytes()))
    for markup in ("<img", "<p", "align=", "{:", "width="):
        assert markup not in text


def test_template_fields_are_warned_with_their_lines_and_kept_whole(built):
    result, pdfs = built[CHECKLIST]
    source = pdfs["reading"].parent.parent / CHECKLIST
    expected = [
        (9, "{{PATIENT_NAME}}"),
        (11, "{{APPOINTMENT_DATE}}"),
        (11, "{{ clinic.phone }}"),
        (45, "{{NURSE_NAME}}"),
    ]
    for line, field in expected:
        assert (
            f"Warning: {source}:{line}: template field {field} printed as written: "
            "fill it in before printing"
        ) in result.stderr
    for edition in ("reading", "large"):  # never broken across lines, nor hyphenated
        text = essay_text(pdfs[edition])
        assert all(field in text for _, field in expected), edition


def test_strict_refuses_a_template_field(tmp_path):
    shutil.copy(CORPUS / "ward-map.png", tmp_path)
    source = tmp_path / CHECKLIST
    shutil.copy(CORPUS / CHECKLIST, source)
    result = run_cli(source, "-o", tmp_path / "out.pdf", "--strict")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {source}:9: template field {{{{PATIENT_NAME}}}} printed as written: "
        "fill it in before printing (--strict)\n"
    )
    assert not (tmp_path / "out.pdf").exists()


# ---------- A GitHub README-style first-aid note ----------


def test_readme_images_figure_and_tasks(built):
    result, pdfs = built[README]
    assert result.exit_code == 0, result.output
    assert sum(image_draws(pdfs["reading"])) == 2  # the centred <img> and the <figure>
    text = essay_text(pdfs["reading"])
    assert "A sling keeps the wrist above the elbow." in text  # the figure's caption
    assert "<figure" not in text and "<img" not in text and "figcaption" not in text
    lines = [line.strip() for line in text.splitlines()]
    assert "20 minutes at a time" in lines and "Ice it, wrapped in a towel" in lines
    # A list in fenced code is code: printed as written, no box, no warning.
    assert "- [ ] {{PATIENT_NAME}} booked" in lines
    assert "template field" not in result.stderr
    with pikepdf.open(pdfs["reading"]) as pdf:
        ticked = [f.V == pikepdf.Name("/on") for f in pdf.Root.AcroForm.Fields]
    assert ticked == [True, False, False]


def test_empty_mailto_is_plain_text_with_a_warning(built):
    result, pdfs = built[README]
    source = pdfs["reading"].parent.parent / README
    assert (
        f"Warning: {source}:39: link mailto: has no e-mail address: printed as plain text"
        in result.stderr
    )
    with pikepdf.open(pdfs["reading"]) as pdf:
        for page in pdf.pages:
            for annotation in page.get("/Annots", []):
                uri = str(annotation.get("/A", {}).get("/URI", ""))
                assert not uri.startswith("mailto"), uri


# ---------- What the last notes left alone ----------


def write(tmp_path, body):
    source = tmp_path / "essay.md"
    source.write_text("---\ntitle: Notes\n---\n\n" + body)
    return source


def test_a_footnote_with_no_note_is_warned_with_its_line(tmp_path):
    source = write(tmp_path, "Rest the wrist.\n\nIce it[^nope] often.\n")
    result = run_cli(source, "-o", tmp_path / "out.pdf", "-q")
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {source}:7: footnote [^nope] has no note: it is printed as written; "
        "add a line '[^nope]: …' with the note's text\n"
    )


def test_an_unused_footnote_is_named_with_its_line(tmp_path):
    source = write(tmp_path, "Ice it[^a].\n\n[^a]: Wrapped.\n[^unused]: Never referred to.\n")
    result = run_cli(source, "-o", tmp_path / "out.pdf", "-q")
    assert result.exit_code == 0
    assert result.stderr == (
        f"Warning: {source}:8: footnote [^unused] is never referred to in the text: its note "
        "is printed with the others, with no mark pointing to it\n"
    )
    assert "fnref" not in result.stderr


def test_a_huge_image_is_too_large_not_damaged(tmp_path):
    from PIL import Image

    Image.new("1", (20000, 20000)).save(tmp_path / "scan.png")  # ~50 KB on disk
    source = write(tmp_path, "Text.\n\n![The scan](scan.png)\n")
    result = run_cli(source, "-o", tmp_path / "out.pdf", "-q")
    assert result.exit_code == 0
    assert result.stderr.startswith(
        f"Warning: {source}:7: image scan.png is too large to print: 20,000 × 20,000 pixels"
    )
    assert "damaged" not in result.stderr
    assert "The scan" in "".join(page_texts((tmp_path / "out.pdf").read_bytes()))


def test_references_refused_inside_an_svg_name_the_svg(tmp_path):
    essay_dir = tmp_path / "essay"
    essay_dir.mkdir()
    (tmp_path / "secret.png").write_bytes((CORPUS / "sling.png").read_bytes())
    (essay_dir / "diagram.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">\n'
        '  <rect width="200" height="100" fill="#eee"/>\n'
        '  <image href="https://example.com/tracker.png" width="10" height="10"/>\n'
        '  <image href="../secret.png" x="20" width="10" height="10"/>\n'
        "</svg>\n"
    )
    source = write(essay_dir, "Text.\n\n![A diagram](diagram.svg)\n")
    result = run_cli(source, "-o", tmp_path / "out.pdf", "-q")
    assert result.exit_code == 0
    svg = essay_dir / "diagram.svg"
    shown = f"(in the image diagram.svg, shown at {source}:7)"
    assert result.stderr.splitlines() == [
        f"Warning: {svg}:3: refused to read https://example.com/tracker.png: "
        f"the booklet never makes a network request {shown}",
        f"Warning: {svg}:4: refused to read ../secret.png: outside the folders the build "
        f"may read (--allow DIR lets it read one more) {shown}",
    ]


def test_html_image_outside_the_folders_or_on_the_web_is_refused(tmp_path):
    essay_dir = tmp_path / "essay"
    essay_dir.mkdir()
    (tmp_path / "secret.png").write_bytes((CORPUS / "sling.png").read_bytes())
    source = write(
        essay_dir,
        '<p align="center"><img src="../secret.png" alt="Secret"></p>\n\n'
        "<img src='https://example.com/logo.png' alt=\"Logo\" height=40>\n\n"
        '<figure><img src="gone.png" alt="Gone"><figcaption>Lost</figcaption></figure>\n',
    )
    result = run_cli(source, "-o", tmp_path / "out.pdf", "-q")
    assert result.exit_code == 0
    warnings = result.stderr.splitlines()
    assert warnings[0].startswith(f"Warning: {source}:5: refused to read ../secret.png: outside")
    assert warnings[1].startswith(f"Warning: {source}:7: refused to read https://example.com/")
    assert warnings[2] == f"Warning: {source}:9: image not found: gone.png"
    assert len(warnings) == 3
    data = (tmp_path / "out.pdf").read_bytes()
    assert sum(image_draws(io.BytesIO(data))) == 0
    text = "".join(page_texts(data))
    assert "Secret" in text and "Logo" in text and "Gone" in text and "<img" not in text


# ---------- Accessible with task lists ----------


@pytest.mark.slow
@pytest.mark.parametrize("edition", ["reading", "large"])
def test_checklist_passes_both_pdf_ua_checkers(built, edition):
    import outloud
    import page

    path = built[CHECKLIST][1][edition]
    report = page.validate_pdf(str(path), profile=page.ValidationProfile.PDF_UA_1)
    assert [(f.rule_id, f.message) for f in report.failures] == []
    result = outloud.check(str(path))
    assert result.error is None
    assert [(f.rule, f.message) for f in result.findings if f.severity == "error"] == []


def test_print_sheets_draw_the_ticks_the_author_wrote(tmp_path):
    """Sheets carry no fields: a task written [x] is printed ticked, the others empty."""
    shutil.copy(CORPUS / "ward-map.png", tmp_path)
    source = tmp_path / CHECKLIST
    shutil.copy(CORPUS / CHECKLIST, source)
    result = run_cli(source, "-o", tmp_path / "out.pdf", "--impose", "-q")
    assert result.exit_code == 0
    with pikepdf.open(tmp_path / "out.pdf") as pdf:
        ticks = {bytes(f.AP.N["/on"].read_bytes()) for f in pdf.Root.AcroForm.Fields}
    with pikepdf.open(tmp_path / "out-print.pdf") as sheets:
        assert "/AcroForm" not in sheets.Root
        drawn = [
            o
            for o in sheets.objects
            if isinstance(o, pikepdf.Stream)
            and o.get("/Subtype") == pikepdf.Name.Form
            and bytes(o.read_bytes()) in ticks
        ]
    assert len(drawn) == sum(ticked for _, ticked in TASKS)
