"""`booklet doctor`: one line for each thing a build needs or uses, `ok` or what to do."""

import ctypes.util
import platform
import shutil
import sys
from pathlib import Path

import click

from .paths import templates_folder

OK, MISSING, NOTE = "ok", "missing", "note"
SINCE_PYTHON = (3, 11)


def checks():
    """(state, what, detail) for each part of a build, in the order a build uses them."""
    found = []
    version = platform.python_version()
    state = OK if sys.version_info[:2] >= SINCE_PYTHON else MISSING
    found.append((state, "Python", f"{version} ({sys.executable})"))
    found += _weasyprint()
    found += _templates()
    found += _checkers()
    return found


def _weasyprint():
    """WeasyPrint, and the Pango, fontconfig and HarfBuzz libraries it draws text with."""
    try:
        from .startup import import_weasyprint

        weasyprint = import_weasyprint()
    except (OSError, ImportError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return [
            (
                MISSING,
                "WeasyPrint",
                f"cannot load ({first}): install Pango (Debian/Ubuntu: libpango-1.0-0 "
                "libpangoft2-1.0-0; Fedora: pango; macOS: brew install pango; Windows: see "
                "the README's install notes)",
            )
        ]
    from weasyprint.text import ffi

    lines = [(OK, "WeasyPrint", weasyprint.__version__)]
    number = ffi.pango.pango_version()  # 15006 is 1.50.6
    pango = f"{number // 10000}.{number // 100 % 100}.{number % 100}"
    lines.append((OK, "Pango", pango))
    fontconfig = ctypes.util.find_library("fontconfig")
    lines.append((OK if fontconfig else MISSING, "fontconfig", fontconfig or "not found"))
    subset = getattr(ffi, "harfbuzz_subset", None) is not None
    lines.append(
        (OK, "HarfBuzz subsetter", "libharfbuzz-subset")
        if subset
        else (
            NOTE,
            "HarfBuzz subsetter",
            "libharfbuzz-subset not found: fonts are subset with fontTools instead "
            "(slower for large faces, same bytes; Debian/Ubuntu: libharfbuzz-subset0)",
        )
    )
    return lines


def _templates():
    """The templates folder in use, and the fonts it ships."""
    folder = templates_folder()
    if not (folder / "booklet.html").is_file():
        return [(MISSING, "templates", f"{folder} has no booklet.html: reinstall booklet")]
    fonts = sorted((folder / "fonts").glob("*.[ot]t[fc]"))
    state = OK if fonts else MISSING
    return [
        (OK, "templates", str(folder)),
        (state, "fonts", f"{len(fonts)} shipped faces in {folder / 'fonts'}"),
    ]


def _checkers():
    """The PDF/UA-1 checkers, used by `make check-pdf` and the tests, not by a build."""
    lines = []
    try:
        import page  # noqa: F401

        lines.append((OK, "PDF/UA checker page-validation", "installed"))
    except ImportError:
        lines.append((NOTE, "PDF/UA checker page-validation", "not installed (optional)"))
    beside = Path(sys.executable).parent / "outloud"  # a virtual environment's, unactivated
    outloud = shutil.which("outloud") or (str(beside) if beside.is_file() else None)
    lines.append(
        (OK, "PDF/UA checker outloud", outloud)
        if outloud
        else (NOTE, "PDF/UA checker outloud", "not installed (optional)")
    )
    return lines


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
def doctor():
    """Say what this machine has for a build; exit 1 when a build cannot work."""
    found = checks()
    width = max(len(what) for _, what, _ in found)
    for state, what, detail in found:
        click.echo(f"{state:<7} {what:<{width}}  {detail}")
    if any(state == MISSING for state, _, _ in found):
        click.echo("A build cannot work until the lines marked 'missing' are put right.")
        raise SystemExit(1)
    click.echo("Everything a build needs is here.")
