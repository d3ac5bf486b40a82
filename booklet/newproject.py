"""`booklet new FOLDER`: start a clinic's own project folder from the shipped starter."""

import datetime as dt
import re
import shutil
from pathlib import Path

import click

from .paths import starter_folder


def starter_files():
    """The starter's files, relative to its folder (the bytecode cache left out)."""
    root = starter_folder()
    return sorted(
        path.relative_to(root)
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".py"
    )


def make_project(folder, today=None):
    """Copy the starter into `folder` (new or empty); the files written, relative to it."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        what = "is a file" if not folder.is_dir() else "is not empty"
        raise click.UsageError(f"{folder} {what}: give a new or empty folder for the project")
    today = today or dt.date.today()
    written = []
    for name in starter_files():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(starter_folder() / name, target)
        written.append(name)
    settings = folder / "clinic.toml"
    text = settings.read_text(encoding="utf-8")
    edition = today.strftime("%B %Y")  # the month the project was started, in English
    settings.write_text(re.sub(r'(?m)^edition = "[^"]*"', f'edition = "{edition}"', text, count=1))
    return written


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("folder", type=click.Path(path_type=Path))
def new(folder):
    """Start a clinic's project in FOLDER: settings, an example handout, a README."""
    written = make_project(folder)
    click.echo(f"Made {folder}/ with {', '.join(str(n) for n in written if n.parent == Path())}")
    click.echo(f"and handouts/ holding an example. Next: cd {folder} && booklet")
