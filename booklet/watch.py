"""One change loop: run, then run again whenever a file it depends on changes, until Ctrl-C.

It drives --watch (one essay), a library's --watch and --serve alike: each gives it a
`run` that builds and says which files it read.
"""

import time
from pathlib import Path

import click

POLL_SECONDS = 0.1


def watched_files(templates, inputs):
    """The templates folder's files and every file the last build read."""
    from .library import template_files

    return set(template_files(templates)) | set(inputs)


def snapshot(files):
    """(modification time, size) of each file, None when it is gone."""
    state = {}
    for path in files:
        try:
            info = path.stat()
            state[path] = (info.st_mtime_ns, info.st_size)
        except OSError:
            state[path] = None
    return state


def follow(run, found=set, stop=None, where="the build"):
    """Call run(None), then run(names changed) on every change; run returns the files to
    watch, found() files that may appear (a new essay). Ends on Ctrl-C or when stop is set."""
    from .errors import unexpected

    def run_and_look(before, changed):
        """Run; files known before keep their state from before, so an edit made while
        the run went on is seen at the next look."""
        try:
            watched = set(run(changed))
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            watched = set()
        except Exception as error:  # a bug must not end the loop either
            click.echo(f"Error: {unexpected(error, where).format_message()}", err=True)
            watched = set()
        return {**snapshot(watched | found() | set(before)), **before}

    try:
        state = run_and_look(snapshot(found()), None)
        click.echo("Watching for changes; Ctrl-C to stop.")
        while stop is None or not stop.is_set():
            time.sleep(POLL_SECONDS)
            current = snapshot(set(state) | found())
            changed = sorted(str(p.name) for p in current if current[p] != state.get(p))
            if changed:
                state = run_and_look(current, changed)
    except KeyboardInterrupt:
        click.echo("Stopped watching.")


def watch_and_rebuild(make_request, report, quiet=False, hooks=None):
    """Build one essay, then rebuild on every change; errors are printed and the loop goes
    on. hooks (the preview) hear of each build starting, succeeding and failing."""
    from .errors import unexpected
    from .pipeline import build, font_configuration

    font_config = font_configuration()
    request = make_request()  # a usage error stops here, before watching starts
    inputs = {Path(request.source).resolve()}
    if request.clinic.path:
        inputs.add(Path(request.clinic.path).resolve())

    def rebuild(changed):
        nonlocal request, inputs
        reason = f"Changed {', '.join(changed)}" if changed else "Built"
        started = time.perf_counter()
        if hooks:
            hooks.building(changed)
        try:
            request = make_request()
            built = build(request, font_config)
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            if hooks:
                hooks.failed(error.format_message())
        except Exception as error:  # a bug must not end the loop either
            message = unexpected(error, request.source).format_message()
            click.echo(f"Error: {message}", err=True)
            if hooks:
                hooks.failed(message)
        else:
            inputs = built.inputs
            report(built.written, built.warnings, quiet=True)
            names = ", ".join(str(w.path.name) for w in built.written)
            if hooks:
                hooks.built(request, built)
            click.echo(f"{reason}: rebuilt {names} in {time.perf_counter() - started:.2f} s")
        return known()

    def known():
        # taken before the first build too, so an edit made while it runs is not missed
        return watched_files(request.templates, inputs)

    follow(rebuild, known, stop=hooks.stop if hooks else None)


def watch_library(run, sources, hooks=None):
    """Build a library, then run it again on every change: its record rebuilds only the
    handouts whose inputs changed. A new essay in a folder is a change too."""
    from .errors import unexpected
    from .library import source_files

    def essays():
        try:
            return source_files(sources)
        except click.ClickException:  # a file named on the command line is gone
            return set()

    def run_once(changed):
        if changed:
            click.echo(f"Changed {', '.join(changed)}")
        if hooks:
            hooks.building(changed)
        try:
            summary = run()
        except Exception as error:
            if hooks:
                hooks.failed(
                    error.format_message()
                    if isinstance(error, click.ClickException)
                    else unexpected(error, sources[0]).format_message()
                )
            raise
        if hooks:
            hooks.built_library(summary)
        return summary.watched

    follow(run_once, essays, hooks.stop if hooks else None, sources[0])
