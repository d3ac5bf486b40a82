"""What makes builds fast stays correct: stage timings, the dictionary look-up, the quick exit."""

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conftest import build_py  # noqa: E402

from booklet import timings  # noqa: E402
from booklet.readability import _cmudict_data, _Pronunciations  # noqa: E402

ESSAY = ROOT / "content" / "essay.md"


def _parsed_dictionary():
    """The CMU dictionary parsed line by line, first pronunciation of each word."""
    words = {}
    for line in bytes(_cmudict_data()).decode("utf-8").splitlines():
        word, _, phones = line.partition(" ")
        words.setdefault(word, phones.split("#", 1)[0].split())
    return words


def test_dictionary_look_up_agrees_with_the_whole_file():
    words = _parsed_dictionary()
    looked_up = _Pronunciations()
    # Every 25th word, the first and last, and the neighbours the file has out of order.
    sample = list(words)[::25] + [next(iter(words)), list(words)[-1]]
    sample += ["sepulveda", "sepultura", "stilton", "stilted", "ibuprofen"]
    for word in (w for w in sample if "(" not in w):
        assert looked_up[word] == [words[word]], word
    for absent in ("notaword", "zzzzzzzz", "sepulvedb", "aaaaaaaaa"):
        with pytest.raises(KeyError):
            looked_up[absent]


def test_stages_are_null_when_timings_are_off():
    if timings.enabled():
        pytest.skip("BOOKLET_TIMINGS is set for this run")
    assert timings.stage("layout") is timings.stage("reading level")


@pytest.mark.slow
def test_timings_name_every_stage_of_a_real_build(tmp_path):
    record = tmp_path / "timings.json"
    done = build_py("-q", "-o", tmp_path / "essay.pdf", env={"BOOKLET_TIMINGS": str(record)})
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "essay.pdf").read_bytes().startswith(b"%PDF")
    stages = json.loads(record.read_text())
    for name in (
        "imports: WeasyPrint, Markdown, Jinja",
        "reading: front matter, Markdown, sanitiser",
        "render (Jinja)",
        "CSS: stylesheets, cascade",
        "fonts: @font-face",
        "layout",
        "write: PDF objects",
        "finisher (PDF/UA)",
        "reading level",
        "write files",
    ):
        wall, cpu = stages[name]
        assert wall >= 0 and cpu >= 0, name
    assert sum(wall for wall, _ in stages.values()) > 0.1


