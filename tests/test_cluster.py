"""A library laid out on a real Dask cluster (--scheduler): the same bytes as a local build."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, build_py

HERE = Path(__file__).parent
LANGUAGES = ["ar", "el", "he", "ru"]  # he: no readability formula, so no grade
GOOD = [
    "ar",
    "back-spasm",
    "deutsch/nacken",
    "deutsch/rueckenschmerzen",
    "el",
    "espanol/ciatica",
    "espanol/dolor-lumbar",
    "he",
    "migraine",  # names its own log definition, logs/migraine.toml
    "posture",
    "ru",
    "sciatica",
    "wrist/sprained-wrist",  # shows sling.png beside it
]
BROKEN = "knee-draft.md"  # a draft with front matter and no text yet
# The command's SOURCE_DATE_EPOCH, which the workers (started without it) must use too.
EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}


def build(*args, env=None):
    """`python build.py ARGS` in a real process, with the command's SOURCE_DATE_EPOCH."""
    return build_py(*args, env={**EPOCH, **(env or {})}, timeout=240)


def pdfs(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*.pdf"))}


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes on 127.0.0.1; a task whose worker dies is run once more."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        local = LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        )
    client = Client(local)
    yield local, client
    client.close()
    local.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A 14-handout library (one broken), its settings with a logo, and a local build."""
    base = tmp_path_factory.mktemp("cluster")
    handouts = base / "handouts"
    shutil.copytree(HERE / "library", handouts)
    for name in LANGUAGES:
        shutil.copy(HERE / "languages" / f"{name}.md", handouts)
    for name in ("wrist", "logs"):
        shutil.copytree(HERE / "cluster" / name, handouts / name)
    for name in ("migraine.md", BROKEN):
        shutil.copy(HERE / "cluster" / name, handouts)
    shutil.copytree(HERE / "cluster" / "settings", base / "settings")
    local = build(handouts, "-o", base / "local", "--config", base / "settings" / "clinic.toml")
    assert local.returncode == 1, local.stderr
    assert sorted(pdfs(base / "local")) == sorted(f"{name}.pdf" for name in GOOD)
    return base


def on_cluster(project, cluster, out, *more):
    handouts, settings = project / "handouts", project / "settings" / "clinic.toml"
    address = cluster[0].scheduler_address
    return build(handouts, "-o", out, "--config", settings, "--scheduler", address, *more)


def errors(run):
    return [line for line in run.stderr.splitlines() if line.startswith("Error:")]


@pytest.mark.slow
def test_the_cluster_writes_what_a_local_build_writes(project, cluster, tmp_path):
    # Paths as a user types them, from the working folder: the workers never see them.
    relative = [
        os.path.relpath(path, ROOT)
        for path in (project / "handouts", tmp_path / "out", project / "settings" / "clinic.toml")
    ]
    address = cluster[0].scheduler_address
    run = build(relative[0], "-o", relative[1], "--config", relative[2], "--scheduler", address)
    assert run.returncode == 1
    assert "built 13, up to date 0, failed 1" in run.stdout
    assert errors(run) == [
        f"Error: {project / 'handouts' / BROKEN}: the essay is empty: there is no text "
        "after the front matter"
    ]
    assert "Traceback" not in run.stderr
    assert pdfs(tmp_path / "out") == pdfs(project / "local")  # byte for byte
    record = tmp_path / "out" / ".booklet-library.json"
    assert record.read_bytes() == (project / "local" / ".booklet-library.json").read_bytes()
    # The warnings name the command's files, never a worker's temporary folder.
    local = build(
        project / "handouts",
        "-o",
        tmp_path / "again",
        "--config",
        project / "settings" / "clinic.toml",
        "-j",
        "1",
    )
    warnings = sorted(line for line in run.stderr.splitlines() if line.startswith("Warning:"))
    assert warnings and warnings == sorted(
        line for line in local.stderr.splitlines() if line.startswith("Warning:")
    )


@pytest.mark.slow
def test_a_second_run_builds_nothing_and_an_edit_rebuilds_one(project, cluster, tmp_path):
    handouts, out = tmp_path / "handouts", tmp_path / "out"
    shutil.copytree(project / "handouts", handouts)
    settings, address = project / "settings" / "clinic.toml", cluster[0].scheduler_address

    def run():
        return build(handouts, "-o", out, "--config", settings, "--scheduler", address)

    assert "built 13, up to date 0, failed 1" in run().stdout
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.pdf")}
    again = run()
    assert "built 0, up to date 13, failed 1" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.pdf")} == stamps
    posture = handouts / "posture.md"
    posture.write_text(posture.read_text().replace("Sitting Well", "Sitting Better", 1))
    edited = run()
    assert "built 1, up to date 12, failed 1" in edited.stdout
    assert "posture.md: built posture.pdf" in edited.stdout
    changed = {p for p in out.rglob("*.pdf") if p.stat().st_mtime_ns != stamps[p]}
    assert changed == {out / "posture.pdf"}


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_no_handout(project, cluster, tmp_path):
    local, client = cluster
    pids = client.run(os.getpid)
    out = tmp_path / "out"
    address = local.scheduler_address
    process = subprocess.Popen(
        [sys.executable, "build.py", project / "handouts", "-o", out, "--config"]
        + [project / "settings" / "clinic.toml", "--scheduler", address],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **EPOCH},
    )
    first = process.stdout.readline()  # one handout done: the others are under way
    assert first.startswith("[1/14]"), first + process.stderr.read()
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 1, stderr
    assert "built 13, up to date 0, failed 1" in stdout
    assert [line for line in stderr.splitlines() if line.startswith("Error:")] == [
        f"Error: {project / 'handouts' / BROKEN}: the essay is empty: there is no text "
        "after the front matter"
    ]
    assert pdfs(out) == pdfs(project / "local")
    record = json.loads((out / ".booklet-library.json").read_text())
    assert sorted(record["handouts"]) == sorted(f"{name}.md" for name in GOOD)
    deadline = time.monotonic() + 30  # the nanny starts a new worker in its place
    while len(client.scheduler_info()["workers"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert victim not in client.run(os.getpid).values()  # it was killed, and replaced


def test_without_distributed_it_says_what_to_install(tmp_path):
    """No Dask installed: one line naming the extra, exit 2, and nothing built."""
    code = (
        "import sys; sys.modules['distributed'] = None\n"
        "sys.path.insert(0, '.'); sys.argv = ['build.py', *sys.argv[1:]]\n"
        "import build; build.main()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, HERE / "library", "-o", tmp_path / "out"]
        + ["--scheduler", "tcp://127.0.0.1:1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.splitlines() == [
        "Error: --scheduler needs Dask's distributed, which is not installed: "
        "pip install 'booklet[cluster]'"
    ]
    assert not (tmp_path / "out").exists()


def test_a_scheduler_for_one_file_is_a_usage_error(tmp_path):
    run = build(HERE / "library" / "posture.md", "--scheduler", "tcp://127.0.0.1:1")
    assert run.returncode == 2
    assert "--scheduler lays out a library" in run.stderr


def test_a_scheduler_from_the_environment_leaves_one_file_alone(tmp_path):
    """BOOKLET_SCHEDULER is the service's, for its libraries: a single file builds here."""
    out = tmp_path / "posture.pdf"
    run = build(
        HERE / "library" / "posture.md", "-o", out, env={"BOOKLET_SCHEDULER": "tcp://127.0.0.1:1"}
    )
    assert run.returncode == 0, run.stderr
    assert out.is_file()


@pytest.mark.slow
def test_a_local_library_never_imports_dask(tmp_path):
    handouts = tmp_path / "handouts"
    handouts.mkdir()
    shutil.copy(HERE / "library" / "posture.md", handouts)
    shutil.copy(HERE / "library" / "sciatica.md", handouts)
    code = (
        "import sys; sys.path.insert(0, '.'); sys.argv = ['build.py', *sys.argv[1:]]\n"
        "from booklet.cli import main\n"
        "try:\n    main()\nexcept SystemExit as done:\n    status = done.code\n"
        "print('distributed' in sys.modules, 'dask' in sys.modules, status)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, handouts, "-o", tmp_path / "out", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout.split() == ["False", "False", "0"], run.stderr
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 2


@pytest.mark.slow
def test_the_command_line_wins_then_the_environment_then_the_settings(tmp_path):
    """Each address names a scheme Dask does not know: the one line says which was used."""
    settings = tmp_path / "clinic.toml"
    settings.write_text('name = "Riverside"\nscheduler = "settings-says://host:8786"\n')
    library = ["tests/library", "-o", tmp_path / "out", "--config", settings]
    environment = {"BOOKLET_SCHEDULER": "environment-says://host:8786"}
    for env, more, used in [
        ({}, [], "settings-says"),
        (environment, [], "environment-says"),
        (environment, ["--scheduler", "command-says://host:8786"], "command-says"),
    ]:
        run = build(*library, *more, env=env)
        assert run.returncode == 1
        assert run.stderr.startswith(f"Error: no Dask scheduler at {used}://host:8786: "), (
            run.stderr
        )
        assert len(run.stderr.splitlines()) == 1


def test_a_worker_with_another_version_lays_nothing_out():
    """The record's key holds the command's version: another program's PDFs would lie."""
    from booklet import __version__, cluster
    from booklet.library import FAILED, find_handouts

    handout = find_handouts([HERE / "library" / "posture.md"])[0]
    parcel = cluster.Parcel(handout.name, None, {}, {}, "0" * 64, None, version="0.9.0")
    result = cluster.lay_out_remotely({}, parcel, handout)  # as a worker runs it
    assert result.state == FAILED
    assert result.error == (
        f"{handout.source}: not built: a worker has booklet {__version__}, the command "
        "0.9.0; install the same wheel on every worker"
    )
