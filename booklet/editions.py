"""Facts several rooms need: papers, editions and limits. Imports nothing heavy."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Paper:
    """A sheet the clinic prints on, and the booklet pages folded from it."""

    name: str
    page_css: str  # the folded booklet's page size and margins
    sheet_css: str  # large print: the page is the sheet
    sheet_size: tuple  # landscape sheet (width, height) in PDF points
    describe: str


PAPERS = {
    "a4": Paper("a4", "page-a5.css", "page-a4.css", (841.89, 595.28), "A5 pages on A4 sheets"),
    "letter": Paper(
        "letter",
        "page-half-letter.css",
        "page-letter.css",
        (792.0, 612.0),
        "half-letter pages on Letter sheets",
    ),
}
DEFAULT_PAPER = "a4"


@dataclass(frozen=True)
class Edition:
    """How one copy of the booklet is laid out."""

    paper: str = DEFAULT_PAPER
    large_print: bool = False

    @property
    def stylesheets(self):
        """The stylesheets, in cascade order, from the templates folder."""
        paper = PAPERS[self.paper]
        if self.large_print:
            return ("booklet.css", paper.sheet_css, "large-print.css")
        return ("booklet.css", paper.page_css)

    @property
    def css_class(self):
        """Classes on <html>, for templates that want to tell editions apart."""
        return f"paper-{self.paper}" + (" large-print" if self.large_print else "")

    @property
    def sheet_size(self):
        """Landscape print sheet (width, height) in points."""
        return PAPERS[self.paper].sheet_size


@dataclass(frozen=True)
class Named:
    """An edition a user can name with -e: how it is laid out, and its file."""

    edition: Edition
    sheets: bool  # imposed for saddle-stitch printing
    suffix: str  # added to the output's stem


EDITIONS = {
    "reading": Named(Edition("a4"), False, ""),
    "print": Named(Edition("a4"), True, "-print"),
    "large-print": Named(Edition("a4", True), False, "-large-print"),
    "letter": Named(Edition("letter"), False, "-letter"),
    "letter-print": Named(Edition("letter"), True, "-letter-print"),
    "letter-large-print": Named(Edition("letter", True), False, "-letter-large-print"),
}

LOG_PAGES = (1, 50)  # how many log pages a booklet may have
DEFAULT_LOG_PAGES = 2
DEFAULT_LOG = "back-spasm"  # the log preset (templates/logs/) a booklet has by default
TOC_DEPTHS = (1, 6)  # heading levels the contents may list
DEFAULT_TOC_DEPTH = 3
MAX_BYTES = 2_000_000  # largest essay file accepted unless --max-size says otherwise
MAX_GRADE = 8  # reading grade patient material should not exceed (NIH, CDC)
