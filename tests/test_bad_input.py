"""Every bad input is one clear line naming the file, exit 1, old outputs untouched."""

import os

import pytest
from conftest import ESSAY, ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

GOOD = ESSAY.read_text()


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


CASES = {
    # name: (files to create {relative path: content}, args, expected message)
    "missing source": ({}, ["missing.md"], "{t}/missing.md: file not found"),
    "binary source": ({"e.md": b"\x89PNG\x00\x00"}, ["e.md"], "{t}/e.md: is a binary file"),
    "not UTF-8": (
        {"e.md": "---\ntitle: x\n---\n\ncaf\xe9\n".encode("latin-1")},
        ["e.md"],
        "{t}/e.md:5: is not UTF-8 text",
    ),
    "empty essay": (
        {"e.md": "---\ntitle: x\n---\n\n  \n"},
        ["e.md"],
        "{t}/e.md: the essay is empty",
    ),
    "front matter never ends": (
        {"e.md": "---\ntitle: x\n\nText"},
        ["e.md"],
        "{t}/e.md:1: front matter starts with '---' but never ends",
    ),
    "broken front matter": (
        {"e.md": "---\ntitle: [x\n---\n\nText\n"},
        ["e.md"],
        "{t}/e.md:3: front matter is not valid YAML",
    ),
    "unknown front matter key with --strict": (
        {"e.md": "---\ntitle: x\ncolour: red\n---\n\nText\n"},
        ["e.md", "--strict"],
        "{t}/e.md:3: front matter: ignored 'colour'",
    ),
    "no title with --strict": (
        {"e.md": "Just text.\n"},
        ["e.md", "--strict"],
        "{t}/e.md:1: no 'title:' in the front matter and there is no heading",
    ),
    "too big": (
        {"e.md": "# T\n\n" + "word " * 1000},
        ["e.md", "--max-size", "100"],
        "{t}/e.md: is 5,005 bytes, over the 100-byte limit (raise it with --max-size)",
    ),
    "broken TOML": (
        {"c.toml": "name = 'x\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: not valid TOML",
    ),
    "unknown setting": (
        {"c.toml": "name = 'x'\ncolor = 'red'\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:2: unknown key 'color'",
    ),
    "mistyped setting": (
        {"c.toml": "log_pages = 'two'\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: 'log_pages' must be a whole number",
    ),
    "setting out of range": (
        {"c.toml": "log_pages = 99\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: 'log_pages' must be from 1 to 50",
    ),
    "missing settings": ({}, ["--config", "none.toml"], "{t}/none.toml: settings file not found"),
    "missing logo": (
        {"c.toml": "logo = 'logo.png'\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: 'logo' file not found: logo.png",
    ),
    "logo outside": (
        {"c.toml": "logo = '../x.png'\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: 'logo' must be a file in the settings folder",
    ),
    "bad website": (
        {"c.toml": "website = 'example'\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: 'website' must be a full address",
    ),
    "bad image": (
        {"c.toml": "name = 'C'\nlogo = 'logo.png'\n", "logo.png": b"not a png"},
        ["--config", "c.toml"],
        "{t}/c.toml:2: 'logo' logo.png: damaged, or not an image format it knows",
    ),
    "broken template": (
        {"tpl/booklet.html": "{% include 'missing.html' %}"},
        ["--templates", "tpl"],
        "{t}/tpl: template not found: missing.html",
    ),
    "template syntax": (
        {"tpl/booklet.html": "<p>\n{% if %}\n"},
        ["--templates", "tpl"],
        "{t}/tpl/booklet.html:2: template syntax error",
    ),
    "undefined variable": (
        {"tpl/booklet.html": "<p>\n{{ clinic.fax }}\n"},
        ["--templates", "tpl"],
        "{t}/tpl/booklet.html:2: template error: ",
    ),
    "output under a file": (
        {"afile": "x"},
        ["-o", "afile/b.pdf"],
        "{t}/afile/b.pdf: cannot create the folder: a file is in the way",
    ),
    "output is a folder": ({"out.pdf/x": "x"}, ["-o", "out.pdf"], "{t}/out.pdf: is a folder"),
    "too many brackets": (
        {"e.md": "# T\n\n" + "[" * 5000},
        ["e.md"],
        "{t}/e.md:3: one paragraph has 5,000 '[' characters",
    ),
    "too many brackets after front matter and blank lines": (
        {"e.md": "---\ntitle: x\n---\n\n\n" + "[" * 5000},
        ["e.md"],
        "{t}/e.md:6: one paragraph has 5,000 '[' characters",
    ),
    "broken TOML front matter": (
        {"e.md": '+++\ntitle = "x"\nlang = \n+++\n\nText\n'},
        ["e.md"],
        "{t}/e.md:3: front matter is not valid TOML",
    ),
    "impossible date in front matter": (
        {"e.md": "---\ntitle: x\nauthor: A\ndate: 2024-13-45\n---\n\nText\n"},
        ["e.md"],
        "{t}/e.md:4: front matter has an impossible date: month must be in 1..12",
    ),
    "reading target not a number": (
        {"c.toml": "name = 'C'\nmax_grade = true\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:2: 'max_grade' must be a reading grade, 0 or more",
    ),
    "reading target below zero": (
        {"c.toml": "max_grade = -2\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: 'max_grade' must be a reading grade, 0 or more",
    ),
    "reading target not finite": (
        {"c.toml": "max_grade = nan\n"},
        ["--config", "c.toml"],
        "{t}/c.toml:1: 'max_grade' must be a reading grade, 0 or more",
    ),
    "list nested too deep": (
        {"e.md": "# T\n\n" + "".join("  " * i + "- x\n" for i in range(60))},
        ["e.md"],
        "is indented",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_one_clear_line(tmp_path, monkeypatch, name):
    files, args, expected = CASES[name]
    monkeypatch.chdir(tmp_path)
    for relative, content in files.items():
        write(tmp_path / relative, content)
    if not any(a.endswith(".md") or a == "folder" for a in args):
        args = [str(ESSAY), *args]
    old = write(tmp_path / "old" / "b.pdf", b"%PDF-old booklet")
    if "-o" not in args:
        args = [*args, "-o", str(old)]
    before = sorted(os.listdir(tmp_path))
    result = run_cli(*args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    # files are named as the user typed them (relative here), or resolved when found
    assert expected.format(t=tmp_path) in lines[0] or expected.replace("{t}/", "") in lines[0]
    assert "Traceback" not in result.output
    assert old.read_bytes() == b"%PDF-old booklet"
    assert sorted(os.listdir(tmp_path)) == before
    assert os.listdir(tmp_path / "old") == ["b.pdf"]


def test_pathological_markdown_answers_within_seconds(tmp_path):
    """Shapes that take Python-Markdown minutes are refused before conversion."""
    import time

    for body in ("[" * 60_000, "![" * 30_000, "[a](" * 20_000, "*a" * 40_000, "`a" * 40_000):
        source = write(tmp_path / "e.md", "# T\n\n" + body + "\n")
        started = time.monotonic()
        result = run_cli(source, "-o", tmp_path / "x.pdf")
        assert time.monotonic() - started < 10
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: {source}:3: one paragraph has ")


markdownish = st.lists(
    st.sampled_from(list("ab #*_`[]()!<>-|:\n\t\\&{}.^~=") + ["[^1]", "\n\n", "](x)", "    "]),
    max_size=150,
).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=markdownish)
def test_random_markdown_never_gives_a_traceback(tmp_path, body):
    """Random Markdown either converts or is refused with one Error line."""
    from booklet.editions import Edition
    from booklet.errors import BookletError
    from booklet.essay import read_essay
    from booklet.render import render_html
    from booklet.settings import load_clinic

    source = write(tmp_path / "e.md", "---\ntitle: Fuzz\n---\n\n" + body)
    try:
        essay = read_essay(source)
    except BookletError as error:
        assert str(error.message).startswith(str(source))
        return
    render_html(essay, load_clinic(None), Edition(), 1)


@pytest.mark.slow
def test_random_markdown_lays_out(tmp_path):
    """A few odd but valid bodies also make it through layout without warnings."""
    from conftest import make_pdfs

    for body in (
        "| a |\n|---|\n| b |\n\n[^1]\n\n[^1]: note",
        "> > > deep\n\n* a\n    * b",
        "***\n\n`code` and **bold** and _it_",
        "Term\n: definition",
    ):
        source = write(tmp_path / "e.md", "---\ntitle: Odd\n---\n\n" + body + "\n")
        pdfs, warnings = make_pdfs(tmp_path, source=source, log_pages=1)
        assert warnings == []
        assert pdfs["reading copy"].startswith(b"%PDF-")


def test_root_is_not_the_working_folder(tmp_path, monkeypatch):
    """Defaults come from the project, wherever the command is run from."""
    monkeypatch.chdir(tmp_path)
    result = run_cli("-o", tmp_path / "b.pdf")
    assert result.exit_code == 0, result.output
    assert (ROOT / "content" / "essay.md").is_file()


def test_images_that_cannot_be_used_are_warnings_naming_their_line(tmp_path):
    """A damaged image and a missing one: the booklet is built, each named with its line."""
    source = write(
        tmp_path / "e.md",
        "---\ntitle: Pictures\n---\n\n# Pictures\n\n![A stretch](broken.png)\n\n"
        "Text.\n\n![A chart](charts/missing.png)\n",
    )
    write(tmp_path / "broken.png", b"\x89PNG\r\n\x1a\n not really a picture")
    out = tmp_path / "out.pdf"
    result = run_cli(source, "-o", out)
    assert result.exit_code == 0, result.output
    warnings = result.stderr.splitlines()
    assert f"Warning: {source}:7: image broken.png cannot be used: damaged, or not an image" in (
        warnings[0] if warnings else ""
    ) or any(w.startswith(f"Warning: {source}:7: ") and "broken.png" in w for w in warnings)
    assert any(
        w.startswith(f"Warning: {source}:11: ") and "not found: charts/missing.png" in w
        for w in warnings
    ), warnings
    assert len(warnings) == 2
    assert out.read_bytes().startswith(b"%PDF-")
    strict = run_cli(source, "-o", tmp_path / "strict.pdf", "--strict")
    assert strict.exit_code == 1
    assert strict.stderr.startswith(f"Error: {source}:")
    assert not (tmp_path / "strict.pdf").exists()


def test_large_print_from_the_settings_with_impose_names_the_settings(tmp_path):
    settings = write(tmp_path / "c.toml", "large_print = true\n")
    result = run_cli(ESSAY, "-o", tmp_path / "b.pdf", "--config", settings, "--impose")
    assert result.exit_code == 2
    assert f"{settings} sets large_print = true" in result.stderr
    assert not (tmp_path / "b.pdf").exists()


def test_an_essay_with_no_prose_to_measure_still_builds(tmp_path):
    source = write(tmp_path / "e.md", "---\ntitle: Codes\n---\n\n# Codes\n\n```\nA1 B2\n```\n")
    result = run_cli(source, "-o", tmp_path / "e.pdf")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"Warning: {source}: ")
    assert result.stderr.rstrip().endswith("(reading level not measured)")
    assert (tmp_path / "e.pdf").read_bytes().startswith(b"%PDF-")
    assert "Reading level" not in result.stdout


def test_code_is_never_taken_for_deep_lists_or_brackets(tmp_path):
    """A fenced block may be indented deep and hold many brackets: code is not parsed."""
    nested = "\n".join(" " * (8 * i) + "{" for i in range(14)) + "\n" + "[" * 400
    source = write(
        tmp_path / "e.md", f"---\ntitle: JSON\n---\n\nThe data:\n\n```json\n{nested}\n```\n"
    )
    result = run_cli(source, "-o", tmp_path / "e.pdf")
    assert result.exit_code == 0, result.output


def test_language_tags_as_people_write_them(tmp_path):
    from booklet.essay import read_essay

    no = write(tmp_path / "no.md", "---\ntitle: T\nlang: no\n---\n\nHei.\n")
    assert read_essay(no).language == "no"  # not YAML's false
    pt = write(tmp_path / "pt.md", "---\ntitle: T\nlang: pt_BR\n---\n\nOlá.\n")
    assert read_essay(pt).language == "pt-BR"


@pytest.mark.slow
def test_lists_in_quotes_nested_too_deep_are_one_line(tmp_path):
    """Deep enough to exhaust Python's stack when the PDF is written: one line, exit 1."""
    import subprocess
    import sys

    # Each item holds a quote holding the next item (read as GitHub does, `>> - item`
    # lines are quotes beside the list, not in it).
    body = "".join(">   " * (i - 1) + "> - item\n" for i in range(1, 50))
    source = write(tmp_path / "e.md", "---\ntitle: T\n---\n\n" + body)
    process = subprocess.run(
        [sys.executable, "build.py", source, "-o", tmp_path / "e.pdf"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1
    assert (
        process.stderr
        == f"Error: {source}: the document is nested too deeply to write (lists in quotes in lists …)\n"
    )
    assert not (tmp_path / "e.pdf").exists()


def test_a_yaml_mistake_names_the_line_it_starts_on(tmp_path):
    source = write(tmp_path / "e.md", "---\ntitle: Hi\nlang en\n---\n\nText.\n")
    result = run_cli(source, "-o", tmp_path / "e.pdf")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {source}:3: front matter is not valid YAML")


def test_paper_in_capitals_in_the_settings_is_a_paper(tmp_path):
    from booklet.settings import load_clinic

    settings = write(tmp_path / "c.toml", 'paper = "A4"\n')
    assert load_clinic(settings).defaults["paper"] == "a4"


def test_a_python_without_the_libraries_is_one_line(tmp_path):
    """`python3 build.py` with no .venv: say what to do, not a traceback or 'please report'."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-S", "build.py", "content/essay.md", "-o", str(tmp_path / "e.pdf")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: this Python does not have the booklet's libraries (No module")
    assert "make" in line and not (tmp_path / "e.pdf").exists()
