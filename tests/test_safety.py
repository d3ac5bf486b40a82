"""Hostile references never reach the PDF or the network; bad input is one clear line."""

import http.server
import io
import shutil
import threading

import pikepdf
import pytest
from conftest import ROOT, flatten, make_pdfs, page_texts, run_cli

MARKER = b"SECRET-MARKER-7f3a"


def png(marker):
    """A real 1x1 PNG carrying `marker` in a text chunk, so a leak is findable."""
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", marker.decode())
    out = io.BytesIO()
    Image.new("RGB", (1, 1), (200, 30, 30)).save(out, "PNG", pnginfo=info, compress_level=0)
    return out.getvalue()


PNG = png(MARKER)


class Recorder(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):  # noqa: N802
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 that records every request it gets."""
    Recorder.requests = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def layout(tmp_path):
    """An essay folder beside a secret folder, and a copy of the templates."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.png").write_bytes(PNG)
    (outside / "secret.css").write_text("body { color: red }")
    essay_dir = tmp_path / "essay"
    essay_dir.mkdir()
    (essay_dir / "inside.png").write_bytes(png(b"INSIDE-OK"))
    (essay_dir / "link.png").symlink_to(outside / "secret.png")
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    return tmp_path, essay_dir, templates


def essay_with(essay_dir, body):
    path = essay_dir / "essay.md"
    path.write_text(f"---\ntitle: Test essay\n---\n\n# Test essay\n\n{body}\n")
    return path


def leaks(data):
    """Whether the marker is anywhere in the PDF: raw bytes or any decoded stream."""
    if MARKER in data:
        return True
    pdf = pikepdf.open(io.BytesIO(data))
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Stream):
            try:
                if MARKER in obj.read_bytes():
                    return True
            except pikepdf.PdfError:
                pass
    return False


def attachments(data):
    pdf = pikepdf.open(io.BytesIO(data))
    names = pdf.Root.get("/Names", {})
    files = [
        str(a.Subtype)
        for p in pdf.pages
        for a in p.get("/Annots", [])
        if a.Subtype == "/FileAttachment"
    ]
    return ("/EmbeddedFiles" in names) or bool(files)


@pytest.mark.parametrize(
    "reference",
    [
        "{outside}/secret.png",  # absolute path
        "file://{outside}/secret.png",  # file URL outside
        "../outside/secret.png",  # ..
        "%2e%2e/outside/secret.png",  # percent-encoded ..
        "%2E%2E%2Foutside%2Fsecret.png",  # percent-encoded slashes too
        "link.png",  # symlink out of the folder
        "file://localhost{outside}/secret.png",
    ],
)
def test_markdown_image_outside_the_folder_is_refused(layout, reference):
    tmp_path, essay_dir, _ = layout
    reference = reference.format(outside=tmp_path / "outside")
    source = essay_with(essay_dir, f"![inside](inside.png)\n\n![x]({reference})")
    pdfs, warnings = make_pdfs(tmp_path, source=source)
    data = pdfs["reading copy"]
    assert not leaks(data)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{source}:")  # the essay, and the image's line
    assert ": refused to read " in warnings[0] and "outside the folders" in warnings[0]
    pdf = pikepdf.open(io.BytesIO(data))
    images = [
        o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"
    ]
    assert len(images) == 1  # the image inside the folder, and only that one


def test_http_image_is_never_requested(layout, server):
    tmp_path, essay_dir, _ = layout
    source = essay_with(essay_dir, f"![x]({server}/pixel.png)\n\n<{server}/autolink>")
    pdfs, warnings = make_pdfs(tmp_path, source=source)
    assert Recorder.requests == []
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{source}:")
    assert warnings[0].endswith(
        f": refused to read {server}/pixel.png: the booklet never makes a network request"
    )
    assert not leaks(pdfs["reading copy"])


