"""No title, no language: the build guesses, says so with a line, and --check agrees."""

import io
import json
import shutil
import subprocess
import sys

import pikepdf
import pytest
from conftest import ROOT, flatten, line_ends, make_pdfs, page_texts, run_cli

from booklet.editions import EDITIONS
from booklet.essay import read_essay
from booklet.render import render_html
from booklet.settings import load_clinic

GUESSING = ROOT / "tests" / "guessing"


def built(tmp_path, name, **options):
    """The reading copy of a handout under tests/guessing (or a path), and the warnings."""
    source = name if not isinstance(name, str) else GUESSING / name
    pdfs, warnings = make_pdfs(tmp_path, source=source, **options)
    return pdfs["reading copy"], warnings


def pdf_facts(data):
    """(the PDF's /Lang, its metadata title) as a reader's software sees them."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return str(pdf.Root.Lang), str(pdf.docinfo.get("/Title", ""))


def check_json(path):
    """`python build.py FILE --check --json` as one parsed object."""
    result = run_cli(path, "--check", "--json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def html_of(path):
    """The booklet's HTML for an essay, as the build renders it."""
    return render_html(read_essay(path), load_clinic(None), EDITIONS["reading"].edition)


def flush_right(data, page):
    """True when the page's lines end flush right and start ragged (set right to left)."""
    edges = line_ends(data, page)
    right = max(e[1] for e in edges)
    left = min(e[0] for e in edges)
    ends = sum(abs(e[1] - right) <= 2 for e in edges)
    starts = sum(abs(e[0] - left) <= 2 for e in edges)
    return ends >= 4 and ends > 2 * starts


# --- the language, guessed ----------------------------------------------------------


def test_arabic_with_no_front_matter_is_right_to_left_and_said(tmp_path):
    data, warnings = built(tmp_path, "symptoms-ar.md")
    path = GUESSING / "symptoms-ar.md"
    assert (
        f"{path}:1: no 'lang:' in the front matter: the text reads as Arabic (ar), set right to left; add 'lang: ar' to say so"
        in warnings
    )
    title = "متى تتصل بالطبيب بعد العملية"
    assert (
        f"{path}:1: no 'title:' in the front matter: the title is the first heading, \"{title}\" (line 1); "
        "add 'title: …' to choose another"
    ) in warnings
    assert pdf_facts(data) == ("ar", title)
    texts = page_texts(data)
    assert "بالطبيب" in texts[0]  # the heading is the cover's title
    essay_page = next(i for i, t in enumerate(texts) if i > 1 and "الماء" in t)
    assert flush_right(data, essay_page)
    assert 'dir="rtl"' in html_of(path).split(">", 2)[1]


def test_arabic_is_never_graded_with_an_english_formula(tmp_path):
    report = check_json(GUESSING / "symptoms-ar.md")
    assert report["language"] == "ar"
    assert report["formula"] == "OSMAN"  # Arabic's own formula, not SMOG (it said 4.6)
    assert report["smog"] is None and report["grade"] is not None


def test_hebrew_with_no_front_matter_is_right_to_left_and_not_graded(tmp_path):
    data, warnings = built(tmp_path, "after-birth-he.md")
    path = GUESSING / "after-birth-he.md"
    assert (
        f"{path}:1: no 'lang:' in the front matter: the text reads as Hebrew (he), set right to left; add 'lang: he' to say so"
        in warnings
    )
    assert pdf_facts(data) == ("he", "אחרי הלידה: מה לשים לב")
    essay_page = next(i for i, t in enumerate(page_texts(data)) if i > 1 and "מים" in t)
    assert flush_right(data, essay_page)
    report = check_json(path)
    assert (report["language"], report["formula"], report["grade"]) == ("he", "none", None)
    assert any("no readability formula for Hebrew (he): not graded" in n for n in report["notes"])
    text = run_cli(path, "--check")
    assert text.exit_code == 0
    assert text.stdout.startswith(f"{path}: not graded (he) — no readability formula for it")


@pytest.mark.parametrize(
    ("name", "tag", "language", "title", "formula", "contents"),
    [
        ("gripe-es.md", "es", "Spanish", "La gripe en casa", "Szigriszt–Pazos (INFLESZ)", "Índice"),
        (
            "premiers-secours-fr.md",
            "fr",
            "French",
            "Brûlures : les premiers gestes",
            "Kandel–Moles",
            "Sommaire",
        ),
        (
            "ruecken-de.md",
            "de",
            "German",
            "Rückenschmerzen: was hilft",
            "Amstad",
            "Inhalt",
        ),
    ],
)
def test_a_latin_script_language_is_detected(
    tmp_path, name, tag, language, title, formula, contents
):
    data, warnings = built(tmp_path, name)
    path = GUESSING / name
    assert (
        f"{path}:1: no 'lang:' in the front matter: the text reads as {language} ({tag}), set left to right; add 'lang: {tag}' to say so"
        in warnings
    )
    assert pdf_facts(data) == (tag, title)
    texts = page_texts(data)
    assert title in flatten(texts[0])
    assert contents in texts[1]  # the booklet's own words from that language's catalogue
    report = check_json(path)
    assert (report["language"], report["formula"]) == (tag, formula)


