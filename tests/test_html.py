"""The HTML the templates produce: compared whole against a reference file, and escaped."""

import os
from dataclasses import replace

from conftest import ESSAY, EXAMPLE_CLINIC, ROOT

from booklet.editions import Edition
from booklet.essay import read_essay
from booklet.logbook import default_log
from booklet.render import render_html
from booklet.settings import load_clinic

REFERENCE = ROOT / "tests" / "reference" / "booklet.html"


def rendered():
    html = render_html(read_essay(ESSAY), load_clinic(EXAMPLE_CLINIC), Edition(), log_pages=1)
    return html.replace(ROOT.as_uri(), "file://PROJECT")


def test_html_matches_the_reference():
    """Regenerate on purpose with UPDATE_REFERENCE=1 after a deliberate template change."""
    html = rendered()
    if os.environ.get("UPDATE_REFERENCE"):
        REFERENCE.write_text(html)
    assert html == REFERENCE.read_text()


def test_clinic_text_is_escaped():
    clinic = replace(load_clinic(EXAMPLE_CLINIC), name='<script>alert("x")</script>')
    html = render_html(read_essay(ESSAY), clinic, Edition(), log_pages=0)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_every_writing_line_of_the_log_is_a_field():
    html = render_html(read_essay(ESSAY), load_clinic(None), Edition(), log_pages=1)
    assert html.count('<input type="text" name="episode') == 18
    assert html.count('<textarea name="episode') == 2
    assert html.count('class="write') == 20


def test_large_print_uses_its_stylesheets():
    html = render_html(read_essay(ESSAY), load_clinic(None), Edition(large_print=True))
    assert 'large-print.css"' in html and 'page-a4.css"' in html
    assert 'page-a5.css"' not in html


def test_the_log_cards_carry_no_style_attributes_so_they_share_their_styles():
    """WeasyPrint shares one computed style between elements with the same classes and no
    style attribute: every card after the first is styled almost for free. The cells'
    widths and the fields' lines are classes, defined once in the head."""
    html = render_html(read_essay(ESSAY), load_clinic(None), Edition(), log_pages=2)
    log = html[html.index('<section class="log"') :]
    assert log.count('class="episode"') == 4
    assert " style=" not in log
    head = html[: html.index("</head>")]
    definition = default_log()
    assert definition.width_classes and definition.line_counts
    for width, name in definition.width_classes.items():
        assert name == "w" + str(width).replace(".", "-")
        assert f".log .{name} {{ width: {width}%; }}" in head
        assert f' {name}"' in log
    for lines in definition.line_counts:
        assert f".log .lines-{lines} {{ --lines: {lines}; }}" in head
