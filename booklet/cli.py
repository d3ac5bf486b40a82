"""The command: options in, one call to the build, one-line errors out."""

import time

STARTED = time.perf_counter(), time.process_time()  # BOOKLET_TIMINGS: the command's start-up

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import click  # noqa: E402

from . import __version__  # noqa: E402
from .editions import (  # noqa: E402
    DEFAULT_LOG,
    DEFAULT_LOG_PAGES,
    EDITIONS,
    LOG_PAGES,
    MAX_BYTES,
    MAX_GRADE,
    PAPERS,
)
from .options import Defaults, load_settings, make_request, target_grade  # noqa: E402
from .paths import CHECKOUT, templates_folder  # noqa: E402


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
    + ", ".join(sorted(path.stem for path in (templates_folder() / "logs").glob("*.toml")))
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
    help="Clinic settings (TOML) [default: content/clinic.toml if it exists; installed, "
    "./clinic.toml first].",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of Jinja templates, CSS, fonts, catalogues and logs [default: the shipped "
    "templates/].",
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
    "--serve",
    is_flag=True,
    help="Build, then serve a live preview on http://127.0.0.1:PORT/ that follows every save.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="With --serve: the port to listen on (0: any free one).",
)
@click.option(
    "--host",
    metavar="ADDR",
    default="127.0.0.1",
    show_default=True,
    help="With --serve: the address to listen on; any other than 127.0.0.1 puts the "
    "preview on the network.",
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
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    envvar="BOOKLET_SCHEDULER",
    show_envvar=True,
    default=None,
    help="Library: lay the handouts out on the Dask cluster at this address "
    "(tcp://host:8786) instead of this machine's cores; needs booklet[cluster]. The "
    "command line wins, then BOOKLET_SCHEDULER, then the settings' scheduler.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
@click.version_option(__version__, "--version", prog_name="booklet")
@click.pass_context
def main(
    ctx,
    sources,
    watch,
    quiet,
    check,
    json_report,
    jobs,
    force,
    serve,
    port,
    host,
    scheduler,
    **options,
):
    """Turn the essay's Markdown (SOURCE) into a printable booklet PDF.

    SOURCE may be a folder (every *.md under it) or several files: a library, built into
    the -o folder, in parallel, each handout only when something it depends on changed.
    With no SOURCE: a handouts/ folder here (installed `booklet` only), else
    content/essay.md. Installed, `booklet new FOLDER` starts a clinic's project and
    `booklet doctor` says what this machine has for a build.
    """
    # `kill` gets the same clean stop as Ctrl-C: no half-written file left behind.
    signal.signal(signal.SIGTERM, _interrupt)
    # Ctrl-C (and `kill -INT`) stops a run even when a shell started it with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    defaults = ctx.obj if isinstance(ctx.obj, Defaults) else Defaults.checkout(CHECKOUT)
    from . import timings

    if timings.enabled():
        wall, cpu = time.perf_counter() - STARTED[0], time.process_time() - STARTED[1]
        timings.add("start-up: the command, Click, options", wall, cpu)
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
    if serve and check:
        raise click.UsageError("--serve shows --check's problems beside the pages; use one.")
    for name in ("port", "host"):
        if not serve and ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError(f"--{name} goes with --serve.")
    sources = sources or (defaults.source(),)
    library = len(sources) > 1 or sources[0].is_dir()
    if serve:
        ctx.exit(run_serve(sources, library, host, port, quiet, jobs, force, options, defaults))
    if library and check:
        where = ", ".join(map(str, sources))
        ctx.exit(_one_line(lambda: check_library(json_report, sources, options, defaults), where))
    if library:
        ctx.exit(
            run_library(sources, watch, quiet, jobs, force, options, defaults, None, scheduler)
        )
    if ctx.get_parameter_source("scheduler") == click.core.ParameterSource.COMMANDLINE:
        # From the environment or the settings it is the service's, for its libraries.
        raise click.UsageError("--scheduler lays out a library: give a folder, or several files.")
    options["source"] = sources[0]
    if check:
        ctx.exit(_one_line(lambda: run_check(json_report, defaults, **options), sources[0]))
    if watch:
        from .watch import watch_and_rebuild

        watch_and_rebuild(lambda: make_request(defaults, **options), report, quiet)
        return
    from .pipeline import build

    def timed_request():
        with timings.stage("settings, request"):
            return make_request(defaults, **options)

    built = _one_line(lambda: build(timed_request()), options["source"])
    report(built.written, built.warnings, quiet)
    if built.reading is not None and not quiet:
        from .readability import reading_level_line

        click.echo(reading_level_line(built.reading))


def run_serve(sources, library, host, port, quiet, jobs, force, options, defaults):
    """--serve: the change loop builds as --watch does, and the preview shows each build."""
    from .serve import serving
    from .watch import watch_and_rebuild

    # --check's report beside the pages: the build measures the grade alone.
    check = _one_line(lambda: essay_checker(options, defaults), sources[0])
    with serving(host, port, library, check, sources) as preview:
        if library:
            return run_library(sources, True, quiet, jobs, force, options, defaults, preview)
        options = {**options, "source": sources[0]}
        watch_and_rebuild(lambda: make_request(defaults, **options), report, quiet, preview)
    return 0


def run_library(sources, watch, quiet, jobs, force, options, defaults, hooks=None, scheduler=""):
    """A folder or several files: build each handout that changed into the -o folder."""
    from . import library

    if scheduler is None:  # not given nor in BOOKLET_SCHEDULER: the settings' (a preview: none)
        scheduler = load_settings(options["config"], defaults).defaults.get("scheduler")
    if scheduler:
        from .workers import require_distributed

        require_distributed()
    output = options["output"]
    if output is not None and (output.suffix.lower() == ".pdf" or output.is_file()):
        raise click.UsageError(
            f"-o names the folder a library is built into, not a file: {_shown(output)}"
        )
    folder = output if output is not None else defaults.dist

    def run():
        nonlocal force
        handouts = library.find_handouts(sources)
        force, forced = False, force  # --watch: only the first run is forced
        summary = library.build_library(
            handouts,
            lambda source, out: make_request(
                defaults, **{**options, "source": source, "output": out}
            ),
            folder,
            jobs,
            forced,
            quiet,
            scheduler,
        )
        library.report(summary, quiet)
        return summary

    where = ", ".join(map(str, sources))
    if watch:
        from .watch import watch_library

        return _one_line(lambda: watch_library(run, sources, hooks), where)
    summary = _one_line(run, where)
    return 1 if summary.count(library.FAILED) or summary.unwritten else 0


def _one_line(action, source):
    """Run action(); a bug still reaches the user as one line, unless debugging."""
    from .errors import unexpected

    try:
        return action()
    except click.ClickException:
        raise
    except Exception as error:
        if os.environ.get("BOOKLET_DEBUG"):
            raise
        raise unexpected(error, source) from None


def essay_checker(options, defaults):
    """--check on one essay as the settings and options say: a function, path → Report."""
    from .readability import check_essay

    clinic = load_settings(options["config"], defaults)
    target = target_grade(clinic, options["max_grade"])

    def check(source):
        return check_essay(
            source,
            target,
            clinic.jargon,
            max_bytes=options["max_size"],
            min_actionability=clinic.min_actionability,
        )

    return check


def run_check(json_report, defaults, **options):
    """--check: print the reading-level report; the exit status says whether it passed."""
    from .readability import as_json, format_text

    report = essay_checker(options, defaults)(options["source"])
    click.echo(as_json(report) if json_report else format_text(report))
    return 0 if report.passed else 1


def check_library(json_report, sources, options, defaults):
    """--check on a folder: every handout's report; exit 1 when any fails or cannot be read."""
    import json

    from .library import find_handouts
    from .readability import format_text

    check = essay_checker(options, defaults)
    reports, status = {}, 0
    for handout in find_handouts(sources):
        try:
            report = check(handout.source)
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            status = 1
            continue
        status = status or (0 if report.passed else 1)
        if json_report:
            reports[handout.name] = report.as_dict()
        else:
            click.echo(format_text(report) + "\n")
    if json_report:
        click.echo(json.dumps({"handouts": reports}, ensure_ascii=False, indent=2))
    return status


def _interrupt(signum, frame):
    raise KeyboardInterrupt


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


# `booklet NAME …` runs a subcommand, unless a file of that name is there: then it is a SOURCE.
SUBCOMMANDS = {
    "new": "newproject:new",
    "doctor": "doctor:doctor",
    "serve": "cli:serve_command",
}


class _ServeCommand:
    """`booklet serve [OPTIONS] [SOURCE]...` is `booklet --serve [OPTIONS] [SOURCE]...`."""

    @staticmethod
    def main(args, prog_name):
        return main.main(["--serve", *args], prog_name=prog_name, obj=Defaults.working_folder())


serve_command = _ServeCommand()


def entry(args=None):
    """The installed `booklet` command: the build, with defaults from the working folder.

    Run from the console (no `args`), the process ends without Python's teardown.
    """
    import importlib

    console = args is None
    args = sys.argv[1:] if console else list(args)
    try:
        if args and args[0] in SUBCOMMANDS and not Path(args[0]).exists():
            module, name = SUBCOMMANDS[args[0]].split(":")
            command = getattr(importlib.import_module(f".{module}", __package__), name)
            return command.main(args[1:], prog_name=f"booklet {args[0]}")
        return main.main(args, prog_name="booklet", obj=Defaults.working_folder())
    except SystemExit as done:  # Click ends every run with one
        if console:
            exit_now(done.code)
        raise


def exit_now(code):
    """End the process as sys.exit(code) would, without Python's teardown.

    Freeing everything a build made, module by module, costs ~0.3 s of CPU after the
    work is done (make bench). The files are written and closed by then; what is left
    in reference cycles is still collected (WeasyPrint's font configuration removes its
    copies of the fonts when it is), atexit handlers run, the output is flushed.
    """
    import atexit
    import gc

    gc.collect()
    if code is None or isinstance(code, int):
        status = code or 0
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing left to say
            status = status or 1
    os._exit(status)
