"""Whole-process timings of our builds against a bare WeasyPrint render, side by side.

Runs each command alternately (warm-up first), reports medians, the ratio to the bare
render's median in the same run, and peak memory. `make bench`.
"""

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ESSAY = ROOT / "content" / "essay.md"
RUNS = int(os.environ.get("BENCH_RUNS", "7"))


def timed(command, env=None):
    """Wall time, CPU time (the process and the children it waited for) and peak MB."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env} if env else None,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"failed: {' '.join(map(str, command))}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def compare(commands, runs=RUNS, env=None):
    """Alternate the commands `runs` times after one warm-up; medians per command.

    {name: (median wall, median CPU, peak MB)}.
    """
    for command in commands.values():
        timed(command, env)
    times = {name: [] for name in commands}
    cpus = {name: [] for name in commands}
    memory = {name: 0.0 for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            elapsed, cpu, peak = timed(command, env)
            times[name].append(elapsed)
            cpus[name].append(cpu)
            memory[name] = max(memory[name], peak)
    return {
        name: (statistics.median(times[name]), statistics.median(cpus[name]), memory[name])
        for name in commands
    }


def table(title, results, baseline="bare WeasyPrint", targets=None):
    """Medians, wall and CPU, each as a ratio to the baseline's; a target holds for both."""
    targets = targets or {}
    base_wall, base_cpu, base_peak = results[baseline]
    print(f"\n{title}")
    print(
        f"{'build':<44} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6} "
        f"{'target':>7} {'':<7} {'peak MB':>7} {'ratio':>6}"
    )
    for name, (wall, cpu, peak) in results.items():
        target = targets.get(name, "")
        mark = ""
        if target:
            mark = "ok" if max(wall / base_wall, cpu / base_cpu) <= target else "MISSED"
            target = f"≤{target:.2f}×"
        print(
            f"{name:<44} {wall:7.3f} {wall / base_wall:5.2f}× {cpu:7.3f} {cpu / base_cpu:5.2f}× "
            f"{target:>7} {mark:<7} {peak:7.0f} {peak / base_peak:5.2f}×"
        )


