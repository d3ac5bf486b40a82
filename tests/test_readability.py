"""The reading-level check: figures against textstat's own, lines, problems, offline, light."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conftest import line_of  # noqa: E402

from booklet import readability  # noqa: E402
from booklet.errors import SourceError  # noqa: E402
from booklet.readability import (  # noqa: E402
    Report,
    as_json,
    check_essay,
    format_text,
    prose_text,
    read_prose,
    reading_level_line,
)
from booklet.rules import KINDS  # noqa: E402

ESSAY = ROOT / "content" / "essay.md"
LEAFLET = ROOT / "tests" / "readability" / "leaflet.md"
JSON_KEYS = {
    "language",
    "words",
    "sentences",
    "grade",
    "max_grade",
    "passed",
    "smog",
    "flesch_kincaid",
    "reading_ease",
    "long_sentences",
    "hard_words",
    "problems",
}


def naive_paragraphs(path):
    """The essay's paragraphs the simplest way: after the front matter, not headings."""
    body = Path(path).read_text().split("\n---\n", 1)[1]
    blocks = [" ".join(block.split()) for block in body.split("\n\n")]
    return " ".join(block for block in blocks if block and not block.startswith("#"))


@pytest.fixture(scope="module")
def essay():
    return check_essay(ESSAY)


def test_seed_essay_figures_agree_with_textstat(essay):
    textstat = readability.load_textstat().textstat
    extracted = prose_text(read_prose(ESSAY)[1])
    naive = naive_paragraphs(ESSAY)
    for prose in (extracted, naive):
        assert abs(essay.smog - textstat.smog_index(prose)) <= 1.5
        assert abs(essay.flesch_kincaid - textstat.flesch_kincaid_grade(prose)) <= 1.5
    assert essay.grade == essay.smog
    # the seed is far above the grade 8 patient material should meet
    assert essay.grade > 10 and not essay.passed
    assert abs(essay.words - len(naive.split())) <= 5
    assert essay.sentences >= 35
    assert essay.mean_sentence_length == round(essay.words / essay.sentences, 1)


def test_seed_essay_long_sentences_are_on_their_lines(essay):
    lines = ESSAY.read_text().splitlines()
    assert len(essay.long_sentences) == 10
    words = [s.words for s in essay.long_sentences]
    assert words == sorted(words, reverse=True)
    for sentence in essay.long_sentences:
        start = " ".join(sentence.text.split()[:5])
        assert start in lines[sentence.line - 1], (sentence.line, start)
        assert sentence.words == len(sentence.text.split())
    longest = essay.long_sentences[0]
    assert longest.text.startswith("Spasms are possible in cases of severe injury")
    assert longest.line == line_of(ESSAY, "Spasms are possible in cases of severe injury")
    sentence_problems = {p.line for p in essay.problems if p.kind == "sentence"}
    assert sentence_problems == {s.line for s in essay.long_sentences if s.words > 25}


def test_seed_essay_jargon_and_hard_words(essay):
    jargon = [p for p in essay.problems if p.kind == "jargon"]
    ischemia = line_of(ESSAY, "ischemia of the nerves")
    assert any(p.line == ischemia and "poor blood flow" in p.message for p in jargon)
    hard = {w.word: w for w in essay.hard_words}
    assert hard["ischemia"].count == 2
    assert hard["ischemia"].lines == [ischemia, line_of(ESSAY, "scientific result of ischemia")]
    assert "psychogenic" in hard
    # front matter keywords mention ischemia too; they are not prose
    assert all(line > 5 for w in essay.hard_words for line in w.lines)


def test_threshold_decides_passed():
    assert not check_essay(ESSAY, max_grade=6).passed
    report = check_essay(ESSAY, max_grade=30)
    assert report.passed and report.max_grade == 30


def test_leaflet_problems_on_their_lines():
    report = check_essay(LEAFLET)
    old_kinds = ("alt", "heading", "link", "caps", "sentence", "jargon")  # before the rules
    found = {(p.line, p.kind) for p in report.problems if p.kind in old_kinds}
    assert found == {
        (line_of(LEAFLET, "### Using a heat pack"), "heading"),
        (line_of(LEAFLET, "![](heat-pack.png)"), "alt"),
        (line_of(LEAFLET, "http://example.org/back-stretches"), "link"),
        (line_of(LEAFLET, "CALL 999 NOW"), "caps"),
    }
    assert report.language == "en-GB" and report.passed


def test_leaflet_measures_what_a_patient_reads():
    _, units, headings, _ = read_prose(LEAFLET)
    prose = prose_text(units)
    assert "Knee to chest" in prose and "30 seconds" in prose  # table cells
    assert "pulling one knee to the chest" in prose  # caption (alt text)
    assert "Do not sleep with a heat pack on." in prose  # list item
    assert "40 minutes off" not in prose  # fenced code
    assert "example.org" not in prose and "http" not in prose
    assert "Heat and stretching" not in prose  # title, heading and front matter
    assert [h.kind for h in headings] == ["h1", "h3", "h2"]
    cell = next(u for u in units if u.text == "Cat and camel")
    assert cell.line == line_of(LEAFLET, "Cat and camel")


