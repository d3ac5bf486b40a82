"""Turn a Markdown essay into a printable, emailable patient booklet."""

__version__ = "1.0.0"

# Said when the command runs under a Python without its libraries (no click needed).
MISSING_LIBRARY = (
    "this Python does not have the booklet's libraries ({error}): run `make` and use "
    "`.venv/bin/python build.py`, or install the booklet (`pipx install .`)"
)
