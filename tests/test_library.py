"""A library: a folder of handouts built in one run, each rebuilt only when it changed."""

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest
from conftest import ROOT, run_cli
from conftest import build_py as build

pytestmark = pytest.mark.slow  # builds many booklets: run by `make test-slow` (and CI)

LIBRARY = Path(__file__).parent / "library"
HANDOUTS = [
    "back-spasm",
    "deutsch/nacken",
    "deutsch/rueckenschmerzen",
    "espanol/ciatica",
    "espanol/dolor-lumbar",
    "posture",
    "sciatica",
]
PDFS = [f"{name}.pdf" for name in HANDOUTS]


def files(folder):
    """Every file under folder, relative, with its modification time."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The seven handouts, built once in one run; each test works on its own copy."""
    base = tmp_path_factory.mktemp("library")
    shutil.copytree(LIBRARY, base / "handouts")
    run = build(base / "handouts", "-o", base / "dist")
    return base, run


@pytest.fixture
def library(built, tmp_path):
    """A copy of the built library (times kept): still up to date where it now lies."""
    base, _ = built
    shutil.copytree(base / "handouts", tmp_path / "handouts")
    shutil.copytree(base / "dist", tmp_path / "dist")
    return tmp_path / "handouts", tmp_path / "dist"


def test_a_folder_of_seven_handouts_builds_in_one_run(built):
    base, run = built
    assert run.returncode == 0, run.stderr
    dist = base / "dist"
    assert sorted(files(dist)) == sorted([*PDFS, "index.html", ".booklet-library.json"])
    assert run.stdout.splitlines()[-1] == "built 7, up to date 0, failed 0"
    for name in HANDOUTS:  # in a pipe, one line per handout
        assert re.search(rf"^\[\d/7\] {name}\.md: built ", run.stdout, re.MULTILINE), name
    languages = {}
    for pdf in PDFS:
        with pikepdf.open(dist / pdf) as document:
            assert len(document.pages) >= 3  # cover, essay, back cover
            languages[pdf] = str(document.Root.Lang)
    assert languages["deutsch/nacken.pdf"] == "de-DE"
    assert languages["espanol/dolor-lumbar.pdf"] == "es"
    assert languages["sciatica.pdf"] == "en"