def test_inline_markdown_is_stripped_and_lines_follow_wrapped_text(tmp_path):
    source = tmp_path / "inline.md"
    source.write_text(
        "---\ntitle: Inline\n---\n\n"
        "Rest **a little** each day, as [the NHS explains](https://www.nhs.uk/back-pain)[^1].\n"
        "Walk for ten minutes with `code here` removed.\n"
        "For our videos [click here](https://example.org/videos).\n\n"
        "A first sentence on this line, and the next one\n"
        "is wrapped. A second sentence starts at the end of this line\n"
        "and ends on the next one, with far more words than a patient in pain will read.\n\n"
        "[^1]: The NHS website has more on back pain.\n"
    )
    language, units, _, problems = read_prose(source)
    prose = prose_text(units)
    assert language == "en"
    assert "Rest a little each day, as the NHS explains." in prose
    assert "code here" not in prose and "https" not in prose and "*" not in prose
    assert "The NHS website has more on back pain." in prose
    assert [(p.line, p.kind) for p in problems] == [(7, "link")]
    assert "click here" in problems[0].message
    report = check_essay(source)
    second = next(s for s in report.long_sentences if s.text.startswith("A second"))
    assert second.line == 10
    assert [(p.line, p.kind) for p in report.problems if p.kind == "sentence"] == [(10, "sentence")]


def test_clinic_jargon_adds_and_overrides(essay):
    report = check_essay(ESSAY, extra_jargon={"Torment": "pain", "ischemia": "too little blood"})
    torment = [p for p in report.problems if p.kind == "jargon" and '"torment' in p.message]
    assert {p.line for p in torment} == {
        line_of(ESSAY, "You can not stop the torment"),
        line_of(ESSAY, "why spasms torment so many"),
    }
    ischemia = [p.message for p in report.problems if '"ischemia"' in p.message]
    assert ischemia and all("too little blood" in m for m in ischemia)
    assert report.grade == essay.grade  # words do not change the formula


def test_shipped_jargon_lists_read(tmp_path):
    folder = ROOT / "templates" / "jargon"
    lists = {path.stem: readability.read_jargon(path) for path in folder.glob("*.txt")}
    assert {"en", "es", "fr", "de"} <= set(lists)
    assert all(len(table) >= 20 for table in lists.values())
    assert lists["en"]["ischemia"] == "poor blood flow"
    assert lists["es"]["isquemia"] and lists["de"]["ischämie"] and lists["fr"]["ischémie"]
    broken = tmp_path / "en.txt"
    broken.write_text("# fine\nischemia -> poor blood flow\nmyalgia = muscle pain\n")
    with pytest.raises(SourceError, match=r"en\.txt:3: jargon lines"):
        check_essay(ESSAY, jargon_dir=tmp_path)


@pytest.mark.parametrize(
    "lang, text, formula, score",
    [
        (
            "es",
            "El dolor de espalda es frecuente. Casi siempre mejora en pocos días. "
            "Camine un poco cada día y use calor. La isquemia causa calambres.",
            "Szigriszt–Pazos (INFLESZ)",
            "szigriszt_pazos",
        ),
        (
            "de",
            "Rückenschmerzen sind häufig. Meist werden sie in wenigen Tagen besser. "
            "Gehen Sie jeden Tag ein wenig. Die Ischämie verursacht Krämpfe.",
            "Amstad",
            "amstad_reading_ease",
        ),
        (
            "fr",
            "Le mal de dos est fréquent. Il va souvent mieux en quelques jours. "
            "Marchez un peu chaque jour. L'ischémie cause des crampes.",
            "Kandel–Moles",
            "kandel_moles_reading_ease",
        ),
        (
            "it",
            "Il mal di schiena è comune. Di solito passa in pochi giorni. "
            "Cammini un poco ogni giorno e usi il calore.",
            "Gulpease",
            "gulpease",
        ),
    ],
)
def test_other_languages_use_their_own_formula(tmp_path, lang, text, formula, score):
    source = tmp_path / f"{lang}.md"
    source.write_text(f"---\nlang: {lang}\n---\n\n{text}\n")
    report = check_essay(source)
    assert report.language == lang and report.formula == formula
    assert score in report.scores
    assert report.smog is None and report.flesch_kincaid is None and report.reading_ease is None
    assert 0 < report.grade < 12  # short, plain sentences
    if lang in ("es", "de", "fr"):
        assert [p.line for p in report.problems if p.kind == "jargon"] == [5]


def test_unknown_language_falls_back_and_says_so(tmp_path):
    source = tmp_path / "sw.md"
    source.write_text("---\nlanguage: sw\n---\n\nMaumivu ya mgongo ni ya kawaida. Tembea kidogo.\n")
    report = check_essay(source)
    assert report.formula == "RIX" and report.grade >= 1
    assert any("no readability formula for 'sw'" in note for note in report.notes)


