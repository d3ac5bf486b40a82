"""The build: read the essay, render the templates, lay out pages, write the PDFs."""

from dataclasses import dataclass
from pathlib import Path

from .errors import RenderError
from .render import TEMPLATES, Edition


@dataclass(frozen=True)
class Request:
    """Everything one build needs, as plain values."""

    source: Path
    output: Path
    clinic: object
    log_pages: int = 0
    paper: str = "a4"
    large_print: bool = False
    impose: bool = False
    strict: bool = False
    templates: Path = TEMPLATES
    max_bytes: int = 2_000_000


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


def build_pdfs(request, font_config=None):
    """Lay out the booklet; return ({path: bytes}, [(path, pages, kind)], warnings)."""
    from .essay import read_essay
    from .layout import lay_out, write_pdf
    from .render import render_html

    essay = read_essay(request.source, request.max_bytes)
    edition = Edition(paper=request.paper, large_print=request.large_print)
    html = render_html(essay, request.clinic, edition, request.log_pages, request.templates)
    roots = [essay.path.resolve().parent, Path(request.templates), request.clinic.folder]
    layout = lay_out(html, essay.path.resolve().parent.as_uri() + "/", roots, font_config)
    if request.strict and layout.refused:
        raise RenderError(f"refused to read {layout.refused[0]} (--strict)", essay.path)
    reading = write_pdf(layout)
    if request.log_pages:
        from .forms import use_standard_field_font

        reading = use_standard_field_font(reading)
    pages = len(layout.document.pages)
    outputs = {Path(request.output): reading}
    described = [(Path(request.output), pages, "reading copy")]
    if request.impose:
        from .impose import impose, sheet_sides

        sheets = impose(reading, edition.sheet_size, essay.title)
        outputs[print_path(request.output)] = sheets
        described.append((print_path(request.output), len(sheet_sides(pages)), "print sheets"))
    warnings = [f"refused to read {url}" for url in layout.refused] + layout.warnings
    return outputs, described, warnings


def build(request, font_config=None):
    """Build and write atomically; return (list of Written, warnings)."""
    from .output import write_files

    outputs, described, warnings = build_pdfs(request, font_config)
    write_files(outputs)
    written = [Written(path, pages, len(outputs[path]), kind) for path, pages, kind in described]
    return written, warnings