def test_an_unchanged_library_writes_nothing_and_never_loads_weasyprint(library):
    handouts, dist = library
    before = files(dist)
    code = (
        "import runpy, sys\n"
        f"sys.argv = ['build.py', {str(handouts)!r}, '-o', {str(dist)!r}]\n"
        "try: runpy.run_path('build.py', run_name='__main__')\n"
        "except SystemExit as end: assert end.code in (0, None), end.code\n"
        "assert 'weasyprint' not in sys.modules, 'weasyprint imported'\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "built 0, up to date 7, failed 0\n"
    assert files(dist) == before


def test_an_edited_essay_is_the_only_one_rebuilt(library):
    handouts, dist = library
    before = files(dist)
    essay = handouts / "espanol" / "ciatica.md"
    essay.write_text(essay.read_text() + "\nDescanse poco y camine mucho.\n")
    run = build(handouts, "-o", dist)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "built 1, up to date 6, failed 0"
    after = files(dist)
    changed = {name for name in after if after[name] != before[name]}
    assert changed - {"index.html", ".booklet-library.json"} == {"espanol/ciatica.pdf"}


def test_a_broken_essay_stops_nothing_else(built, tmp_path):
    base, _ = built
    shutil.copytree(base / "handouts", tmp_path / "handouts")
    broken = tmp_path / "handouts" / "espanol" / "roto.md"
    broken.write_bytes(b"---\ntitle: Roto\n---\n\x00\x01 not text")
    run = build(tmp_path / "handouts", "-o", tmp_path / "dist")
    assert run.returncode == 1
    assert sorted(p for p in files(tmp_path / "dist") if p.endswith(".pdf")) == PDFS
    assert run.stdout.splitlines()[-1] == "built 7, up to date 0, failed 1"
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [f"Error: {broken}: is a binary file, not Markdown text"]
    assert "Traceback" not in run.stderr
    index = (tmp_path / "dist" / "index.html").read_text()
    # Listed all the same, with its error: a failure is never silently missing.
    row = index.split("espanol/roto.md", 1)[1].split("</tr>", 1)[0]
    assert f"Failed to build: {broken}: is a binary file, not Markdown text" in row


def test_a_deleted_output_is_rebuilt_and_force_rebuilds_all(library):
    handouts, dist = library
    (dist / "posture.pdf").unlink()
    run = build(handouts, "-o", dist)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "built 1, up to date 6, failed 0"
    assert (dist / "posture.pdf").is_file()
    before = files(dist)
    run = build(handouts, "-o", dist, "--force", "-q")
    assert run.returncode == 0, run.stderr
    after = files(dist)
    assert all(after[pdf] != before[pdf] for pdf in PDFS)


def test_the_index_lists_every_handout_with_links_that_exist(built):
    base, _ = built
    dist = base / "dist"
    index = (dist / "index.html").read_text()
    links = re.findall(r'<a href="([^"]+)"', index)
    assert sorted(links) == PDFS
    assert all((dist / link).is_file() for link in links)
    for title in ("Back Spasm – What to Do", "Nackenschmerzen", "Ciática", "Dolor lumbar"):
        assert f">{title}<" in index
    assert index.count("<tr>") == 1 + 7  # the header and one row per handout
    assert re.search(r'lang="de-DE">Nackenschmerzen<.*?<td>de-DE</td>', index, re.DOTALL)
    assert re.search(r"grade \d+\.\d", index)


def test_watching_a_folder_rebuilds_only_the_changed_handout(library):
    handouts, dist = library
    before = files(dist)
    process = subprocess.Popen(
        [sys.executable, "build.py", str(handouts), "-o", str(dist), "--watch"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    essay = handouts / "posture.md"
    try:
        assert process.stdout.readline() == "built 0, up to date 7, failed 0\n"
        assert process.stdout.readline().startswith("Watching for changes")
        essay.write_text(essay.read_text() + "\nStand up often.\n")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and files(dist)["posture.pdf"] == before["posture.pdf"]:
            time.sleep(0.1)
        time.sleep(0.5)  # the record and index follow the PDF
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    after = files(dist)
    changed = {name for name in after if after[name] != before[name]}
    assert changed - {"index.html", ".booklet-library.json"} == {"posture.pdf"}
    assert "Changed posture.md" in stdout
    assert "built 1, up to date 6, failed 0" in stdout
    assert stdout.rstrip().endswith("Stopped watching.")
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "out.pdf"], "-o names the folder a library is built into, not a file"),
    ],
)
def test_options_that_make_no_sense_for_a_library_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)  # `-o out.pdf` would be written here
    result = run_cli(LIBRARY, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_image_added_later_rebuilds_the_handout_that_missed_it(tmp_path):
    handouts = tmp_path / "handouts"
    handouts.mkdir()
    (handouts / "knee.md").write_text(
        "---\ntitle: Knee\n---\n\nBend.\n\n![A stretch](stretch.png)\n"
    )
    (handouts / "hip.md").write_text("---\ntitle: Hip\n---\n\nWalk.\n")
    first = build(handouts, "-o", tmp_path / "dist")
    assert first.returncode == 0, first.stderr
    assert "image not found: stretch.png" in first.stderr
    again = build(handouts, "-o", tmp_path / "dist")
    assert again.stdout.splitlines()[-1] == "built 0, up to date 2, failed 0"
    from PIL import Image

    Image.new("RGB", (40, 30), (200, 30, 30)).save(handouts / "stretch.png")
    third = build(handouts, "-o", tmp_path / "dist")
    assert third.returncode == 0, third.stderr
    assert third.stdout.splitlines()[-1] == "built 1, up to date 1, failed 0"
    assert "not found" not in third.stderr


def test_two_handouts_writing_one_file_is_a_usage_error(tmp_path):
    handouts = tmp_path / "handouts"
    handouts.mkdir()
    for stem in ("guide", "guide-print"):
        (handouts / f"{stem}.md").write_text(f"---\ntitle: {stem}\n---\n\nText.\n")
    run = build(handouts, "-o", tmp_path / "dist", "-e", "reading", "-e", "print")
    assert run.returncode == 2
    assert "would both write guide-print.pdf" in run.stderr
    assert not (tmp_path / "dist").exists()


def test_a_folder_that_takes_no_record_still_gets_the_summary(tmp_path):
    handouts = tmp_path / "handouts"
    handouts.mkdir()
    shutil.copy(LIBRARY / "posture.md", handouts)
    # A record that cannot be written (root ignores a read-only folder; a folder in the
    # record's place refuses the write for everyone).
    (tmp_path / "dist" / ".booklet-library.json").mkdir(parents=True)
    run = build(handouts, "-o", tmp_path / "dist")
    assert run.returncode == 1
    assert "built 1, up to date 0, failed 0" in run.stdout
    errors = run.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("Error: "), run.stderr
    assert ".booklet-library.json: is a folder" in errors[0]
    assert (tmp_path / "dist" / "posture.pdf").exists()
    assert "Traceback" not in run.stderr


def test_the_index_shows_the_title_the_booklet_has(tmp_path):
    handouts = tmp_path / "handouts"
    handouts.mkdir()
    (handouts / "shoulder.md").write_text("## Shoulder *care* {#top}\n\nRoll your shoulders.\n")
    run = build(handouts, "-o", tmp_path / "dist")
    assert run.returncode == 0, run.stderr
    assert ">Shoulder care<" in (tmp_path / "dist" / "index.html").read_text()


def test_ctrl_c_stops_a_library_at_once_and_leaves_no_temporary_file(tmp_path):
    """SIGINT to the whole group mid-run: out within seconds, nothing written after."""
    import os
    import signal
    import time

    handouts = tmp_path / "handouts"
    handouts.mkdir()
    front, body = (ROOT / "content" / "essay.md").read_text().split("\n---\n", 1)
    for n in range(4):
        (handouts / f"long{n}.md").write_text(front + "\n---\n" + "\n\n".join([body] * 20))
    dist = tmp_path / "dist"
    process = subprocess.Popen(
        [sys.executable, "build.py", handouts, "-o", dist, "-j", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(2.0)  # imports done, two handouts being laid out
    os.killpg(process.pid, signal.SIGINT)
    started = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - started < 1.5  # not after the running handouts finish
    assert process.returncode != 0
    assert "Traceback" not in stderr
    after = files(dist)
    time.sleep(1.5)
    assert files(dist) == after  # no worker left writing
    assert not [name for name in after if name.endswith(".tmp")]
    left = subprocess.run(["ps", "-o", "pid=", "--sid", str(process.pid)], capture_output=True)
    assert left.stdout.strip() == b""


def test_settings_added_or_changed_rebuild_the_library(tmp_path):
    handouts = tmp_path / "handouts"
    handouts.mkdir()
    (handouts / "hip.md").write_text("---\ntitle: Hip\n---\n\nWalk a little every hour.\n")
    dist = tmp_path / "dist"
    assert build(handouts, "-o", dist).returncode == 0
    settings = tmp_path / "clinic.toml"
    settings.write_text('name = "Hill Clinic"\n')
    added = build(handouts, "-o", dist, "--config", settings)
    assert added.stdout.splitlines()[-1] == "built 1, up to date 0, failed 0"
    settings.write_text('name = "Dale Clinic"\n')
    changed = build(handouts, "-o", dist, "--config", settings)
    assert changed.stdout.splitlines()[-1] == "built 1, up to date 0, failed 0"
    from conftest import page_texts

    assert "Dale Clinic" in " ".join(page_texts((dist / "hip.pdf").read_bytes()))
