#!/usr/bin/env python3
"""Build the patient booklet: `python build.py --help`."""

import math
import os
import signal
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from booklet import __version__  # noqa: E402
from booklet.editions import (  # noqa: E402  (light: WeasyPrint loads only to build)
    DEFAULT_LOG,
    DEFAULT_LOG_PAGES,
    EDITIONS,
    LOG_PAGES,
    MAX_BYTES,
    MAX_GRADE,
    PAPERS,
)

DEFAULT_SOURCE = ROOT / "content" / "essay.md"
DEFAULT_CONFIG = ROOT / "content" / "clinic.toml"


def _shown(path):
    """A path relative to the working folder when it is inside it, else as it is."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def _size(n):
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path), metavar="[SOURCE]...")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Reading copy to write [default: dist/<source stem>.pdf]; for a library, the folder "
    "to build it into [default: dist/].",
)
@click.option(
    "--episode-log/--no-episode-log",
    default=None,
    help="Add the blank episode log at the back [default: off, or the settings' episode_log].",
)
@click.option(
    "--log-pages",
    type=click.IntRange(*LOG_PAGES),
    default=None,
    help=f"Pages of episode log, as many cards a page as the log says "
    f"({LOG_PAGES[0]}-{LOG_PAGES[1]}) [default: {DEFAULT_LOG_PAGES}].",
)
@click.option(
    "--log",
    "log",
    metavar="NAME|PATH",
    default=None,
    help="Which log, and turn it on: a shipped one ("
    + ", ".join(sorted(path.stem for path in (ROOT / "templates" / "logs").glob("*.toml")))
    + f"; default {DEFAULT_LOG}) or a log definition (.toml) [default: the essay's "
    "front matter 'log:', or the settings' log].",
)
@click.option(
    "--impose",
    is_flag=True,
    help="Also write <output stem>-print.pdf: sheets to print double-sided, fold and staple.",
)
@click.option(
    "--paper",
    type=click.Choice(list(PAPERS), case_sensitive=False),
    default=None,
    help="; ".join(f"{name}: {paper.describe}" for name, paper in PAPERS.items())
    + " [default: a4].",
)
@click.option(
    "--large-print",
    is_flag=True,
    default=None,
    help="Large-print edition: 18 pt type on full A4/Letter pages.",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    help="Clinic settings (TOML) [default: content/clinic.toml if it exists].",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of Jinja templates and CSS [default: templates/].",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail, not warn, when the essay or templates refer to a file or URL they may not use.",
)
@click.option(
    "--allow-missing-glyphs",
    is_flag=True,
    help="Build even when the essay has text of a script no shipped font draws (it prints "
    "in a system font, or as empty boxes): a warning, not an error.",
)
@click.option(
    "--max-size",
    type=click.IntRange(1),
    default=MAX_BYTES,
    show_default=True,
    help="Largest essay file accepted, in bytes.",
)
@click.option(
    "--allow",
    "allow",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Let the build read one more folder (repeatable), e.g. a shared images folder; "
    "everything else stays refused.",
)
@click.option(
    "-e",
    "--edition",
    "editions",
    multiple=True,
    type=click.Choice(list(EDITIONS)),
    help="Build this edition too, in the same run (repeatable): each is written as "
    "<output stem><suffix>.pdf. Replaces --paper, --large-print and --impose.",
)
@click.option(
    "-w", "--watch", is_flag=True, help="Rebuild whenever the essay, settings or templates change."
)
@click.option(
    "--check",
    is_flag=True,
    help="Measure the essay's reading level and print a report instead of building (no PDF); "
    "exit 1 when it is above --max-grade.",
)
@click.option(
    "--json", "json_report", is_flag=True, help="With --check: print the report as one JSON object."
)
@click.option(
    "--max-grade",
    type=click.FloatRange(0),
    default=None,
    help=f"Highest reading grade allowed [default: the settings' max_grade, else {MAX_GRADE}].",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1),
    default=None,
    help="Library: how many handouts to lay out at once [default: the number of cores].",
)
@click.option(
    "--force", is_flag=True, help="Library: rebuild every handout, even those up to date."
)
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
@click.version_option(__version__, "--version", prog_name="booklet")
@click.pass_context
def main(ctx, sources, watch, quiet, check, json_report, jobs, force, **options):
    """Turn the essay's Markdown (SOURCE, default content/essay.md) into a printable booklet PDF.

    SOURCE may be a folder (every *.md under it) or several files: a library, built into
    the -o folder, in parallel, each handout only when something it depends on changed.
    """
    # `kill` gets the same clean stop as Ctrl-C: no half-written file left behind.
    signal.signal(signal.SIGTERM, _interrupt)
    given = {
        name
        for name in ("paper", "large_print", "impose")
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    }
    if options["editions"] and given:
        flag = "--" + sorted(given)[0].replace("_", "-")
        raise click.UsageError(f"--edition replaces {flag}; use one or the other.")
    if json_report and not check:
        raise click.UsageError("--json goes with --check.")
    if len(sources) > 1 or (sources and sources[0].is_dir()):
        ctx.exit(run_library(sources, watch, quiet, check, jobs, force, options))
    options["source"] = sources[0] if sources else DEFAULT_SOURCE
    if check:
        ctx.exit(_one_line(lambda: run_check(json_report, **options), options["source"]))
    if watch:
        from booklet.watch import watch_and_rebuild

        watch_and_rebuild(lambda: make_request(**options), report, quiet)
        return
    from booklet.pipeline import build

    built = _one_line(lambda: build(make_request(**options)), options["source"])
    report(built.written, built.warnings, quiet)
    if built.reading is not None and not quiet:
        from booklet.readability import reading_level_line

        click.echo(reading_level_line(built.reading))


def run_library(sources, watch, quiet, check, jobs, force, options):
    """A folder or several files: build each handout that changed into the -o folder."""
    from booklet import library

    output = options["output"]
    if check:
        raise click.UsageError("--check measures one essay; give one file.")
    if output is not None and (output.suffix.lower() == ".pdf" or output.is_file()):
        raise click.UsageError(
            f"-o names the folder a library is built into, not a file: {_shown(output)}"
        )
    folder = output if output is not None else ROOT / "dist"

    def run():
        nonlocal force
        handouts = library.find_handouts(sources)
        force, forced = False, force  # --watch: only the first run is forced
        summary = library.build_library(
            handouts,
            lambda source, out: make_request(**{**options, "source": source, "output": out}),
            folder,
            jobs,
            forced,
            quiet,
        )
        library.report(summary, quiet)
        return summary

    where = ", ".join(map(str, sources))
    if watch:
        from booklet.watch import watch_library

        return _one_line(lambda: watch_library(run, sources), where)
    summary = _one_line(run, where)
    return 1 if summary.count(library.FAILED) else 0


def _one_line(action, source):
    """Run action(); a bug still reaches the user as one line, unless debugging."""
    from booklet.errors import unexpected

    try:
        return action()
    except click.ClickException:
        raise
    except Exception as error:
        if os.environ.get("BOOKLET_DEBUG"):
            raise
        raise unexpected(error, source) from None


def run_check(json_report, source, config, max_grade, max_size, **_):
    """--check: print the reading-level report; the exit status says whether it passed."""
    from booklet.readability import as_json, check_essay, format_text

    clinic = load_settings(config)
    report = check_essay(source, target_grade(clinic, max_grade), clinic.jargon, max_bytes=max_size)
    click.echo(as_json(report) if json_report else format_text(report))
    return 0 if report.passed else 1


def load_settings(config):
    """The clinic settings: --config, else content/clinic.toml when it exists."""
    from booklet.settings import load_clinic

    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    return load_clinic(config)


def target_grade(clinic, max_grade):
    """The reading grade to meet: --max-grade, else the settings', else the default."""
    if max_grade is not None:
        if not math.isfinite(max_grade):
            raise click.BadParameter(
                "must be a reading grade, 0 or more", param_hint="'--max-grade'"
            )
        return max_grade
    return clinic.max_grade if clinic.max_grade is not None else MAX_GRADE


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def make_request(
    source,
    output,
    episode_log,
    log_pages,
    impose,
    paper,
    large_print,
    config,
    templates,
    strict,
    max_size,
    allow,
    editions,
    allow_missing_glyphs=False,
    max_grade=None,
    log=None,
):
    """Turn the options, with the clinic settings' defaults, into a build request."""
    from booklet.pipeline import Request, outputs_for_editions, outputs_for_flags
    from booklet.render import TEMPLATES

    clinic = load_settings(config)
    defaults = clinic.defaults
    templates = (templates or TEMPLATES).resolve()
    if log is not None:
        check_log_name(log, templates)
    refused = episode_log is False  # --no-episode-log: not even a log the essay names
    if episode_log is None:
        episode_log = defaults.get("episode_log", False) or log_pages is not None or log is not None
    if log_pages is None:
        log_pages = defaults.get("log_pages", DEFAULT_LOG_PAGES)
    if output is None:
        output = ROOT / "dist" / f"{source.stem}.pdf"
    elif output.is_dir() and output.suffix.lower() != ".pdf":
        output = output / f"{source.stem}.pdf"  # a folder: the PDF goes in it
    elif output.suffix.lower() != ".pdf":  # `-o essay.md` would overwrite the essay
        raise click.BadParameter(
            f"{output} is not a .pdf name: name the PDF to write, or an existing folder",
            param_hint="'-o' / '--output'",
        )
    if editions:
        outputs = outputs_for_editions(output, editions)
    elif not (paper or large_print or impose) and defaults.get("editions"):
        outputs = outputs_for_editions(output, defaults["editions"])
    else:
        paper = (paper or defaults.get("paper", "a4")).lower()
        if large_print is None and defaults.get("large_print") and impose:
            raise click.UsageError(
                f"{clinic.path} sets large_print = true, whose pages are already sheet-sized: "
                "print the reading copy double-sided instead of --impose (or pass "
                "--config with other settings)."
            )
        if large_print is None:
            large_print = defaults.get("large_print", False)
        if large_print and impose:
            raise click.UsageError(
                "--large-print pages are already sheet-sized; print the reading copy "
                "double-sided instead of --impose."
            )
        outputs = outputs_for_flags(output, paper, large_print, impose)
    return Request(
        source=source,
        clinic=clinic,
        outputs=outputs,
        log_pages=log_pages if episode_log else 0,
        log_if_named=0 if refused else log_pages,
        strict=strict,
        allow_missing_glyphs=allow_missing_glyphs,
        templates=templates,
        max_bytes=max_size,
        allow=tuple(folder.resolve() for folder in allow) + clinic.allow,
        max_grade=target_grade(clinic, max_grade),
        log=log,
    )


def check_log_name(log, templates):
    """--log naming no shipped preset is a usage error (a path is read when building)."""
    from booklet.errors import closest
    from booklet.logbook import is_preset_name, preset_names, presets_folder

    names = preset_names(presets_folder(templates))
    if is_preset_name(log) and log not in names:
        near = closest(log, names)
        hint = f"did you mean '{near}'? " if near else ""
        raise click.BadParameter(
            f"no shipped log named '{log}' ({hint}shipped: {', '.join(names)}; "
            "or give the path of a .toml definition)",
            param_hint="'--log'",
        )


def report(written, warnings, quiet=False):
    """Say what was written, and how to print the sheets."""
    for warning in warnings:
        click.echo(f"Warning: {warning}", err=True)
    if quiet:
        return
    for item in written:
        unit = "sheet sides" if item.kind == "print sheets" else "pages"
        click.echo(
            f"Wrote {_shown(item.path)} ({item.kind}, {item.pages} {unit}, {_size(item.size)})"
        )
    if any(item.kind == "print sheets" for item in written):
        click.echo(
            "To print: double-sided, flip on short edge, then fold in half and staple at the fold."
        )


if __name__ == "__main__":
    main()
