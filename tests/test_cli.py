"""The command: options, messages, exit codes and files left behind."""

import os
import subprocess
import sys

import pytest
from conftest import ESSAY, EXAMPLE_CLINIC, ROOT, page_texts, run_cli


def test_builds_the_reading_copy_and_says_what_it_wrote(tmp_path):
    out = tmp_path / "nested" / "folder" / "booklet.pdf"
    result = run_cli(ESSAY, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith(f"Wrote {out} (reading copy, 7 pages, ")
    assert out.read_bytes().startswith(b"%PDF-")
    assert sorted(os.listdir(out.parent)) == ["booklet.pdf"]


def test_impose_writes_print_sheets_beside_and_explains_printing(tmp_path):
    out = tmp_path / "handout.pdf"
    result = run_cli(ESSAY, "-o", out, "--episode-log", "--log-pages", "1", "--impose")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "handout-print.pdf").is_file()
    assert "flip on short edge" in result.stdout
    assert "fold" in result.stdout and "staple" in result.stdout


@pytest.mark.slow
def test_settings_supply_option_defaults(tmp_path):
    out = tmp_path / "b.pdf"
    result = run_cli(ESSAY, "-o", out, "--config", EXAMPLE_CLINIC)
    assert result.exit_code == 0, result.output
    texts = page_texts(out.read_bytes())
    assert sum("Episode log · page" in t for t in texts) == 2  # episode_log = true, log_pages = 2
    result = run_cli(ESSAY, "-o", out, "--config", EXAMPLE_CLINIC, "--no-episode-log")
    assert not any("Episode log · page" in t for t in page_texts(out.read_bytes()))


def test_help_lists_every_option():
    result = run_cli("--help")
    assert result.exit_code == 0
    for option in (
        "-o, --output",
        "--episode-log / --no-episode-log",
        "--log-pages",
        "--impose",
        "--paper",
        "--large-print",
        "--config",
        "--templates",
        "--strict",
        "--max-size",
        "--allow",
        "-e, --edition",
        "-w, --watch",
        "-q, --quiet",
        "--check",
        "--json",
        "--max-grade",
        "-h, --help",
        "--version",
    ):
        assert option in result.stdout, option


def test_version():
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == "booklet, version 1.0.0"


