"""What makes builds fast stays correct: stage timings, the dictionary look-up, the quick exit."""

import json
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
