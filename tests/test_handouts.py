"""Markdown written elsewhere builds, as it is, into a sound booklet (issue 9).

Each document under tests/handouts/ is built once through the command, then its PDF is
read back: nothing off the page, no file: links, warnings naming their lines.
"""

import io
import itertools
import re
import shutil

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import ROOT, flatten, page_texts, run_cli

pytestmark = pytest.mark.slow  # builds many booklets: run by `make test-slow` (and CI)

CORPUS = ROOT / "tests" / "handouts"
DOCUMENTS = [
    "leaflet.md",
    "fisioterapia.md",
    "analysis.Rmd",
    "first-aid-step.md",
    "research-note.md",
    "long-title.md",
]
COVER_EDITIONS = ("reading", "large-print", "letter")
LONG_CLINIC = "Riverside and District Community Back Care, Physiotherapy and Pain Management Clinic"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """{name: (exit code, warning lines, {edition: PDF bytes})}, each document built once."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("handouts")
    for document in DOCUMENTS:
        shutil.copy(CORPUS / document, folder / document)
    Image.new("RGB", (120, 1400), (30, 90, 160)).save(folder / "tall.png")
    Image.new("RGB", (2400, 260), (160, 60, 30)).save(folder / "wide.png")
    (folder / "clinic.toml").write_text(f'name = "{LONG_CLINIC}"\nedition = "November 2026"\n')
    results = {}
    for document in DOCUMENTS:
        out = folder / "out" / f"{document.split('.')[0]}.pdf"
        args = [folder / document, "-o", out, "-q"]
        editions = {"reading": out}
        if document == "long-title.md":
            args += ["--config", folder / "clinic.toml", "--episode-log"]
            args += [arg for name in COVER_EDITIONS for arg in ("-e", name)]
            editions = {
                name: out.with_name(out.stem + ("" if name == "reading" else f"-{name}") + ".pdf")
                for name in COVER_EDITIONS
            }
        result = run_cli(*args)
        warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
        pdfs = {name: path.read_bytes() for name, path in editions.items() if path.exists()}
        results[document] = (result.exit_code, warnings, pdfs, folder)
    return results


def line_of(document, needle):
    text = (CORPUS / document).read_text()
    return text[: text.index(needle)].count("\n") + 1


def every_pdf(built):
    for document, (_, _, pdfs, _) in built.items():
        for edition, data in pdfs.items():
            yield f"{document} {edition}", data


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_document_builds(built, document):
    code, warnings, pdfs, folder = built[document]
    assert code == 0, warnings
    assert pdfs
    for warning in warnings:  # each names the file and its line
        assert re.match(rf"Warning: {re.escape(str(folder))}/[^:]+:\d+: ", warning), warning


def test_nothing_leaves_the_page(built):
    for name, data in every_pdf(built):
        document = pdfium.PdfDocument(data)
        for number, page in enumerate(document, start=1):
            width, height = page.get_size()
            text = page.get_textpage()
            for index in range(text.count_chars()):
                if text.get_text_range(index, 1).isspace():
                    continue
                left, bottom, right, top = text.get_charbox(index)
                assert -0.5 <= left and right <= width + 0.5, f"{name} p{number}: char off the side"
                assert -0.5 <= bottom and top <= height + 0.5, f"{name} p{number}: char off the end"
            for image in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]):
                left, bottom, right, top = image.get_bounds()
                assert left >= -0.5 and right <= width + 0.5, f"{name} p{number}: image too wide"
                assert bottom >= -0.5 and top <= height + 0.5, f"{name} p{number}: image too tall"
        document.close()


def test_no_file_links_and_no_scripts(built):
    for name, data in every_pdf(built):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                for annotation in page.get("/Annots", []):
                    action = annotation.get("/A")
                    if action is not None and "/URI" in action:
                        uri = str(action.URI)
                        assert re.match(r"(https?|mailto|tel):", uri), f"{name}: link to {uri}"
            raw = b"".join(
                bytes(o.read_bytes()) for o in pdf.objects if isinstance(o, pikepdf.Stream)
            )
            assert b"/JavaScript" not in raw and "/JavaScript" not in repr(pdf.Root)


def test_dangling_anchors_and_site_links_are_warned_with_their_lines(built):
    _, warnings, pdfs, folder = built["leaflet.md"]
    source = folder / "leaflet.md"
    anchors = [w for w in warnings if ": link to #psc1047n" in w]
    # 49 links to a web page's headings: five said one by one, the rest in one line.
    (folded,) = [w for w in anchors if "more like that" in w]
    assert len(anchors) == 6, anchors
    line = line_of("leaflet.md", "#psc1047n1012")
    expected = f"Warning: {source}:{line}: link to #psc1047n1012: no heading has that id"
    assert any(w.startswith(expected) for w in warnings)
    said = re.search(r":(\d+): and (\d+) more like that \(lines ([\d, ]+)\): link to #", folded)
    assert said, folded
    lines = [int(n) for n in said[3].split(", ")]
    assert len(lines) == int(said[2]) >= 43 and int(said[1]) == lines[0]
    assert line_of("leaflet.md", "#psc1047n1053") in lines
    line = line_of("leaflet.md", "neck-pain.html")
    assert any(w.startswith(f"Warning: {source}:{line}: link to neck-pain.html") for w in warnings)
    assert not any("#heat--ice" in w or "#red-flags" in w or "#top" in w for w in warnings)
    text = flatten(" ".join(page_texts(pdfs["reading"])))
    assert "(see note 4)" in text and "the companion leaflet" in text


def test_github_and_pandoc_ids_resolve(built):
    _, _, pdfs, _ = built["leaflet.md"]
    with pikepdf.open(io.BytesIO(pdfs["reading"])) as pdf:
        targets = {
            str(a.Dest) for page in pdf.pages for a in page.get("/Annots", []) if "/Dest" in a
        }
    # [Heat & ice](#heat--ice) found the heading "Heat & ice"; {#red-flags} and {#top} set ids
    assert {"heat-ice", "red-flags", "top", "resources-and-support"} <= targets


def test_front_matter_as_others_write_it(built):
    _, warnings, pdfs, folder = built["fisioterapia.md"]
    unknown = [w for w in warnings if "front matter" in w]
    assert len(unknown) == 1  # one warning naming them all
    assert unknown[0].startswith(f"Warning: {folder}/fisioterapia.md:2: ")
    assert "'langauge' (did you mean 'language'?)" in unknown[0]
    assert all(f"'{key}'" in unknown[0] for key in ("layout", "pubDate", "heroImage", "draft"))
    with pikepdf.open(io.BytesIO(pdfs["reading"])) as pdf:
        assert str(pdf.Root.Lang) == "es"
        assert "Ejercicios suaves" in str(pdf.docinfo["/Subject"])  # description
        assert "lumbalgia" in str(pdf.docinfo["/Keywords"])  # tags
    text = flatten(" ".join(page_texts(pdfs["reading"])))
    assert "Ejercicios suaves para el dolor" in text  # the summary is shown
    assert '<iframe src="https://www.youtube.com/embed/xyz"' in text  # shown, never obeyed
    _, warnings, pdfs, _ = built["research-note.md"]
    with pikepdf.open(io.BytesIO(pdfs["reading"])) as pdf:
        assert str(pdf.docinfo["/Author"]) == "A. Okafor, B. Lindqvist"


def test_unknown_keys_are_an_error_with_strict(built):
    _, _, _, folder = built["analysis.Rmd"]
    result = run_cli(folder / "analysis.Rmd", "-o", folder / "strict.pdf", "--strict")
    assert result.exit_code == 1
    assert f"Error: {folder}/analysis.Rmd:6: front matter: ignored 'output'" in result.stderr


def test_site_root_images_say_how_to_allow_them(built):
    _, warnings, pdfs, folder = built["first-aid-step.md"]
    line = line_of("first-aid-step.md", "/Images/back-step2.jpg")
    image = [w for w in warnings if "/Images/back-step2.jpg" in w]
    assert image and image[0].startswith(f"Warning: {folder}/first-aid-step.md:{line}: image not")
    assert "--allow" in image[0] and "allow = [" in image[0]
    assert any(": link to /instructions/3 printed as plain text" in w for w in warnings)
    text = flatten(" ".join(page_texts(pdfs["reading"])))
    assert "A person lying still on their back" in text  # the alt text stands in


def test_code_lines_are_kept(built):
    _, warnings, pdfs, _ = built["research-note.md"]
    assert warnings == []
    lines = [line.strip() for line in "\n".join(page_texts(pdfs["reading"])).splitlines()]
    assert "import pandas as pd" in lines
    assert 'trials = pd.read_csv("trials.csv")' in lines
    _, _, pdfs, _ = built["analysis.Rmd"]
    text = "\n".join(page_texts(pdfs["reading"]))
    lines = [line.strip() for line in text.replace("\r", "").splitlines()]
    assert "summary(fit)" in lines  # the chunk's last line, on a line of its own
    assert "{r" not in text  # R Markdown chunk headers are read as fences


def test_wide_table_keeps_its_last_column(built):
    _, _, pdfs, _ = built["research-note.md"]
    texts = page_texts(pdfs["reading"])
    page = next(
        t for t in texts if "Cyclobenzaprine" in flatten(t).replace("- ", "").replace("-", "")
    )
    assert "Avoid if" in page and "gravis" in page


def test_contents_and_bookmarks_to_level_three(built):
    _, _, pdfs, _ = built["research-note.md"]
    contents = flatten(page_texts(pdfs["reading"])[1])
    for heading in ("Background", "Methods", "Search", "Analysis", "Results"):
        assert heading in contents
    assert "Inclusion criteria" not in contents and "Exclusion" not in contents
    with pikepdf.open(io.BytesIO(pdfs["reading"])) as pdf, pdf.open_outline() as outline:
        top = [item.title for item in outline.root]
        background = next(item for item in outline.root if item.title == "Background")
        methods = background.children[0]
        assert [c.title for c in methods.children] == ["Search", "Analysis"]
        assert "Contents" in top and "About this booklet" in top
        titles = [i.title for i in _walk(outline.root)]
        assert "Inclusion criteria" not in titles


def _walk(items):
    for item in items:
        yield item
        yield from _walk(item.children)


def test_no_headings_running_head_shows_the_title(built):
    _, _, pdfs, _ = built["long-title.md"]
    essay_page = next(t for t in page_texts(pdfs["reading"]) if "Some booklets" in t)
    assert "Understanding and Managing" in essay_page
    assert "Contents" not in essay_page


def test_long_title_cover_lines_are_disjoint_and_on_the_page(built):
    _, _, pdfs, _ = built["long-title.md"]
    assert set(pdfs) == set(COVER_EDITIONS)
    for edition, data in pdfs.items():
        document = pdfium.PdfDocument(data)
        page = document[0]
        width, height = page.get_size()
        text = page.get_textpage()
        boxes = [text.get_rect(i) for i in range(text.count_rects())]
        assert len(boxes) >= 8, edition
        for left, bottom, right, top in boxes:
            assert 0 <= left and right <= width and 0 <= bottom and top <= height, edition
        for a, b in itertools.combinations(boxes, 2):
            overlap_x = min(a[2], b[2]) - max(a[0], b[0])
            overlap_y = min(a[3], b[3]) - max(a[1], b[1])
            assert overlap_x <= 0.5 or overlap_y <= 0.5, f"{edition}: cover lines overlap"
        cover = flatten(text.get_text_range())
        assert "A Practical Guide for Patients and Carers" in cover
        assert "Pain Management Clinic" in cover and "With a log to fill in" in cover
        document.close()


def test_allowed_raw_html_passes_the_rest_is_text(built):
    _, warnings, pdfs, folder = built["long-title.md"]
    text = flatten(" ".join(page_texts(pdfs["reading"])))
    assert "H2O, 103 , strong and bold" in text  # <sub>, <sup>, <strong>, <b> obeyed
    assert "<script>alert(1)" in text and "<form action=" in text
    kinds = [w for w in warnings if "raw HTML" in w]
    assert len(kinds) == 5  # one per kind: span, form, input, a, script
    line = line_of("long-title.md", "<script>")
    assert any(
        w.startswith(f"Warning: {folder}/long-title.md:{line}: raw HTML <script>") for w in kinds
    )


def test_hugo_toml_front_matter_and_shortcodes(tmp_path):
    """Hugo writes TOML between +++ lines and {{< shortcodes >}}: read, and named."""
    essay = tmp_path / "sciatica.md"
    essay.write_text(
        '+++\ntitle = "Sciatica: what to expect"\ndraft = true\n+++\n\n'
        '{{< figure src="/img/nerve.png" caption="The nerve" >}}\n\n'
        "Keep moving. {% include note.html %}\n"
    )
    out = tmp_path / "s.pdf"
    result = run_cli(essay, "-o", out)
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert f"Warning: {essay}:3: front matter: ignored 'draft'" in warnings[0]
    assert warnings[1].startswith(f"Warning: {essay}:6: site shortcode {{{{< figure >}}}} left out")
    assert warnings[2].startswith(f"Warning: {essay}:8: site shortcode {{% include %}} left out")
    text = flatten(" ".join(page_texts(out.read_bytes())))
    assert "Sciatica: what to expect" in text and "Keep moving." in text
    assert "{{" not in text and "{%" not in text


def test_code_keeps_what_looks_like_shortcodes_and_headings(tmp_path):
    """Inside fenced blocks and code spans, {% … %}, {{< … >}} and <h2> stay as written."""
    essay = tmp_path / "code.md"
    essay.write_text(
        "---\ntitle: Code\n---\n\n```jinja\n{% if user %}Hi {{ user }}{% endif %}\n```\n\n"
        'Use `{{< ref "x" >}}` in Hugo.\n\n```html\n<h2>Not a heading</h2>\n```\n\n'
        "<h2>A heading</h2>\n\nText.\n"
    )
    result = run_cli(essay, "-o", tmp_path / "code.pdf")
    assert result.exit_code == 0, result.output
    assert "shortcode" not in result.stderr
    text = flatten(" ".join(page_texts((tmp_path / "code.pdf").read_bytes())))
    assert "{% if user %}Hi {{ user }}{% endif %}" in text
    assert '{{< ref "x" >}}' in text and "<h2>Not a heading</h2>" in text
    contents = page_texts((tmp_path / "code.pdf").read_bytes())[1]
    assert "A heading" in contents and "Not a heading" not in contents
