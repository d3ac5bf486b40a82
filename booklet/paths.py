"""Where the booklet's own files are: the templates folder, in a checkout or installed."""

from functools import cache
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent  # the project folder, when run from git


@cache
def templates_folder():
    """The shipped templates: `templates/` of this checkout, else the installed package data.

    The top-level folder is the one source in git; the wheel carries it as
    `booklet/templates/` (pyproject.toml), found through importlib.resources.
    """
    checkout = CHECKOUT / "templates"
    if (checkout / "booklet.html").is_file():
        return checkout
    from importlib.resources import files

    return Path(str(files("booklet") / "templates"))


def starter_folder():
    """The files `booklet new` copies into a clinic's new project folder."""
    return Path(__file__).resolve().parent / "starter"
