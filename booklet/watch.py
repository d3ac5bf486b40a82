"""Rebuild in the same process whenever an input changes, until Ctrl-C."""

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


def watch_and_rebuild(make_request, report, quiet=False):
    """Build, then rebuild on every change; errors are printed and the loop goes on."""
    from .errors import unexpected
    from .pipeline import build, font_configuration

    font_config = font_configuration()
    request = make_request()  # a usage error stops here, before watching starts
    inputs = {Path(request.source).resolve()}
    if request.clinic.path:
        inputs.add(Path(request.clinic.path).resolve())

    def rebuild(reason):
        nonlocal request, inputs
        started = time.perf_counter()
        try:
            request = make_request()
            built = build(request, font_config)
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            return
        except Exception as error:  # a bug must not end the loop either
            click.echo(f"Error: {unexpected(error, request.source).format_message()}", err=True)
            return
        inputs = built.inputs
        report(built.written, built.warnings, quiet=True)
        names = ", ".join(str(w.path.name) for w in built.written)
        click.echo(f"{reason}: rebuilt {names} in {time.perf_counter() - started:.2f} s")

    def rebuild_from(before, reason):
        """Rebuild; files known before it keep their state from before, so an edit made
        while the build ran is seen at the next look."""
        rebuild(reason)
        return {**snapshot(watched_files(request.templates, inputs) | set(before)), **before}

    state = rebuild_from(snapshot(watched_files(request.templates, inputs)), "Built")
    click.echo("Watching for changes; Ctrl-C to stop.")
    try:
        while True:
            time.sleep(POLL_SECONDS)
            current = snapshot(watched_files(request.templates, inputs) | set(state))
            changed = sorted(str(p.name) for p in current if current[p] != state.get(p))
            if changed:
                state = rebuild_from(current, f"Changed {', '.join(changed)}")
    except KeyboardInterrupt:
        click.echo("Stopped watching.")


def watch_library(run, sources):
    """Build a library, then run it again on every change: its record rebuilds only the
    handouts whose inputs changed. A new essay in a folder is a change too."""
    from .errors import unexpected
    from .library import source_files

    def essays():
        try:
            return source_files(sources)
        except click.ClickException:  # a file named on the command line is gone
            return set()

    def run_and_look(before):
        """Run; files known before keep their state from before, so an edit made while
        the run went on is seen at the next look."""
        try:
            watched = set(run().watched)
        except click.ClickException as error:
            click.echo(f"Error: {error.format_message()}", err=True)
            watched = set()
        except Exception as error:  # a bug must not end the loop either
            click.echo(f"Error: {unexpected(error, sources[0]).format_message()}", err=True)
            watched = set()
        return {**snapshot(watched | essays() | set(before)), **before}

    state = run_and_look(snapshot(essays()))
    click.echo("Watching for changes; Ctrl-C to stop.")
    try:
        while True:
            time.sleep(POLL_SECONDS)
            current = snapshot(set(state) | essays())
            changed = sorted(str(p.name) for p in current if current[p] != state.get(p))
            if changed:
                click.echo(f"Changed {', '.join(changed)}")
                state = run_and_look(current)
    except KeyboardInterrupt:
        click.echo("Stopped watching.")