def test_the_build_says_the_reading_level_it_measured_in_the_guessed_language(tmp_path):
    result = run_cli(GUESSING / "ruecken-de.md", "-o", tmp_path / "r.pdf")
    assert result.exit_code == 0, result.output
    assert "Reading level: grade " in result.stdout
    result = run_cli(GUESSING / "after-birth-he.md", "-o", tmp_path / "h.pdf")
    assert result.exit_code == 0, result.output
    assert "Reading level: not graded — no readability formula for Hebrew (he)" in result.stdout


def test_chinese_is_detected_from_its_script_and_not_graded():
    path = GUESSING / "bowel-prep-zh.md"
    essay = read_essay(path)
    assert essay.language == "zh"
    assert (
        f"{path}:1: no 'lang:' in the front matter: the text reads as Chinese (zh), set left to right; add 'lang: zh' to say so"
        in essay.warnings
    )
    assert '<html lang="zh" dir="ltr"' in html_of(path)
    report = check_json(path)
    assert (report["language"], report["formula"], report["grade"]) == ("zh", "none", None)


def test_a_two_line_note_with_no_front_matter_is_english_titled_by_its_file_name(tmp_path):
    source = tmp_path / "bowel-prep_v2.md"
    shutil.copy(GUESSING / "dressing-note.md", source)
    data, warnings = built(tmp_path, source)
    assert warnings == [
        f"{source}:1: no 'title:' in the front matter and there is no heading: the title is the file's name, \"Bowel prep v2\"; "
        "add 'title: …' to choose another"
    ]  # a line or two of English: English, the default, without a word about it
    assert pdf_facts(data) == ("en", "Bowel prep v2")
    assert "Bowel prep v2" in page_texts(data)[0]


def test_a_short_text_that_reads_as_another_language_is_english_and_said(tmp_path):
    source = tmp_path / "nota.md"
    source.write_text("# Nota\n\nBuvez beaucoup d'eau.\n")
    essay = read_essay(source)
    assert essay.language == "en"
    assert (
        f"{source}:1: no 'lang:' in the front matter and too little text to tell the language "
        "(it reads most like French, fr): set as English (en); add 'lang: fr' if it is French"
    ) in essay.warnings


def test_detection_reads_prose_not_code_or_addresses(tmp_path):
    source = tmp_path / "g.md"
    english = "```\n" + "the and of to in for with on " * 40 + "\n```\n\n"
    source.write_text(
        "# Gripe\n\n" + english + "Beba mucha agua, descanse en casa y llame al centro de salud "
        "(https://www.example.org/the-and-of-the-english-words) si la fiebre dura más de tres días.\n"
    )
    assert read_essay(source).language == "es"


def test_lang_in_the_front_matter_is_never_second_guessed(tmp_path):
    source = tmp_path / "a.md"
    source.write_text(
        "---\ntitle: T\nlang: en\n---\n\n"
        + (GUESSING / "gripe-es.md").read_text().split("---\n", 2)[2]
    )
    essay = read_essay(source)
    assert essay.language == "en" and not any("lang:" in w for w in essay.warnings)


# --- the title ----------------------------------------------------------------------


def test_a_long_title_is_cut_at_a_word_and_the_cover_stays_one_page(tmp_path):
    words = "Advice after your operation on the knee and what to do at home " * 14
    source = tmp_path / "long.md"
    source.write_text(f"---\ntitle: {words.strip()}\nlang: en\n---\n\nRest your knee.\n")
    data, warnings = built(tmp_path, source)
    assert warnings == [
        f"{source}:2: the title is {len(words.strip())} characters, too long for a cover: it is cut "
        "to 200 (put the rest in 'subtitle:' or 'summary:')"
    ]
    title = pdf_facts(data)[1]
    assert title.endswith("…") and len(title) <= 200 and words.startswith(title[:-1])
    texts = page_texts(data)
    assert flatten(title[:-1]) in flatten(texts[0])
    assert "Contents" in texts[1]  # the cover did not push the contents onto page 3
    # The running head is one line of the title, cut short (read after the page's text).
    lines = texts[2].replace("\r", "").split("\n")
    assert lines[0] == "Rest your knee."
    head = lines[1].strip()
    assert head.endswith("…") and len(head) <= 61 and words.startswith(head[:-1])


def test_a_multi_line_title_is_one_line_in_the_metadata(tmp_path):
    source = tmp_path / "m.md"
    source.write_text(
        "---\ntitle: |\n  Your knee\n  after surgery\nsubtitle: >-\n  What to\n  expect\nlang: en\n---\n\nRest.\n"
    )
    essay = read_essay(source)
    assert (essay.title, essay.subtitle) == ("Your knee after surgery", "What to expect")
    data, _ = built(tmp_path, source)
    assert pdf_facts(data)[1] == "Your knee after surgery"


