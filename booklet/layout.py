"""Lay out the booklet's HTML into pages with WeasyPrint, reading only what is allowed."""

import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import RenderError


@dataclass(frozen=True)
class Problem:
    """Something layout built around: what went wrong, and the URL or anchor it concerns."""

    what: str  # "image", "stylesheet", "file", "link" … as WeasyPrint names it
    ref: str  # the URL (or #anchor) concerned, "" when none
    reason: str


@dataclass
class Layout:
    """Laid-out pages and what rendering had to say about them."""

    document: object
    problems: list = field(default_factory=list)
    read: list = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def _weasyprint_messages():
    """Collect WeasyPrint's warnings and errors instead of letting them print."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    logger.addHandler(handler)
    saved = logger.propagate
    logger.propagate = False
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.propagate = saved


# Said of the machine, not the booklet: without libharfbuzz-subset WeasyPrint subsets
# fonts with fontTools instead (made reproducible by _fixed_font_clock).
ENVIRONMENT_NOTES = ("instead of HarfBuzz-Subset",)
FONT_EPOCH = "0"  # fontTools' subsets are dated 1970-01-01 unless SOURCE_DATE_EPOCH is set
FAILED_TO_LOAD = re.compile(r"Failed to load (\w+(?: \w+)?) at '([^']*)'(?::\s*(.*))?", re.DOTALL)
NO_ANCHOR = re.compile(r"No anchor (#\S*) for internal URI reference")
UNREADABLE = {"image": "damaged, or not an image format it knows"}


def _problems(records, refused):
    """WeasyPrint's log and the fetcher's refusals as Problems, each reported once."""
    problems = {}
    for record in records:
        message = record.getMessage()
        if any(note in message for note in ENVIRONMENT_NOTES):
            continue
        if loaded := FAILED_TO_LOAD.match(message):
            what, url, detail = loaded[1], loaded[2], (loaded[3] or "").strip()
            if url in refused:
                problems.setdefault(url, Problem(what, url, refused[url]))
            else:
                reason = detail or UNREADABLE.get(what, "cannot be read")
                problems.setdefault(url, Problem(what, url, reason))
        elif anchor := NO_ANCHOR.search(message):
            problems.setdefault(anchor[1], Problem("link", anchor[1], "no heading has that id"))
        elif "refused: " not in message:  # the fetcher's refusal is reported below, by URL
            problems.setdefault(message, Problem("layout", "", message.splitlines()[0]))
    for url, reason in refused.items():  # refusals WeasyPrint did not mention (@import, …)
        problems.setdefault(url, Problem("file", url, reason))
    return list(problems.values())


def lay_out(html, base_url, roots, source, font_config=None):
    """Lay out HTML into pages; only files under `roots` and data: URIs are read."""
    from .startup import import_weasyprint

    HTML = import_weasyprint().HTML  # noqa: N806
    from .fetcher import SandboxFetcher

    fetcher = SandboxFetcher(roots)
    with _weasyprint_messages() as records:
        try:
            document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                font_config=font_config, pdf_forms=True, pdf_tags=True
            )
        except RecursionError:
            raise RenderError("the document is nested too deeply to lay out", source) from None
    return Layout(document, _problems(records, fetcher.refused), list(dict.fromkeys(fetcher.read)))


@contextmanager
def _fixed_font_clock():
    """Date fontTools' font subsets by SOURCE_DATE_EPOCH, not the clock.

    Without libharfbuzz-subset, WeasyPrint subsets fonts with fontTools, which stamps
    each subset's head.modified with the time: the same booklet would differ every
    second. A value the user sets is honoured (reproducible-builds.org); otherwise one
    is fixed for the write.
    """
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = FONT_EPOCH
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


def write_pdf(layout):
    """The laid-out pages as PDF bytes: tagged, with bookmarks, links and fillable fields."""
    document = layout.document
    with _weasyprint_messages() as records, _fixed_font_clock():
        # Attachments would be dated with the clock and read files at write time:
        # a booklet never carries any.
        document.metadata.attachments = []
        pdf = document.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=True, finisher=_finish)
    known = {problem.ref for problem in layout.problems}
    fresh = _problems(records, document.url_fetcher.refused)
    layout.problems += [p for p in fresh if p.ref not in known or not p.ref]
    return pdf


FIELD_FONT = re.compile(r"/[^\s/]+\s+([\d.]+)\s+Tf")
FILL_COLOUR = re.compile(r"[\d.]+(?:\s+[\d.]+){0,3}\s+(?:g|rg|k)\b")


def _finish(document, pdf):
    """Last touches to the PDF before it is written: window title and field fonts."""
    import pydyf

    # Show the title, not the file name, in the viewer's window bar (PDF/UA).
    prefs = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    prefs["DisplayDocTitle"] = "true"
    pdf.catalog["ViewerPreferences"] = prefs
    acroform = pdf.catalog.get("AcroForm")
    if acroform is None:
        return
    # Fields typed into on screen use Helvetica, a standard font no viewer needs embedded.
    helvetica = pydyf.Dictionary(
        {
            "Type": "/Font",
            "Subtype": "/Type1",
            "BaseFont": "/Helvetica",
            "Encoding": "/WinAnsiEncoding",
        }
    )
    pdf.add_object(helvetica)
    acroform["DR"] = pydyf.Dictionary({"Font": pydyf.Dictionary({"Helv": helvetica.reference})})
    acroform["DA"] = pydyf.String("/Helv 0 Tf 0 g")
    for reference in acroform["Fields"]:
        field = pdf.objects[int(reference.split()[0])]
        appearance = field.get("DA")
        if appearance is None:
            continue
        text = appearance.string
        text = text.decode("latin-1") if isinstance(text, bytes) else text
        # A field's DA may hold only a font and a colour: WeasyPrint's graphics state
        # ("/a1.0 gs") names a resource the form's DR does not have.
        size = font[1] if (font := FIELD_FONT.search(text)) else "0"
        colour = colour[0] if (colour := FILL_COLOUR.search(text)) else "0 g"
        field["DA"] = pydyf.String(f"/Helv {size} Tf {colour}")
