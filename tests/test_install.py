"""Installed anywhere: the wheel carries the templates, `booklet` works from any folder."""

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT

from booklet.cli import entry
from booklet.newproject import starter_files


def booklet(*args, cwd):
    """`booklet ARGS` in-process, run from `cwd`, as the installed command would."""
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(
            _Entry(), [str(a) for a in args], catch_exceptions=False, prog_name="booklet"
        )
    finally:
        os.chdir(here)


class _Entry:
    """CliRunner runs a Click command; the installed entry point is a function over argv."""

    name = "booklet"

    def main(self, args=None, prog_name=None, **extra):
        sys.exit(entry(args) or 0)


def test_new_makes_a_project_that_builds_from_its_own_folder(tmp_path):
    made = booklet("new", "clinic", cwd=tmp_path)
    assert made.exit_code == 0, made.output
    project = tmp_path / "clinic"
    for name in ("clinic.toml", ".gitignore", "README.md", "handouts/after-a-sprain.md"):
        assert (project / name).is_file(), name
    assert "dist/" in (project / ".gitignore").read_text()
    built = booklet(cwd=project)
    assert built.exit_code == 0, built.output
    assert (project / "dist" / "after-a-sprain.pdf").read_bytes().startswith(b"%PDF-")
    assert (project / "dist" / "index.html").is_file()
    assert built.stderr == ""  # the example's image, log and settings are all found


def test_the_starter_settings_name_every_key_the_settings_know():
    from booklet.settings import KEYS

    text = (Path(__file__).parent.parent / "booklet" / "starter" / "clinic.toml").read_text()
    for key in KEYS:
        assert f"{key} =" in text or f"[{key}]" in text, key


def test_new_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "clinic").mkdir()
    (tmp_path / "clinic" / "notes.txt").write_text("ours")
    result = booklet("new", "clinic", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: clinic is not empty: give a new or empty folder for the project"
    )
    assert [p.name for p in (tmp_path / "clinic").iterdir()] == ["notes.txt"]


def test_a_folder_with_nothing_to_build_says_what_it_looked_for(tmp_path):
    result = booklet(cwd=tmp_path)
    assert result.exit_code == 2
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("Error: nothing to build here: no SOURCE given and no handouts or ")
    assert "content/essay.md" in message and "booklet new FOLDER" in message
    assert not (tmp_path / "dist").exists()


def test_settings_and_essay_come_from_the_working_folder(tmp_path):
    (tmp_path / "content").mkdir()
    essay = (ROOT / "content" / "essay.md").read_text()
    (tmp_path / "content" / "essay.md").write_text(essay)
    (tmp_path / "clinic.toml").write_text('name = "Hillside Physio"\n')
    result = booklet(cwd=tmp_path)
    assert result.exit_code == 0, result.output
    import pikepdf

    with pikepdf.open(tmp_path / "dist" / "essay.pdf") as pdf:
        assert str(pdf.docinfo["/Author"]) == "Hillside Physio"


def test_a_file_named_like_a_subcommand_is_a_source(tmp_path):
    essay = (ROOT / "content" / "essay.md").read_text()
    (tmp_path / "new.md").write_text(essay)
    (tmp_path / "doctor").write_text(essay)
    assert booklet("new.md", cwd=tmp_path).exit_code == 0
    assert (tmp_path / "dist" / "new.pdf").is_file()
    result = booklet("doctor", "-o", "dist/doctor.pdf", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dist" / "doctor.pdf").is_file()


def test_doctor_names_weasyprint_pango_and_the_templates_in_use(tmp_path):
    import weasyprint

    result = booklet("doctor", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    lines = [line.split(None, 2) for line in result.stdout.splitlines()]
    assert ["ok", "WeasyPrint", weasyprint.__version__] in lines
    assert any(line[:2] == ["ok", "Pango"] and line[2][0].isdigit() for line in lines)
    assert ["ok", "templates", str(ROOT / "templates")] in lines
    assert any(line[1:2] == ["HarfBuzz"] for line in lines)


# ---------- the wheel ----------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The project's wheel, built as `pip wheel .` builds it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (found,) = out.glob("booklet-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_holds_every_template_and_the_starter(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = [p for p in (ROOT / "templates").rglob("*") if p.is_file()]
    assert len(templates) > 40
    missing = [
        p.relative_to(ROOT).as_posix()
        for p in templates
        if f"booklet/templates/{p.relative_to(ROOT / 'templates').as_posix()}" not in names
    ]
    assert missing == []
    for name in starter_files():
        assert f"booklet/starter/{name.as_posix()}" in names, name
    for asset in (ROOT / "booklet" / "preview").iterdir():  # `booklet serve`'s page
        assert f"booklet/preview/{asset.name}" in names, asset.name
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "booklet = booklet.cli:entry" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_installed_outside_the_checkout_new_then_build_then_doctor(wheel, tmp_path):
    """A fresh virtual environment, the wheel installed, and nothing of the checkout used."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The wheel's own files; its dependencies are the locked ones this suite runs with.
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    (Path(site) / "locked-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (venv / "bin" / "booklet").write_text(
        f"#!{python}\nimport sys\nfrom booklet.cli import entry\nsys.exit(entry())\n"
    )
    (venv / "bin" / "booklet").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "PYTHONPATH": ""}

    def run(*args, cwd=work):
        return subprocess.run(
            ["booklet", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
        )

    version = run("--version")
    assert version.returncode == 0 and "booklet" in version.stdout
    assert run("new", "clinic").returncode == 0
    built = run(cwd=work / "clinic")
    assert built.returncode == 0, built.stderr
    assert (work / "clinic" / "dist" / "after-a-sprain.pdf").read_bytes().startswith(b"%PDF-")
    doctor = run("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "WeasyPrint" in doctor.stdout and "Pango" in doctor.stdout
    assert str(Path(site) / "booklet" / "templates") in doctor.stdout  # not the checkout's


def test_check_in_a_new_project_checks_every_handout(tmp_path):
    assert booklet("new", "clinic", cwd=tmp_path).exit_code == 0
    project = tmp_path / "clinic"
    (project / "handouts" / "broken.md").write_text("---\ntitle: [oops\n---\n\nText.\n")
    result = booklet("--check", cwd=project)
    assert result.exit_code == 1  # the broken one; the example itself passes
    assert "after-a-sprain.md: grade " in result.stdout
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith(f"Error: {project / 'handouts' / 'broken.md'}:")
    assert "front matter is not valid YAML" in error
    import json

    as_json = booklet("--check", "--json", "handouts/after-a-sprain.md", cwd=project)
    assert json.loads(as_json.stdout)["passed"] is True
    (project / "handouts" / "broken.md").unlink()
    folder = json.loads(booklet("--check", "--json", cwd=project).stdout)
    assert list(folder["handouts"]) == ["after-a-sprain.md"]