@pytest.mark.slow
def test_quick_exit_flushes_output_and_leaves_no_font_copies(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = build_py("-o", tmp_path / "essay.pdf", env={"TMPDIR": str(temporary)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Wrote ")
    assert "Reading level: grade" in done.stdout
    # WeasyPrint copies the @font-face files into a folder it removes when collected.
    assert [p.name for p in temporary.iterdir() if p.name.startswith("weasyprint-")] == []
    failed = build_py(tmp_path / "missing.md", env={"TMPDIR": str(temporary)})
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: ") and "file not found" in failed.stderr


def test_quick_c_types_are_the_types_cffis_parser_makes():
    """Every simple type name WeasyPrint asks cffi for gives the parser's own C type."""
    from booklet.startup import import_weasyprint

    import_weasyprint()
    from weasyprint.text.ffi import ffi

    quick = ffi._parser.parse_type_and_quals
    assert getattr(quick, "quick", False)
    parse = type(ffi._parser).parse_type_and_quals  # cffi's own, through its C parser
    names = [
        "PangoFcFontMap *",  # a typedef of an opaque struct
        "FcChar8 **",
        "char[]",
        "char[4]",
        "PangoRectangle *",
        "PangoLogAttr[]",
        "unsigned int *",  # a primitive of two words
        "hb_tag_t[100]",
        "hb_codepoint_t[55]",
        "int",
        "double *",
        "const char *",  # not simple: the parser's
        "struct _PangoRectangle *",
    ]
    for name in names:
        mine, theirs = quick(name), parse(ffi._parser, name)
        assert mine == theirs, name
        with ffi._lock:  # cffi's own C type objects: the same one for both
            assert ffi._get_cached_btype(mine[0]) is ffi._get_cached_btype(theirs[0]), name
    assert ffi.sizeof("hb_codepoint_t[55]") == 55 * ffi.sizeof("hb_codepoint_t")


def test_hyphenation_patterns_read_back_are_the_ones_parsed(tmp_path, monkeypatch):
    """Kept patterns are Pyphen's own; a damaged file is parsed again, never trusted."""
    import tempfile

    import pyphen

    from booklet import cache, hyphenation

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(pyphen, "hdcache", {})
    hyphenation.keep_patterns()
    path = pyphen.LANGUAGES["es"]
    parsed = pyphen.HyphDict(path)
    first = pyphen.Pyphen(lang="es")  # parsed, and kept
    (kept,) = cache.folder().glob("*.hyph")
    monkeypatch.setattr(pyphen, "hdcache", {})
    hyphenation.keep_patterns()
    again = pyphen.Pyphen(lang="es")  # read back
    assert again.hd is not first.hd and again.hd.patterns == parsed.patterns
    assert (
        again.inserted("hospitalización") == first.inserted("hospitalización") != "hospitalización"
    )
    kept.write_bytes(kept.read_bytes()[:-7])  # cut short
    monkeypatch.setattr(pyphen, "hdcache", {})
    hyphenation.keep_patterns()
    assert pyphen.Pyphen(lang="es").hd.patterns == parsed.patterns


def test_fonttools_subsetter_and_instancer_load_only_when_weasyprint_uses_them():
    """Deferred at start, both work when called: the subsetter (no libharfbuzz-subset)
    and the variable-font instancer are fontTools' own."""
    import subprocess

    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from booklet.startup import import_weasyprint
import_weasyprint()
print("fontTools.subset.svg" in sys.modules, "fontTools.varLib" in sys.modules)
import weasyprint.pdf.fonts as fonts
options = fonts.subset.Options()  # the real subsetter, loaded now
print("fontTools.subset.svg" in sys.modules, type(options).__module__)
from fontTools.ttLib import TTFont
face = TTFont({str(ROOT / "templates" / "fonts" / "NotoSansMono-Regular.ttf")!r})
try:
    fonts.instantiateVariableFont(face, {{"wght": 400}}, static=True)
except ValueError as error:  # a static face: fontTools' own refusal
    print(error)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "False False"
    assert out[1] == "True fontTools.subset"
    assert "fvar" in out[2]


def test_the_field_face_is_embedded_without_the_adobe_glyph_list():
    """WeasyPrint reads every glyph of a field's face; the placeholder names its glyphs,
    so fontTools never imports and builds the Adobe Glyph List for it (~30 ms)."""
    import subprocess

    code = f"""
import sys
from fontTools.ttLib import TTFont
face = TTFont({str(ROOT / "templates" / "fonts" / "BookletFieldPlaceholder.ttf")!r})
widths = [glyph.width for glyph in face.getGlyphSet().values()]  # as WeasyPrint does
print(face.getGlyphOrder(), widths, face.getBestCmap(), "fontTools.agl" in sys.modules)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == "['.notdef', 'space'] [527, 280] {32: 'space'} False".split()


def test_kept_catalogues_and_directions_read_back_the_same(tmp_path, monkeypatch):
    """A language's words and direction, kept in the cache folder, are what Babel gives;
    a damaged kept file is worked out again, never trusted."""
    import tempfile

    from babel import Locale

    from booklet import cache, language

    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    po = tmp_path / "fr.po"
    po.write_bytes((ROOT / "templates" / "locale" / "fr.po").read_bytes())
    compiled = language._translations.__wrapped__(po, 1)
    (kept,) = cache.folder().glob("*.mo")
    again = language._translations.__wrapped__(po, 2)  # read back, Babel not asked
    words = [m.id for m in language.read_catalogue(po) if m.id and m.string][:20]
    assert len(words) == 20
    assert [again.gettext(w) for w in words] == [compiled.gettext(w) for w in words]
    assert again.gettext(words[0]) != words[0]  # French, not the English msgid
    kept.write_bytes(b"booklet catalogue 1\n" + b"\xde\x12\x04")  # damaged
    assert language._translations.__wrapped__(po, 3).gettext(words[0]) == compiled.gettext(words[0])
    for tag, babel_name in [("ar", "ar"), ("he-IL", "he_IL"), ("fa", "fa"), ("fr", "fr")]:
        expected = "rtl" if Locale.parse(babel_name).character_order == "right-to-left" else "ltr"
        assert language.direction(tag) == language.direction(tag) == expected, tag
    assert len(list(cache.folder().glob("*.dir"))) >= 4
    for kept in cache.folder().glob("*.dir"):
        kept.write_bytes(b"booklet direction 1\nsideways")
    assert language.direction("ar") == "rtl" and language.direction("fr") == "ltr"
    assert language.direction("xx-nowhere") == "ltr"


@pytest.mark.slow
def test_kept_c_declarations_give_cffi_the_same_types(tmp_path):
    """WeasyPrint's C declarations read back parsed are the ones cffi's parser makes."""
    import subprocess

    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from contextlib import nullcontext
import booklet.startup as startup
if sys.argv[1] == "parse":
    startup._kept_c_declarations = nullcontext
startup.import_weasyprint()
from weasyprint.text.ffi import ffi
parser = ffi._parser
for name, (tp, quals) in sorted(parser._declarations.items()):
    print(name, tp._get_c_name() if hasattr(tp, "_get_c_name") else repr(tp), quals)
print(sorted(parser._int_constants.items()))
print(ffi.sizeof("PangoRectangle"), ffi.offsetof("PangoRectangle", "height"))
"""
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # a cache folder of its own

    def dump(mode):
        return subprocess.run(
            [sys.executable, "-c", code, mode], capture_output=True, text=True, check=True, env=env
        ).stdout

    parsed = dump("parse")
    assert not list(tmp_path.glob("booklet-cache-*/*.cdef"))
    first, again = dump("kept"), dump("kept")  # parsed and kept, then read back
    (kept,) = tmp_path.glob("booklet-cache-*/*.cdef")
    assert parsed.count("\n") > 200 and "function pango_layout_set_text" in parsed
    assert first == again == parsed
    kept.write_bytes(kept.read_bytes()[:-100])  # damaged: parsed again
    assert dump("kept") == parsed


@pytest.mark.parametrize("large_print", [False, True])
def test_every_log_card_is_laid_out_once(monkeypatch, large_print):
    """WeasyPrint lays a page's last block out again when its bottom padding reaches the
    page's foot (it counts that padding twice); full pages of cards did, every page. The
    cards keep their bottom space in the last row's margin, so each is laid out once."""
    from weasyprint.layout import block

    from booklet.editions import Edition
    from booklet.essay import read_essay
    from booklet.layout import lay_out
    from booklet.render import render_html
    from booklet.settings import load_clinic

    layouts = []
    original = block.block_level_layout

    def counted(context, box, *args, **kwargs):
        if box.element_tag == "div" and "episode" in (box.element.get("class") or "").split():
            layouts.append(box.element.get("aria-label"))
        return original(context, box, *args, **kwargs)

    monkeypatch.setattr(block, "block_level_layout", counted)
    html = render_html(read_essay(ESSAY), load_clinic(None), Edition(large_print=large_print), 3)
    layout = lay_out(html, ROOT.as_uri() + "/", [ROOT], ESSAY)
    cards = html.count('<div class="episode"')
    assert cards == 6 and len(layout.document.pages) > 3
    assert sorted(layouts) == sorted(set(layouts)) and len(layouts) == cards, layouts


def test_stylesheets_parsed_once_give_the_booklet_their_links_give(tmp_path, monkeypatch):
    """The shipped stylesheets reach WeasyPrint parsed once a process; the booklet is the
    same, byte for byte, as when the HTML links them and WeasyPrint parses them itself."""
    from conftest import make_pdfs

    from booklet import layout
    from booklet.editions import Edition

    shipped = [ROOT / "templates" / name for name in Edition(large_print=True).stylesheets]
    sheets = layout.shared_stylesheets(shipped)
    assert [sheet.path for sheet in sheets] == shipped
    assert layout.shared_stylesheets(shipped)[0].css is sheets[0].css  # parsed once
    given, original = [], layout.shared_stylesheets

    def recorded(paths, link=False):
        given.append(None if link else original(paths))
        return given[-1]

    monkeypatch.setattr(layout, "shared_stylesheets", recorded)
    (shared,) = make_pdfs(tmp_path, large_print=True, log_pages=2)[0].values()
    assert [sheet.css for sheet in given.pop()] == [sheet.css for sheet in sheets]
    monkeypatch.setattr(layout, "shared_stylesheets", lambda paths: recorded(paths, link=True))
    (linked,) = make_pdfs(tmp_path, large_print=True, log_pages=2)[0].values()
    assert given == [None]
    assert shared == linked and len(shared) > 20_000


def test_a_stylesheet_that_reads_other_files_is_linked_and_an_edited_one_parsed_again(
    tmp_path,
):
    """@import, @font-face and url() are left to the build's own sandboxed fetcher; a
    sheet edited under --watch is parsed again, and every sheet is among the files read."""
    from booklet import layout
    from booklet.layout import lay_out, shared_stylesheets

    plain = tmp_path / "plain.css"
    plain.write_text(
        "@page { size: A5; @bottom-center { content: counter(page) } }\np { color: red }"
    )
    first = shared_stylesheets([plain])
    assert first is not None and first[0].records == ()
    for text in (
        "@import url(other.css);",
        "@font-face { font-family: X; src: url(x.ttf) }",
        ".essay { background: url(bg.png) }",
        "/* mail me@example.org */ p { color: red }",  # unsure: linked, as before
    ):
        other = tmp_path / f"other{len(text)}.css"
        other.write_text(text)
        assert shared_stylesheets([plain, other]) is None, text
    assert shared_stylesheets([tmp_path / "missing.css"]) is None
    plain.write_text("p { color: blue; colour: green }")  # edited: a new size, parsed again
    again = shared_stylesheets([plain])
    assert again[0].css is not first[0].css
    assert [key for key in layout._PARSED if key[0] == plain] == [
        (plain, plain.stat().st_mtime_ns, plain.stat().st_size)
    ]  # the last parse only: a long --watch keeps one per sheet
    assert any("colour" in record.getMessage() for record in again[0].records)
    html = "<p>Hello</p>"
    laid = lay_out(html, tmp_path.as_uri() + "/", [tmp_path], tmp_path / "x.md", None, again)
    assert plain in laid.read
    assert any("colour" in problem.reason for problem in laid.problems)  # said every build
