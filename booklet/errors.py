"""Errors a user can cause, each shown as one `Error: …` line naming the file."""

import click

from . import MISSING_LIBRARY


class BookletError(click.ClickException):
    """A build failed for a reason the user can fix; exit status 1."""

    exit_code = 1

    def __init__(self, message, path=None, line=None):
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line else f"{path}: "
        super().__init__(where + message)


class SourceError(BookletError):
    """The essay cannot be read or parsed."""


class ConfigError(BookletError):
    """The clinic settings are missing, malformed or mistyped."""


class TemplateError(BookletError):
    """A template is missing, broken or uses an undefined variable."""


class LogError(BookletError):
    """A log definition is missing, malformed or asks for what a card cannot hold."""


class RenderError(BookletError):
    """Layout failed or referenced something it may not use."""


class OutputError(BookletError):
    """An output file cannot be written."""


def closest(word, known, cutoff=0.6):
    """The known name nearest a misspelt one (for "did you mean …?"), or None."""
    import difflib

    near = difflib.get_close_matches(str(word).lower(), [str(k) for k in known], 1, cutoff)
    return near[0] if near else None


def unexpected(error, source):
    """A bug, still said in one line naming the essay; BOOKLET_DEBUG=1 shows the traceback."""
    if isinstance(error, ModuleNotFoundError):  # not a bug: the wrong Python
        wrong = click.ClickException(MISSING_LIBRARY.format(error=error))
        wrong.exit_code = 2
        return wrong
    return click.ClickException(
        f"{source}: unexpected failure ({type(error).__name__}: {error}); "
        "rerun with BOOKLET_DEBUG=1 for details and please report it"
    )
