"""Lay out the booklet's HTML into pages with WeasyPrint, reading only what is allowed."""

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from .errors import RenderError


@dataclass
class Layout:
    """Laid-out pages and what rendering had to say about them."""

    document: object
    warnings: list = field(default_factory=list)
    refused: list = field(default_factory=list)
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
# fonts with fontTools instead, with the same result.
ENVIRONMENT_NOTES = ("instead of HarfBuzz-Subset",)


def _sort_messages(records, refused):
    """Split WeasyPrint's log into (errors, warnings), dropping echoes of refusals."""
    errors, warnings = [], []
    for record in records:
        message = record.getMessage().splitlines()[0]
        if any(url in message for url in refused) or "refused: " in message:
            continue  # the fetcher's refusal is reported once, by name
        if any(note in message for note in ENVIRONMENT_NOTES):
            continue
        (errors if record.levelno >= logging.ERROR else warnings).append(message)
    return errors, warnings


def lay_out(html, base_url, roots, font_config=None):
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
            raise RenderError("the document is nested too deeply to lay out") from None
    errors, warnings = _sort_messages(records, fetcher.refused)
    if errors:
        raise RenderError(errors[0])
    return Layout(
        document, warnings, list(dict.fromkeys(fetcher.refused)), list(dict.fromkeys(fetcher.read))
    )


def write_pdf(layout):
    """The laid-out pages as PDF bytes: tagged, with bookmarks, links and (optionally) fields."""
    document = layout.document
    with _weasyprint_messages() as records:
        # Attachments would be dated with the clock and read files at write time:
        # a booklet never carries any.
        document.metadata.attachments = []
        pdf = document.write_pdf(
            pdf_variant="pdf/ua-1",
            pdf_identifier=True,
            finisher=_finish,
        )
    errors, warnings = _sort_messages(records, layout.document.url_fetcher.refused)
    if errors:
        raise RenderError(errors[0])
    layout.warnings.extend(warnings)
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