def test_help_does_not_import_weasyprint():
    code = (
        "import runpy, sys; sys.argv=['build.py','--help']\n"
        "try: runpy.run_path('build.py', run_name='__main__')\nexcept SystemExit: pass\n"
        "assert 'weasyprint' not in sys.modules and 'pikepdf' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--log-pages", "0"], "Invalid value for '--log-pages'"),
        (["--log-pages", "51"], "Invalid value for '--log-pages'"),
        (["--paper", "a3"], "Invalid value for '--paper'"),
        (["--large-print", "--impose"], "--large-print pages are already sheet-sized"),
        (["--nonsense"], "No such option '--nonsense'"),
        (["--max-grade", "nan"], "Invalid value for '--max-grade'"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    out = tmp_path / "x.pdf"
    result = run_cli(ESSAY, "-o", out, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not out.exists()


def test_output_must_name_a_pdf_never_the_essay(tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY.read_text())
    result = run_cli(essay, "-o", essay)
    assert result.exit_code == 2
    assert "is not a .pdf name" in result.stderr
    assert essay.read_text() == ESSAY.read_text()  # the essay is still the essay
    folder = tmp_path / "out"
    folder.mkdir()
    result = run_cli(essay, "-o", folder)  # an existing folder: the PDF goes in it
    assert result.exit_code == 0, result.output
    assert (folder / "essay.pdf").read_bytes().startswith(b"%PDF-")


def test_real_process_error_is_one_line_without_traceback(tmp_path):
    missing = tmp_path / "nope.md"
    process = subprocess.run(
        [sys.executable, "build.py", str(missing), "-o", str(tmp_path / "x.pdf")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert process.returncode == 1
    assert process.stderr == f"Error: {missing}: file not found\n"
    assert process.stdout == ""


@pytest.mark.slow
def test_editions_in_one_run(tmp_path):
    out = tmp_path / "essay.pdf"
    result = run_cli(
        ESSAY,
        "-o",
        out,
        "--episode-log",
        "-e",
        "reading",
        "-e",
        "print",
        "-e",
        "large-print",
        "-e",
        "letter",
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["essay-large-print.pdf", "essay-letter.pdf", "essay-print.pdf", "essay.pdf"]
    from conftest import page_sizes

    assert set(page_sizes((tmp_path / "essay-large-print.pdf").read_bytes())) == {(595.3, 841.9)}
    assert set(page_sizes((tmp_path / "essay-letter.pdf").read_bytes())) == {(396.0, 612.0)}
    assert set(page_sizes((tmp_path / "essay-print.pdf").read_bytes())) == {(841.9, 595.3)}


def test_edition_refuses_the_flags_it_replaces(tmp_path):
    result = run_cli(ESSAY, "-o", tmp_path / "x.pdf", "-e", "print", "--paper", "letter")
    assert result.exit_code == 2
    assert "--edition replaces --paper" in result.stderr


def _interruptible():
    """Let Ctrl-C reach the child even when the test runner was started in the background
    (a background shell job inherits SIGINT as ignored, and Python keeps it so)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
def test_watch_rebuilds_on_change_and_survives_errors(tmp_path):
    """A real process: edit the essay, break it, fix it; Ctrl-C ends cleanly."""
    import signal
    import time

    essay = tmp_path / "essay.md"
    essay.write_text(ESSAY.read_text())
    out = tmp_path / "out" / "essay.pdf"
    process = subprocess.Popen(
        [sys.executable, "build.py", str(essay), "-o", str(out), "--watch"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )

    def wait_for(predicate, seconds=30):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.1)
        return False

    try:
        assert wait_for(out.exists)
        first = out.stat().st_mtime_ns
        time.sleep(0.3)
        essay.write_text(ESSAY.read_text() + "\nA new closing line.\n")
        assert wait_for(lambda: out.stat().st_mtime_ns != first)
        good = out.read_bytes()
        essay.write_bytes(b"\x00binary")
        time.sleep(1.5)
        assert out.read_bytes() == good  # the error left the booklet alone
        assert process.poll() is None  # and the loop goes on
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Changed essay.md: rebuilt essay.pdf in " in stdout
    assert f"Error: {essay}: is a binary file, not Markdown text" in stderr
    assert stdout.rstrip().endswith("Stopped watching.")
    assert "Traceback" not in stderr


def test_an_unexpected_failure_is_still_one_line(tmp_path, monkeypatch):
    from booklet import pipeline

    def broken(request, font_config=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "build", broken)
    monkeypatch.delenv("BOOKLET_DEBUG", raising=False)
    result = run_cli(ESSAY, "-o", tmp_path / "x.pdf")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {ESSAY}: unexpected failure (RuntimeError: boom); "
        "rerun with BOOKLET_DEBUG=1 for details and please report it\n"
    )


@pytest.mark.slow
def test_editions_built_in_parallel_match_single_builds(tmp_path):
    """Workers lay out the same bytes the one-edition path does."""
    together = tmp_path / "together" / "essay.pdf"
    alone = tmp_path / "alone" / "essay.pdf"
    assert run_cli(ESSAY, "-o", together, "-e", "reading", "-e", "letter").exit_code == 0
    assert run_cli(ESSAY, "-o", alone).exit_code == 0
    assert (
        run_cli(ESSAY, "-o", alone.with_name("essay-letter.pdf"), "--paper", "letter").exit_code
        == 0
    )
    assert together.read_bytes() == alone.read_bytes()
    assert (
        together.with_name("essay-letter.pdf").read_bytes()
        == alone.with_name("essay-letter.pdf").read_bytes()
    )


@pytest.mark.slow
def test_parallel_editions_end_quietly(tmp_path):
    """Five real multi-edition runs: stderr holds nothing, however the workers end."""
    essay = tmp_path / "short.md"
    essay.write_text("---\ntitle: Short\n---\n\n# Short\n\nA few words.\n")
    runs = [
        subprocess.Popen(
            [sys.executable, "build.py", essay, "-o", tmp_path / f"run{n}" / "s.pdf", "-q"]
            + ["-e", "reading", "-e", "print", "-e", "letter"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(5)
    ]
    for process in runs:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert (stdout, stderr) == ("", "")
    assert len(list(tmp_path.glob("run*/s*.pdf"))) == 15


@pytest.mark.slow
def test_ctrl_c_stops_parallel_editions_at_once(tmp_path):
    """SIGINT to the group while workers lay out editions: out at once, nobody left."""
    import os
    import signal
    import time

    long_essay = tmp_path / "long.md"
    front, body = ESSAY.read_text().split("\n---\n", 1)
    long_essay.write_text(front + "\n---\n" + "\n\n".join([body] * 30))  # ~8 s a copy
    out = tmp_path / "out" / "long.pdf"
    process = subprocess.Popen(
        [sys.executable, "build.py", long_essay, "-o", out, "-e", "reading", "-e", "letter"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(1.5)
    os.killpg(process.pid, signal.SIGINT)
    started = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - started < 1.5  # the workers are stopped, not waited for
    assert process.returncode != 0 and "Traceback" not in stderr
    left = subprocess.run(["ps", "-o", "pid=", "--sid", str(process.pid)], capture_output=True)
    assert left.stdout.strip() == b""
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_a_worker_that_dies_is_an_error_not_a_hang(tmp_path):
    """A worker killed outright (out of memory, a crash in a C library): one line, exit 1."""
    out = tmp_path / "essay.pdf"
    code = (
        "import os, sys; sys.path.insert(0, '.'); sys.argv = ['build.py', *sys.argv[1:]]\n"
        "import booklet.pipeline as pipeline, booklet.workers as workers, build\n"
        "def die(job, edition):\n"
        "    if workers._IN_WORKER and edition.paper == 'letter': os._exit(9)\n"
        "    return real(job, edition)\n"
        "real, pipeline._edition_pdf = pipeline._edition_pdf, die\n"
        "build.main()\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", code, str(ESSAY), "-o", str(out), "-e", "reading", "-e", "letter"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 1
    lines = process.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {ESSAY}: unexpected failure (")
    assert "BrokenProcessPool" in lines[0]
    assert not out.exists()


def test_an_error_in_a_parallel_edition_is_one_line(tmp_path):
    essay = tmp_path / "essay.md"
    essay.write_text("---\ntitle: T\n---\n\n![x](../outside.png)\n")
    (tmp_path.parent / "outside.png").write_bytes(b"x")
    out = tmp_path / "out" / "essay.pdf"
    result = run_cli(essay, "-o", out, "--strict", "-e", "reading", "-e", "large-print")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {essay}:5: refused to read ../outside.png: ")
    assert len(result.stderr.splitlines()) == 1
    assert not out.parent.exists() or list(out.parent.iterdir()) == []


@pytest.mark.slow
def test_watch_picks_up_a_template_change(tmp_path):
    import shutil
    import signal
    import time

    from conftest import page_texts

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    out = tmp_path / "essay.pdf"
    process = subprocess.Popen(
        [
            sys.executable,
            "build.py",
            str(ESSAY),
            "-o",
            str(out),
            "--templates",
            str(templates),
            "--watch",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    try:
        deadline = time.monotonic() + 30
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        page = templates / "back-cover.html"
        page.write_text(
            page.read_text().replace("does not replace advice", "does NOT replace advice")
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            time.sleep(0.2)
            # outputs are replaced atomically, so every read sees a whole PDF
            if "does NOT replace advice" in page_texts(out.read_bytes())[-1]:
                break
        assert "does NOT replace advice" in page_texts(out.read_bytes())[-1]
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert "Changed back-cover.html: rebuilt essay.pdf" in stdout, stderr


@pytest.mark.slow
def test_killed_mid_build_leaves_the_old_booklet_and_no_temporary_file(tmp_path):
    """SIGTERM while the pages are laid out: quiet exit, the old file as it was."""
    import signal
    import time

    long_essay = tmp_path / "long.md"
    front, body = ESSAY.read_text().split("\n---\n", 1)
    long_essay.write_text(front + "\n---\n" + "\n\n".join([body] * 12))
    out = tmp_path / "out" / "long.pdf"
    out.parent.mkdir()
    out.write_bytes(b"old booklet")
    process = subprocess.Popen(
        [sys.executable, "build.py", str(long_essay), "-o", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # imports done, layout of ~40 pages under way
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0  # it was stopped, not finished
    assert b"Traceback" not in stderr
    assert [p.name for p in out.parent.iterdir()] == ["long.pdf"]
    assert out.read_bytes() == b"old booklet"


@pytest.mark.slow
def test_killed_while_writing_leaves_the_old_file_and_no_temporary_file(tmp_path):
    """SIGTERM once the temporary file exists, before it replaces the old one."""
    import signal
    import time

    out = tmp_path / "b.pdf"
    out.write_bytes(b"old booklet")
    # The command's own SIGTERM handler, and a write long enough to be caught in the act.
    code = (
        "import signal, sys; sys.path.insert(0, '.')\n"
        "import build\n"
        "from booklet.output import write_files\n"
        "signal.signal(signal.SIGTERM, build._interrupt)\n"
        f"write_files({{{str(out)!r}: b'%PDF-' + bytes(400_000_000)}})\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".b.pdf.*.tmp")):
        assert time.monotonic() < deadline and process.poll() is None, "never started writing"
        time.sleep(0.005)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode != 0  # interrupted mid-write, not finished
    assert [p.name for p in tmp_path.iterdir()] == ["b.pdf"]
    assert out.read_bytes() == b"old booklet"
