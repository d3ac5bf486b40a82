"""Real handouts, damaged as files get damaged: the command answers in located lines, never a traceback.

Hypothesis deletes and repeats lines, and inserts brackets, fences, pipes, control and bidi
characters and broken front matter into handouts nobody wrote for the booklet's sake. Every
run must end 0 (built) or 1 (refused), each message one line naming the essay (and its
line, where it has one), and a refused build must leave nothing behind.
"""

import os
import re
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow  # a few hundred builds: run by `make test-slow` (and CI)

TESTS = Path(__file__).parent
HANDOUTS = sorted(
    path
    for folder in ("handouts", "languages", "library", "markdown", "scripts", "guessing")
    for path in (TESTS / folder).rglob("*")
    if path.suffix in (".md", ".Rmd") and path.stat().st_size < 12_000
)
EXAMPLES = int(os.environ.get("BOOKLET_FUZZ_EXAMPLES", "200"))

# What real damage looks like: half-edited syntax, pasted control and direction marks.
INSERTS = [
    "[",
    "]",
    "[[[[",
    "![",
    "![x](",
    "[^1]",
    "[^nope]",
    "```",
    "~~~",
    "```{r}",
    "|",
    "| a | b |",
    "|---|---|",
    "| 1 | 2 | 3 | 4 |",
    "---",
    "+++",
    "title: |",
    "lang: ar",
    "key: [unclosed",
    ": no key",
    "\x0c",
    "\x1b[31m",
    "\x00",
    "\u202e",
    "\u200f",
    "\u2066",
    "\ufeff",
    "<img src=missing.png>",
    "<div>",
    "<!--",
    "{{PATIENT_NAME}}",
    "{{< figure src=x >}}",
    "{: .note}",
    "- [ ] ",
    "   ## ",
    "> " * 5,
    "    ",
    "*" * 40,
    "1. ",
    "\t",
]

line_edits = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 400)),
    st.tuples(st.just("repeat"), st.integers(0, 400)),
    st.tuples(st.just("insert"), st.integers(0, 400), st.sampled_from(INSERTS)),
    st.tuples(st.just("splice"), st.integers(0, 400), st.sampled_from(INSERTS), st.integers(0, 80)),
)


def damage(text, edits):
    """The text with each edit applied in turn: lines deleted, repeated, inserted, spliced."""
    lines = text.split("\n")
    for edit in edits:
        where = edit[1] % (len(lines) + 1)
        if edit[0] == "delete" and where < len(lines):
            del lines[where]
        elif edit[0] == "repeat" and where < len(lines):
            lines.insert(where, lines[where])
        elif edit[0] == "insert":
            lines.insert(where, edit[2])
        elif edit[0] == "splice" and where < len(lines):
            line = lines[where]
            cut = edit[3] % (len(line) + 1)
            lines[where] = line[:cut] + edit[2] + line[cut:]
    return "\n".join(lines)


def located(line):
    """A message line: `Warning:` or `Error:`, then the file (and line) it is about."""
    said = re.match(r"(?:Warning|Error): ([^:]+?)(?::\d+)?: \S", line)
    return bool(said) and Path(said[1]).is_file()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples on every CI run: a red CI names a real case
    phases=[Phase.explicit, Phase.generate],  # no shrinking: minutes of builds, in CI
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    handout=st.sampled_from(HANDOUTS),
    edits=st.lists(line_edits, min_size=1, max_size=6),
)
def test_a_damaged_handout_is_built_or_refused_in_one_located_line(
    tmp_path_factory, handout, edits
):
    folder = tmp_path_factory.mktemp("fuzz")
    essay = folder / handout.name
    essay.write_text(damage(handout.read_text(encoding="utf-8"), edits), encoding="utf-8")
    out = folder / "dist" / "booklet.pdf"
    result = run_cli(essay, "-o", out)
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert "unexpected failure" not in result.stderr, result.stderr
    messages = result.stderr.splitlines()
    for line in messages:
        assert located(line), line
    if result.exit_code == 1:
        errors = [line for line in messages if line.startswith("Error: ")]
        assert len(errors) == 1, result.stderr
        assert not (folder / "dist").exists() or not any((folder / "dist").iterdir())
    else:
        assert out.read_bytes().startswith(b"%PDF-")
        assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]