def test_user_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.md"  # read as the booklet reads it: a malformed tag is English
    bad.write_text("---\ntitle: T\nlang: english please\nlanguage: de\n---\n\nText.\n")
    assert check_essay(bad).language == "de"  # `language` wins over `lang`, as in the booklet
    bad.write_text("---\ntitle: T\nlang: english please\n---\n\nThis is text.\n")
    assert check_essay(bad).language == "en"
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: T\ndate: 2024-13-45\n---\n\nText.\n")
    with pytest.raises(SourceError, match=r"broken\.md:3: front matter has an impossible date"):
        check_essay(broken)
    empty = tmp_path / "empty.md"
    empty.write_text("---\ntitle: T\n---\n\n# Only a heading\n\n```\ncode\n```\n")
    with pytest.raises(SourceError, match="no prose to measure"):
        check_essay(empty)
    with pytest.raises(SourceError, match="file not found"):
        check_essay(tmp_path / "missing.md")


def test_json_has_the_promised_shape(essay):
    data = json.loads(as_json(essay))
    assert JSON_KEYS <= set(data)
    assert data["grade"] == essay.grade and data["passed"] is False and data["max_grade"] == 8
    assert set(data["long_sentences"][0]) == {"line", "words", "text"}
    assert set(data["hard_words"][0]) == {"word", "count", "lines"}
    assert all(set(p) == {"line", "kind", "message"} for p in data["problems"])
    assert {p["kind"] for p in data["problems"]} <= set(KINDS)


def test_plain_report_reads_in_ten_seconds(essay):
    text = format_text(essay)
    first = text.splitlines()[0]
    assert f"grade {essay.grade}" in first and "above the target of grade 8" in first
    longest = essay.long_sentences[0]
    assert re.search(rf"line {longest.line}\s+sentence\s+sentence of {longest.words} words", text)
    assert "Fix first:" in text and "ischemia" in text
    assert len(text.splitlines()) <= 26  # with the PEMAT scores and items
    leaflet = format_text(check_essay(LEAFLET))
    assert "within the target" in leaflet
    for needle in ("### Using", "![](heat-pack.png)", "http://example.org"):
        assert re.search(rf"line {line_of(LEAFLET, needle)}\b", leaflet), needle


def test_reading_level_line(essay):
    assert reading_level_line(essay, "python build.py") == (
        f"Reading level: grade {essay.grade} (target 8) — python build.py --check for details"
    )
    assert reading_level_line(essay).endswith("— booklet --check for details")  # installed
    whole = Report(
        path="x.md",
        language="en",
        formula="SMOG",
        grade=11.0,
        max_grade=8,
        passed=False,
        words=1,
        sentences=1,
        mean_sentence_length=1.0,
    )
    assert (
        reading_level_line(whole, "python build.py")
        == "Reading level: grade 11 (target 8) — python build.py --check for details"
    )


OFFLINE = """
import json, socket, sys, time
attempts = []
def refuse(self, address):
    attempts.append(address)
    raise OSError("network unreachable (test)")
socket.socket.connect = refuse
socket.getaddrinfo = lambda host, port, *a, **k: refuse(None, (host, port))
import nltk
nltk.data.path[:] = [sys.argv[2]]
sys.path.insert(0, sys.argv[1])
start = time.perf_counter()
if sys.argv[3] == "check":
    from booklet.readability import as_json, check_essay
    report = json.loads(as_json(check_essay(sys.argv[1] + "/content/essay.md")))
    result = {"smog": report["smog"], "fk": report["flesch_kincaid"]}
else:  # textstat as it comes: asks NLTK, which downloads
    import textstat
    try:
        result = {"syllables": textstat.syllable_count("ischemia")}
    except LookupError:
        result = {"lookup_error": True}
print(json.dumps({"attempts": len(attempts), "seconds": time.perf_counter() - start,
                  "weasyprint": "weasyprint" in sys.modules, **result}))
"""


def run_offline(tmp_path, mode):
    done = subprocess.run(
        [sys.executable, "-c", OFFLINE, str(ROOT), str(tmp_path), mode],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NLTK_DATA": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_check_runs_offline_light_and_fast(tmp_path, essay):
    offline = run_offline(tmp_path, "check")
    assert offline["attempts"] == 0
    assert (offline["smog"], offline["fk"]) == (essay.smog, essay.flesch_kincaid)
    assert offline["weasyprint"] is False
    assert offline["seconds"] < 1.0  # import and check; a default build takes over a second


def test_the_offline_test_really_blocks_the_network(tmp_path):
    # Without the packaged dictionary textstat tries to download NLTK's: the sandbox stops it.
    control = run_offline(tmp_path, "raw")
    assert control["attempts"] >= 1 and control.get("lookup_error")