@pytest.mark.parametrize(
    "css",
    [
        "@import url({outside_url}/secret.css);",
        "@import url({server}/remote.css);",
        "@font-face {{ font-family: X; src: url({outside_url}/secret.png); }} body {{ font-family: X }}",
        "@font-face {{ font-family: Y; src: url({server}/font.ttf); }} body {{ font-family: Y }}",
        ".essay {{ background: url({outside_url}/secret.png); }}",
        ".essay {{ background: url({server}/bg.png); }}",
        ".essay {{ background: url(../outside/secret.png); }}",
    ],
)
def test_stylesheet_references_are_refused(layout, server, css):
    tmp_path, essay_dir, templates = layout
    outside_url = (tmp_path / "outside").as_uri()
    rule = css.format(outside_url=outside_url, server=server)
    sheet = templates / "booklet.css"
    sheet.write_text(rule + "\n" + sheet.read_text())  # @import is only valid first
    source = essay_with(essay_dir, "Hello.")
    pdfs, warnings = make_pdfs(tmp_path, source=source, templates=templates)
    assert Recorder.requests == []
    # named in the stylesheet that asked, on its line
    assert any(w.startswith(f"{sheet}:1: refused to read ") for w in warnings), warnings
    assert not leaks(pdfs["reading copy"])


@pytest.mark.parametrize(
    "tag",
    [
        '<link rel="attachment" href="{outside_url}/secret.png">',
        '<link rel="attachment" href="{server}/file.bin">',
        '<a rel="attachment" href="{outside_url}/secret.png">file</a>',
    ],
)
def test_attachments_cannot_embed_anything_from_outside(layout, server, tag):
    tmp_path, essay_dir, templates = layout
    outside_url = (tmp_path / "outside").as_uri()
    page = (templates / "booklet.html").read_text()
    tag = tag.format(outside_url=outside_url, server=server)
    where = "</head>" if tag.startswith("<link") else "</main>"
    (templates / "booklet.html").write_text(page.replace(where, tag + where))
    source = essay_with(essay_dir, "Hello.")
    pdfs, warnings = make_pdfs(tmp_path, source=source, templates=templates)
    assert Recorder.requests == []
    assert not leaks(pdfs["reading copy"])
    assert not attachments(pdfs["reading copy"])


def test_strict_turns_a_refusal_into_an_error(layout):
    tmp_path, essay_dir, _ = layout
    source = essay_with(essay_dir, "![x](../outside/secret.png)")
    out = tmp_path / "strict.pdf"
    result = run_cli(source, "-o", out, "--strict")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {source}:")
    assert ": refused to read ../outside/secret.png: outside the folders" in result.stderr
    assert "(--strict)" in result.stderr
    assert not out.exists()


def test_raw_html_is_shown_as_text_not_obeyed(layout):
    """Only a few harmless tags (<b>, <br>, <sup> …) pass; <img> is an image, sandboxed."""
    tmp_path, essay_dir, _ = layout
    html = '<img src="../outside/secret.png" alt="The secret"> and <b>bold</b>\n\nA <script>'
    source = essay_with(essay_dir, html)
    pdfs, warnings = make_pdfs(tmp_path, source=source)
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{source}:7: refused to read ../outside/secret.png: outside")
    assert warnings[1].startswith(f"{source}:9: raw HTML <script> is shown as text")
    text = flatten(" ".join(page_texts(pdfs["reading copy"])))
    assert "The secret and bold A <script>" in text and "<img" not in text
    assert not leaks(pdfs["reading copy"])


def test_no_temporary_files_left_when_interrupted(tmp_path, monkeypatch):
    """Ctrl-C while writing: old output untouched, no temporary file left."""
    from booklet import output

    target = tmp_path / "b.pdf"
    target.write_bytes(b"old booklet")
    real_replace = output.os.replace

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        output.write_files({target: b"%PDF-new", tmp_path / "b-print.pdf": b"%PDF-print"})
    monkeypatch.setattr(output.os, "replace", real_replace)
    assert target.read_bytes() == b"old booklet"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.pdf"]
