"""The build: read the essay, render the templates, lay out pages, write the PDFs."""

from dataclasses import dataclass
from pathlib import Path

from .errors import RenderError
from .render import TEMPLATES, Edition

# name: (paper, large print, print sheets, file-name suffix)
EDITIONS = {
    "reading": ("a4", False, False, ""),
    "print": ("a4", False, True, "-print"),
    "large-print": ("a4", True, False, "-large-print"),
    "letter": ("letter", False, False, "-letter"),
    "letter-print": ("letter", False, True, "-letter-print"),
    "letter-large-print": ("letter", True, False, "-letter-large-print"),
}


@dataclass(frozen=True)
class Output:
    """One file to write: a reading copy, or print sheets imposed from one."""

    path: Path
    paper: str = "a4"
    large_print: bool = False
    sheets: bool = False

    @property
    def kind(self):
        return "print sheets" if self.sheets else "reading copy"


@dataclass(frozen=True)
class Request:
    """Everything one build needs, as plain values."""

    source: Path
    clinic: object
    outputs: tuple = ()
    log_pages: int = 0
    strict: bool = False
    templates: Path = TEMPLATES
    max_bytes: int = 2_000_000


@dataclass(frozen=True)
class Built:
    """What a build wrote, what it warned about, and every file it read."""

    written: list
    warnings: list
    inputs: frozenset


@dataclass(frozen=True)
class Written:
    """One file the build wrote."""

    path: Path
    pages: int
    size: int
    kind: str


def print_path(output):
    """Where the print sheets go: beside the reading copy, `<stem>-print.pdf`."""
    output = Path(output)
    return output.with_name(f"{output.stem}-print.pdf")


def outputs_for_flags(output, paper="a4", large_print=False, impose=False):
    """The files the contract's flags ask for: the reading copy, and sheets with --impose."""
    outputs = [Output(Path(output), paper, large_print)]
    if impose:
        outputs.append(Output(print_path(output), paper, large_print, sheets=True))
    return tuple(outputs)


def outputs_for_editions(output, names):
    """One file per named edition, each `<output stem><suffix>.pdf`."""
    output = Path(output)
    outputs = []
    for name in dict.fromkeys(names):
        paper, large_print, sheets, suffix = EDITIONS[name]
        path = output.with_name(f"{output.stem}{suffix}.pdf")
        outputs.append(Output(path, paper, large_print, sheets))
    return tuple(outputs)


def build_pdfs(request, font_config=None):
    """Lay out each distinct edition once.

    Returns ({path: bytes}, [(path, pages, kind)], warnings, files read).

    Print sheets are imposed from the laid-out reading pages, never rendered again.
    """
    from .essay import read_essay

    essay = read_essay(request.source, request.max_bytes)
    if font_config is None:  # one for all editions: the fonts are loaded once
        from .startup import import_weasyprint

        font_config = import_weasyprint().text.fonts.FontConfiguration()
    editions = list(dict.fromkeys(Edition(o.paper, o.large_print) for o in request.outputs))
    job = (essay, request, font_config)
    if len(editions) > 1:
        laid_out = _in_parallel(job, editions)
    else:
        laid_out = [_edition_pdf(job, editions[0])]
    readings, warnings = {}, []
    inputs = {essay.path.resolve()} | (
        {request.clinic.path.resolve()} if request.clinic.path else set()
    )
    for edition, (data, pages, edition_warnings, read) in zip(editions, laid_out, strict=True):
        readings[edition] = (data, pages)
        warnings += edition_warnings
        inputs.update(read)
    files, described = {}, []
    for output in request.outputs:
        edition = Edition(output.paper, output.large_print)
        data, pages = readings[edition]
        if output.sheets:
            from .impose import impose, sheet_sides

            files[output.path] = impose(data, edition.sheet_size, essay.title)
            described.append((output.path, len(sheet_sides(pages)), output.kind))
        else:
            files[output.path] = data
            described.append((output.path, pages, output.kind))
    return files, described, list(dict.fromkeys(warnings)), frozenset(inputs)


def _edition_pdf(job, edition):
    """Lay out and write one edition: (PDF bytes, pages, warnings, files read)."""
    from .layout import lay_out, write_pdf
    from .render import render_html

    essay, request, font_config = job
    folder = essay.path.resolve().parent
    roots = [folder, Path(request.templates), request.clinic.folder]
    html = render_html(essay, request.clinic, edition, request.log_pages, request.templates)
    layout = lay_out(html, folder.as_uri() + "/", roots, font_config)
    if request.strict and layout.refused:
        raise RenderError(f"refused to read {layout.refused[0]} (--strict)", essay.path)
    data = write_pdf(layout)
    warnings = [f"refused to read {url}" for url in layout.refused] + layout.warnings
    return data, len(layout.document.pages), warnings, layout.read


_JOB = None  # what forked workers inherit: the essay, the request and the fonts


def _edition_in_worker(edition):
    return _edition_pdf(_JOB, edition)


def _in_parallel(job, editions):
    """Lay out editions on all cores: forked workers share the parent's imports and fonts."""
    import multiprocessing
    import os

    global _JOB
    if "fork" not in multiprocessing.get_all_start_methods():
        return [_edition_pdf(job, edition) for edition in editions]
    _JOB = job
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(min(len(editions), os.cpu_count() or 1)) as pool:
            return pool.map(_edition_in_worker, editions, chunksize=1)
    finally:
        _JOB = None


def build(request, font_config=None):
    """Build and write atomically."""
    from .output import write_files

    files, described, warnings, inputs = build_pdfs(request, font_config)
    write_files(files)
    written = [Written(path, pages, len(files[path]), kind) for path, pages, kind in described]
    return Built(written, warnings, inputs)