def test_an_empty_title_names_its_line(tmp_path):
    source = tmp_path / "e.md"
    source.write_text("---\nlang: en\ntitle:\n---\n\n## Rest\n\nRest your knee.\n")
    essay = read_essay(source)
    assert essay.title == "Rest"
    assert essay.warnings == (
        f"{source}:3: 'title' is empty: the title is the first heading, \"Rest\" (line 6); "
        "add 'title: …' to choose another",
    )


# --- the front matter ---------------------------------------------------------------


def test_conflicting_keys_are_a_warning_naming_both_lines(tmp_path):
    source = tmp_path / "c.md"
    source.write_text(
        "---\ntitle: Draft\nlang: fr\nlanguage: de\ntoc-depth: 1\ntoc_depth: 3\n"
        "title: Rückenschmerzen\n---\n\nBewegung hilft mehr als Bettruhe.\n"
    )
    essay = read_essay(source)
    assert (essay.title, essay.language, essay.toc_depth) == ("Rückenschmerzen", "de", 3)
    assert essay.warnings == (
        f"{source}:2: front matter sets 'title' more than once ('title' on line 2 and 'title' on line 7): the one on line 7 is used",
        f"{source}:3: front matter sets 'language' more than once ('lang' on line 3 and 'language' on line 4): the one on line 4 is used",
        f"{source}:5: front matter sets 'toc_depth' more than once ('toc-depth' on line 5 and 'toc_depth' on line 6): the one on line 6 is used",
    )


def test_yes_or_no_where_text_is_meant_is_a_warning(tmp_path):
    source = tmp_path / "s.md"
    source.write_text("---\ntitle: Knee\nsubtitle: true\nlang: en\n---\n\nRest.\n")
    essay = read_essay(source)
    assert essay.subtitle == ""
    assert essay.warnings == (
        f"{source}:3: 'subtitle: true' is read as yes/no, not text: left out "
        '(put the text in quotes, subtitle: "…", to print it)',
    )
    result = run_cli(source, "--strict", "-o", tmp_path / "s.pdf")
    assert result.exit_code == 1 and "'subtitle: true'" in result.stderr


@pytest.mark.parametrize(
    "text",
    [
        "---\n\nDrink plenty of water.\n\n---\n\nRest at home.\n",
        "---\nDrink plenty of water. Rest at home.\n---\n\nCall us if it gets worse.\n",
        "---\n- Drink water.\n- Rest.\n\n---\n",
    ],
)
def test_a_leading_rule_is_markdown_not_front_matter(tmp_path, text):
    source = tmp_path / "water.md"
    source.write_text(text)
    essay = read_essay(source)
    assert essay.html.startswith("<hr")
    assert "Drink" in essay.html


def test_front_matter_that_starts_like_it_and_is_broken_stays_an_error(tmp_path):
    source = tmp_path / "b.md"
    source.write_text("---\ntitle: [Knee\n---\n\nRest.\n")
    result = run_cli(source)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {source}:3: front matter is not valid YAML")


# --- the library --------------------------------------------------------------------


@pytest.mark.slow
def test_a_library_index_lists_a_handout_that_failed(tmp_path):
    library = tmp_path / "handouts"
    library.mkdir()
    shutil.copy(GUESSING / "gripe-es.md", library / "gripe.md")
    (library / "broken.md").write_text("---\ntitle: [Broken\n---\n\nText.\n")
    run = subprocess.run(
        [sys.executable, "build.py", library, "-o", tmp_path / "dist"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1
    index = (tmp_path / "dist" / "index.html").read_text()
    assert "2 handouts, 1 failed to build" in index
    row = index.split("broken.md", 1)[1].split("</tr>", 1)[0]
    assert f"Failed to build: {library}/broken.md:3: front matter is not valid YAML" in row
    assert "La gripe en casa" in index


def test_a_text_in_several_languages_is_english_and_said(tmp_path):
    source = tmp_path / "diabetes.md"
    source.write_text(
        "---\ntitle: Diabetes\n---\n\n"
        "Diabetes is a long-term condition. Check your blood sugar every day.\n\n"
        "Diabetes ialah penyakit jangka panjang. Periksa gula darah anda setiap hari.\n\n"
        "糖尿病是一种长期疾病。请每天检查您的血糖。糖尿病是一种长期疾病。请每天检查您的血糖。\n\n"
        "நீரிழிவு நோய் ஒரு நீண்ட கால நோய். உங்கள் இரத்த சர்க்கரையை தினமும் சரிபார்க்கவும்.\n"
    )
    essay = read_essay(source)
    assert essay.language == "en"
    (said,) = [w for w in essay.warnings if "'lang:'" in w]
    assert said.startswith(
        f"{source}:1: no 'lang:' in the front matter and the text mixes languages"
    )
    assert said.endswith(
        ": set as English (en); add 'lang: …' with the language's tag to say which"
    )
