"""`python build.py SOURCE --check`: run the way a user runs it, in a fresh process."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conftest import build_py  # noqa: E402

from booklet.readability import check_essay, reading_level_line  # noqa: E402

ESSAY = ROOT / "content" / "essay.md"
LEAFLET = ROOT / "tests" / "readability" / "leaflet.md"


def line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_check_json_exit_status_follows_max_grade(tmp_path):
    output = tmp_path / "essay.pdf"
    above = build_py(ESSAY, "--check", "--json", "--max-grade", 6, "-o", output)
    assert above.returncode == 1, above.stderr
    report = json.loads(above.stdout)
    assert report["max_grade"] == 6 and report["passed"] is False
    assert report["language"] == "en" and report["grade"] == report["smog"] > 6
    within = build_py(ESSAY, "--check", "--json", "--max-grade", 30, "-o", output)
    assert within.returncode == 0, within.stderr
    assert json.loads(within.stdout)["passed"] is True
    assert list(tmp_path.iterdir()) == []  # --check writes no PDF


def test_check_plain_report(tmp_path):
    done = build_py(ESSAY, "--check")
    assert done.returncode == 1  # the seed essay is above grade 8
    first = done.stdout.splitlines()[0]
    assert "above the target of grade 8" in first
    assert "Fix first:" in done.stdout
    assert f"line {line_of(ESSAY, 'Spasms are possible in cases')}" in done.stdout
    assert "Traceback" not in done.stderr


def test_check_finds_the_leaflet_problems():
    done = build_py(LEAFLET, "--check", "--json")
    assert done.returncode == 0, done.stderr
    problems = {(p["line"], p["kind"]) for p in json.loads(done.stdout)["problems"]}
    assert {
        (line_of(LEAFLET, "### Using a heat pack"), "heading"),
        (line_of(LEAFLET, "![](heat-pack.png)"), "alt"),
        (line_of(LEAFLET, "http://example.org/back-stretches"), "link"),
    } <= problems


def test_settings_give_max_grade_and_jargon_and_the_option_wins(tmp_path):
    config = tmp_path / "clinic.toml"
    config.write_text('name = "Clinic"\nmax_grade = 30\n\n[jargon]\ntorment = "pain"\n')
    done = build_py(ESSAY, "--check", "--json", "--config", config)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["max_grade"] == 30
    assert any(p["kind"] == "jargon" and '"torment' in p["message"] for p in report["problems"])
    assert build_py(ESSAY, "--check", "--config", config, "--max-grade", 6).returncode == 1


def test_check_usage_and_source_errors(tmp_path):
    for args in (
        ["--check", "--max-grade", "abc"],
        ["--check", "--max-grade", "-1"],
        ["--json"],  # --json means nothing without --check
    ):
        done = build_py(ESSAY, *args, "-o", tmp_path / "out.pdf")
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
    missing = build_py(tmp_path / "missing.md", "--check")
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("Error:") and "missing.md" in missing.stderr


CHILD = """
import sys
sys.path.insert(0, ".")
import build
try:
    build.main([sys.argv[1], "--check", "--json"])
except SystemExit as done:
    print("exit", done.code, "weasyprint" in sys.modules, file=sys.stderr)
"""


def test_check_never_imports_weasyprint():
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ESSAY)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert json.loads(done.stdout)["words"] > 500
    assert done.stderr.strip().splitlines()[-1] == "exit 1 False"


def test_build_prints_reading_level_after_what_it_wrote(tmp_path):
    """The check's speed is measured by make bench (--check against a default build)."""
    built = build_py(ESSAY, "-o", tmp_path / "essay.pdf")
    assert built.returncode == 0, built.stderr
    lines = built.stdout.splitlines()
    wrote = max(n for n, line in enumerate(lines) if line.startswith("Wrote "))
    assert lines[wrote + 1] == reading_level_line(check_essay(ESSAY), "python build.py")
    assert lines[wrote + 1].endswith("— python build.py --check for details")