def other_core_busy(bare, build, tmp):
    """The default build against the bare render while `yes` keeps the other core busy."""
    busy = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
    try:
        results = compare(
            {
                "bare WeasyPrint": [*bare, str(ESSAY), str(tmp / "bare.pdf")],
                "default build, other core busy": [*build, "-o", str(tmp / "a.pdf")],
            },
            runs=max(3, RUNS // 2),
        )
    finally:
        busy.kill()
        busy.wait()
    table(
        "The essay, the other core busy (`yes > /dev/null` beside it)",
        results,
        targets={"default build, other core busy": 1.15},
    )


STAGE_ORDER = (
    "Python start-up and exit",
    "start-up: the command, Click, options",
    "settings, request",
    "imports: WeasyPrint, Markdown, Jinja",
    "reading: front matter, Markdown, sanitiser",
    "language, log",
    "glyph check",
    "render (Jinja)",
    "HTML parse",
    "CSS: stylesheets, cascade",
    "fonts: @font-face",
    "layout",
    "write: PDF objects",
    "write: font subsets",
    "finisher (PDF/UA)",
    "reading level",
    "write files",
)


def stages(bare, build, tmp):
    """One default build and the bare render by stage: medians of BOOKLET_TIMINGS runs."""
    import json

    kinds = {
        "default build": [*build, "-o", str(tmp / "s.pdf")],
        "bare WeasyPrint": [*bare, str(ESSAY), str(tmp / "bare.pdf")],
    }
    found = {kind: {} for kind in kinds}
    runs = max(3, RUNS)
    for command in kinds.values():  # warm-up
        timed(command)
    for _ in range(runs):
        for kind, command in kinds.items():
            record = tmp / "timings.json"
            wall, cpu, _ = timed(command, {"BOOKLET_TIMINGS": str(record)})
            times = json.loads(record.read_text())
            times["Python start-up and exit"] = [
                wall - sum(t[0] for t in times.values()),
                cpu - sum(t[1] for t in times.values()),
            ]
            times["whole process"] = [wall, cpu]
            for name, (stage_wall, stage_cpu) in times.items():
                found[kind].setdefault(name, []).append((stage_wall, stage_cpu))

    def median(kind, name, index):
        values = found[kind].get(name)
        if not values:
            return ""
        # a stage missing from some runs counts as 0 in them
        values = [v[index] for v in values] + [0.0] * (runs - len(values))
        return f"{statistics.median(values) * 1000:.0f}"

    names = [n for n in STAGE_ORDER if any(n in found[k] for k in kinds)]
    names += [n for k in kinds for n in found[k] if n not in names and n != "whole process"]
    print(
        f"\nOne build by stage (BOOKLET_TIMINGS, medians of {runs} runs each, ms; stages "
        "do not overlap; a stage's median is over runs, so the rows need not add up)"
    )
    print("| stage | build wall | build CPU | bare wall | bare CPU |")
    print("|---|---:|---:|---:|---:|")
    for name in [*names, "whole process"]:
        row = [median(kind, name, i) for kind in kinds for i in (0, 1)]
        label = f"**{name}**" if name == "whole process" else name
        print(f"| {label} | " + " | ".join(v or "–" for v in row) + " |")


def grown(folder, factor):
    """The essay repeated `factor` times, headings and all."""
    text = ESSAY.read_text()
    front, body = text.split("\n---\n", 1)
    path = folder / f"essay-x{factor}.md"
    path.write_text(front + "\n---\n" + "\n\n".join([body] * factor))
    return path


def scripts(build, tmp):
    """A Japanese handout against a Latin one of the same page count (four A5 pages)."""
    latin = ROOT / "tests" / "library" / "sciatica.md"
    results = compare(
        {
            "a Latin handout (4 pages)": [*build, str(latin), "-o", str(tmp / "latin.pdf")],
            "a Japanese handout (4 pages, CJK face)": [
                *build,
                str(ROOT / "tests" / "scripts" / "ja-colonoscopy.md"),
                "-o",
                str(tmp / "japanese.pdf"),
            ],
        }
    )
    table(
        "Scripts (ratios to the Latin handout)",
        results,
        baseline="a Latin handout (4 pages)",
        targets={"a Japanese handout (4 pages, CJK face)": 1.3},
    )


def main():
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {RUNS} runs each, medians"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build = [PY, "build.py", "-q"]
        bare = [PY, "bench/bare.py"]
        results = compare(
            {
                "bare WeasyPrint": [*bare, str(ESSAY), str(tmp / "bare.pdf")],
                "bare WeasyPrint, A4 16 px (old baseline)": [
                    *bare,
                    str(ESSAY),
                    str(tmp / "bare-a4.pdf"),
                    "--a4",
                ],
                "default build": [*build, "-o", str(tmp / "a.pdf")],
                "--episode-log --impose": [
                    *build,
                    "-o",
                    str(tmp / "b.pdf"),
                    "--episode-log",
                    "--impose",
                ],
                "4 editions (reading, print, large, letter)": [
                    *build,
                    "-o",
                    str(tmp / "c.pdf"),
                    "--episode-log",
                    "-e",
                    "reading",
                    "-e",
                    "print",
                    "-e",
                    "large-print",
                    "-e",
                    "letter",
                ],
                "--check (reading level, no PDF)": [PY, "build.py", "--check", "--max-grade", "30"],
                "--help": [PY, "build.py", "--help"],
                "--version": [PY, "build.py", "--version"],
            }
        )
        table(
            "The essay",
            results,
            targets={
                "default build": 1.15,
                "--episode-log --impose": 1.35,
                "4 editions (reading, print, large, letter)": 1.8,
                "--check (reading level, no PDF)": 0.5
                * results["default build"][0]
                / results["bare WeasyPrint"][0],  # half a default build
                "--help": 0.25,
                "--version": 0.25,
            },
        )
        peak = results["default build"][2] / results["bare WeasyPrint"][2]
        print(
            f"peak memory, default build / bare: {peak:.2f}× (target ≤1.20×)"
            + (" ok" if peak <= 1.2 else " MISSED")
        )
        other_core_busy(bare, build, tmp)
        scripts(build, tmp)
        stages(bare, build, tmp)
        watch_rebuilds(tmp)
        preview_edits(tmp)
        library_runs(tmp)
        cluster_runs(tmp)
        if os.environ.get("BENCH_QUICK"):
            return
        for factor in (10, 100):
            source = grown(tmp, factor)
            results = compare(
                {
                    "bare WeasyPrint": [*bare, str(source), str(tmp / "bare.pdf")],
                    "default build": [*build, str(source), "-o", str(tmp / "g.pdf")],
                },
                runs=max(3, RUNS // 2) if factor == 10 else 3,
            )
            table(f"The essay ×{factor}", results)
        impose_300(tmp)


def watch_rebuilds(tmp, edits=7):
    """Median time --watch reports for a rebuild after the essay is saved."""
    import re
    import signal

    source = tmp / "watched.md"
    source.write_text(ESSAY.read_text())
    process = subprocess.Popen(
        [PY, "build.py", str(source), "-o", str(tmp / "watched.pdf"), "--watch"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    time.sleep(4)
    for n in range(edits):
        with source.open("a") as essay:
            essay.write(f"\nEdit {n}.\n")
        time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    try:
        output = process.communicate(timeout=30)[0]
    except subprocess.TimeoutExpired:  # a loaded machine: never leave it running
        process.kill()
        output = process.communicate()[0]
    times = [float(t) for t in re.findall(r"Changed .*: rebuilt .* in ([\d.]+) s", output)]
    median = statistics.median(times) if times else float("nan")
    print(
        f"\n--watch rebuild after an edit: median {median:.2f} s of {len(times)} "
        "(target ≤0.4 s)" + (" ok" if median <= 0.4 else " MISSED")
    )


def preview_edits(tmp, edits=7):
    """--serve: from writing the essay to the SSE event and the new page images fetchable."""
    import http.client
    import json
    import signal
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = tmp / "previewed.md"
    source.write_text(ESSAY.read_text())
    process = subprocess.Popen(
        [PY, "build.py", str(source), "-o", str(tmp / "previewed.pdf"), "--serve"]
        + ["--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def get(path):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def state():
        return json.loads(get("/state.json")[1])

    times = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if state()["outputs"] and not state()["building"]:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        events = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        events.request("GET", "/events")
        stream = events.getresponse()
        for n in range(edits):
            before = {p["key"] for p in state()["outputs"][0]["pages"]}
            started = time.perf_counter()
            with source.open("a") as essay:
                essay.write(f"\n## Edit {n}\n\nA paragraph written while the page is open.\n")
            while True:  # each `build` event, until one whose state has the new pages
                line = stream.fp.readline()
                if not line.startswith(b"data:"):
                    continue
                now = state()
                pages = {p["key"] for p in now["outputs"][0]["pages"]}
                if not now["building"] and pages != before:
                    break
            for key in pages - before:
                assert get(f"/page/{key}.png")[0] == 200
            times.append(time.perf_counter() - started)
            time.sleep(0.5)
        events.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    median = statistics.median(times)
    print(
        f"preview: a saved edit shows in the open page: median {median:.2f} s of {len(times)} "
        "(target ≤2 s)" + (" ok" if median <= 2 else " MISSED")
    )


LIBRARY = ROOT / "tests" / "library"  # seven short handouts in English, Spanish and German


def one_by_one(sources, folder):
    """A command that builds each handout in a process of its own, one after another."""
    builds = [
        [PY, "build.py", "-q", str(source), "-o", str(folder / f"{n}.pdf")]
        for n, source in enumerate(sources)
    ]
    return [
        PY,
        "-c",
        f"import subprocess\nfor b in {builds!r}: subprocess.run(b, check=True, stderr=-3)",
    ]


def peak_tree_mb(command):
    """Largest resident set of any process in the command's tree (RUSAGE_CHILDREN), in MB."""
    code = (
        "import resource, subprocess, sys\n"
        f"subprocess.run({[str(c) for c in command]!r}, check=True, stdout=-3, stderr=-3)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout) / 1024


def library_runs(tmp):
    """A library in one run against one process per handout; unchanged; one edit; memory."""
    import shutil

    handouts = tmp / "library"
    shutil.copytree(LIBRARY, handouts)
    sources = sorted(handouts.rglob("*.md"))
    build = [PY, "build.py", "-q", str(handouts)]
    quiet = {"cwd": ROOT, "check": True, "stderr": subprocess.DEVNULL}
    subprocess.run([*build, "-o", str(tmp / "kept")], **quiet)
    results = compare(
        {
            "7 handouts, one process each": one_by_one(sources, tmp / "single"),
            "7 handouts in one run (first run, --force)": [
                *build,
                "-o",
                str(tmp / "lib"),
                "--force",
            ],
            "7 handouts unchanged": [*build, "-o", str(tmp / "kept")],
        },
        runs=max(3, RUNS // 2),
    )
    table(
        "A library (ratios to one process per handout)",
        results,
        baseline="7 handouts, one process each",
        targets={"7 handouts in one run (first run, --force)": 0.5},
    )
    first = results["7 handouts in one run (first run, --force)"][0]
    unchanged = results["7 handouts unchanged"][0]
    print(
        f"unchanged / first run: {unchanged / first:.2f}× (target ≤0.25×)"
        + (" ok" if unchanged / first <= 0.25 else " MISSED")
    )
    kept = tmp / "kept"
    before = {p: p.stat().st_mtime_ns for p in kept.rglob("*.pdf")}
    edited = handouts / "espanol" / "ciatica.md"
    edited.write_text(edited.read_text() + "\nCamine un poco más cada día.\n")
    subprocess.run([*build, "-o", str(kept)], **quiet)
    changed = sorted(
        p.relative_to(kept).as_posix() for p in before if p.stat().st_mtime_ns != before[p]
    )
    print(
        f"one essay edited: rewritten {', '.join(changed) or 'nothing'}"
        + (" ok" if changed == ["espanol/ciatica.pdf"] else " MISSED")
    )
    library_memory(tmp, sources + [ESSAY])


def library_memory(tmp, sources, count=100):
    """Peak memory of a 100-handout library against the largest single handout's build."""
    import shutil

    big = tmp / "library-100"
    for n in range(count):
        source = sources[n % len(sources)]
        target = big / f"part{n % 4}" / f"h{n:03d}-{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    single = max(
        peak_tree_mb([PY, "build.py", "-q", str(source), "-o", str(tmp / "one.pdf")])
        for source in sources
    )
    started = time.perf_counter()
    library = peak_tree_mb([PY, "build.py", "-q", str(big), "-o", str(tmp / "lib-100")])
    elapsed = time.perf_counter() - started
    print(
        f"{count} handouts in one run: {elapsed:.1f} s, peak {library:.0f} MB (one process); "
        f"largest single handout's build {single:.0f} MB; {library / single:.2f}× (target ≤2×)"
        + (" ok" if library <= 2 * single else " MISSED")
    )


def impose_300(tmp):
    """Imposing a 300-page booklet, in-process (pikepdf, pages as form XObjects)."""
    sys.path.insert(0, str(ROOT))
    from weasyprint import HTML

    from booklet.impose import impose

    body = "".join(f'<p style="break-after: page">Page {n}</p>' for n in range(1, 301))
    pages = HTML(string=f"<style>@page {{ size: A5 }}</style>{body}").write_pdf()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        impose(pages, (841.89, 595.28))
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    print(
        f"\nImposing 300 pages: median {median:.3f} s (target ≤1 s)"
        + (" ok" if median <= 1 else " MISSED")
    )


CLUSTER_HANDOUTS = int(os.environ.get("BENCH_CLUSTER_HANDOUTS", "100"))


def cluster_runs(tmp, count=CLUSTER_HANDOUTS):
    """The same library on the local pool and on a two-worker Dask LocalCluster (--scheduler)."""
    import shutil

    try:
        import dask
        from distributed import LocalCluster
    except ImportError:
        print("\nA library on a cluster: skipped, distributed is not installed (booklet[cluster])")
        return
    sources = sorted(LIBRARY.rglob("*.md")) + sorted((ROOT / "tests" / "languages").glob("*.md"))
    big = tmp / f"cluster-{count}"
    for n in range(count):
        source = sources[n % len(sources)]
        target = big / f"part{n % 4}" / f"h{n:03d}-{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    sys.path.insert(0, str(ROOT))  # the workers, spawned from here, import booklet
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        )
    build = [PY, "build.py", "-q", str(big), "--force", "-o"]
    on_cluster = ["--scheduler", cluster.scheduler_address]
    try:
        rows = {
            f"local pool ({os.cpu_count()} forked workers)": timed([*build, str(tmp / "pool")]),
            "2-worker LocalCluster, workers cold": timed([*build, str(tmp / "dask"), *on_cluster]),
            "2-worker LocalCluster, workers warm": timed([*build, str(tmp / "dask"), *on_cluster]),
            "local pool, again": timed([*build, str(tmp / "pool")]),
        }
    finally:
        cluster.close()
    same = all(
        (tmp / "dask" / p.relative_to(tmp / "pool")).read_bytes() == p.read_bytes()
        for p in (tmp / "pool").rglob("*.pdf")
    )
    print(f"\nA library of {count} handouts (--force), one run each")
    # CPU is the command's and its forked workers'; a cluster's workers are not counted.
    print(f"{'where':<44} {'wall s':>7} {'s/handout':>9} {'ratio':>6} {'CPU s (command)':>15}")
    base = next(iter(rows.values()))[0]
    for name, (wall, cpu, _) in rows.items():
        print(f"{name:<44} {wall:7.1f} {wall / count:9.3f} {wall / base:5.2f}× {cpu:15.1f}")
    print("cluster PDFs byte-identical to the local pool's: " + ("ok" if same else "MISSED"))


if __name__ == "__main__":
    main()
