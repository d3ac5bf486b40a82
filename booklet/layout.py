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
    source: object = None  # the essay, for messages


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
# Said by the essay stage already, with the file and line (booklet/shape.py); a glyph no
# face has is said once per script by booklet/glyphs.py, never once per character.
ESSAY_NOTES = ("has no required alt description", ".notdef glyph rendered")
FONT_EPOCH = "0"  # fontTools' subsets are dated 1970-01-01 unless SOURCE_DATE_EPOCH is set
FAILED_TO_LOAD = re.compile(r"Failed to load (\w+(?: \w+)?) at '([^']*)'(?::\s*(.*))?", re.DOTALL)
NO_ANCHOR = re.compile(r"No anchor (#\S*) for internal URI reference")
UNREADABLE = {"image": "damaged, or not an image format it knows"}


def _problems(records, refused):
    """WeasyPrint's log and the fetcher's refusals as Problems, each reported once."""
    problems = {}
    for record in records:
        message = record.getMessage()
        if any(note in message for note in (*ENVIRONMENT_NOTES, *ESSAY_NOTES)):
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


def lay_out(html, base_url, roots, source, font_config=None, stylesheets=()):
    """Lay out HTML into pages; only files under `roots` and data: URIs are read.

    `stylesheets`: from shared_stylesheets(), given to WeasyPrint already parsed.
    """
    from .startup import import_weasyprint

    HTML = import_weasyprint().HTML  # noqa: N806
    from .fetcher import SandboxFetcher

    fetcher = SandboxFetcher(roots)
    with _weasyprint_messages() as records:
        records += [record for sheet in stylesheets for record in sheet.records]
        try:
            document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(
                font_config=font_config,
                pdf_forms=True,
                pdf_tags=True,
                stylesheets=[sheet.css for sheet in stylesheets],
            )
        except RecursionError:
            raise RenderError("the document is nested too deeply to lay out", source) from None
    problems = _problems(records, fetcher.refused)
    read = [sheet.path for sheet in stylesheets] + fetcher.read
    return Layout(document, problems, list(dict.fromkeys(read)), source)


@dataclass(frozen=True)
class Stylesheet:
    """A stylesheet parsed once a process, and what WeasyPrint said while parsing it."""

    path: object
    css: object
    records: tuple


_PARSED = {}  # (path, modified, size): Stylesheet
# Parsed once and shared only when parsing reads nothing else and registers nothing: at-rules
# that fetch (@import), register (@font-face, @counter-style, @color-profile) or any url()
# are left to the build's own sandboxed fetcher and font configuration.
SHAREABLE_AT_RULES = re.compile(
    rb"@(?:page|media|supports|(?:top|bottom|left|right)-[a-z-]+)\b", re.IGNORECASE
)


def shared_stylesheets(paths):
    """`paths` parsed once a process, in order; None when one must be linked as before.

    Parsing booklet.css costs ~40 ms of CPU: a library's handouts, --watch's rebuilds and
    the editions of one run share one parse (forked workers inherit it). They reach
    WeasyPrint as user stylesheets, a different origin from the document's own; all of
    an edition's sheets go the same way, so their cascade order stays as written. A sheet
    that is missing or reads anything else (see SHAREABLE_AT_RULES) keeps its <link>.
    """
    sheets = []
    for path in paths:
        try:
            status = path.stat()
        except OSError:
            return None
        key = (path, status.st_mtime_ns, status.st_size)
        if key not in _PARSED:
            sheet = _parse_alone(path)
            if sheet is None:
                return None
            for old in [k for k in _PARSED if k[0] == path]:  # an edited sheet's last parse
                del _PARSED[old]
            _PARSED[key] = sheet
        sheets.append(_PARSED[key])
    return sheets


def _parse_alone(path):
    """A Stylesheet of `path` if parsing it needs nothing but its own text, else None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"url(" in data.lower() or data.count(b"@") != len(SHAREABLE_AT_RULES.findall(data)):
        return None
    from io import BytesIO

    from .startup import import_weasyprint

    css_class = import_weasyprint().CSS
    with _weasyprint_messages() as records:  # decoded as a <link>'s would be
        css = css_class(file_obj=BytesIO(data), base_url=path.as_uri())
    return Stylesheet(path, css, tuple(records))


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
    split_rows = []  # table rows taller than a page, which had to split
    with _weasyprint_messages() as records, _fixed_font_clock():
        # Attachments would be dated with the clock and read files at write time:
        # a booklet never carries any.
        document.metadata.attachments = []
        try:
            pdf = document.write_pdf(
                pdf_variant="pdf/ua-1",
                pdf_identifier=True,
                finisher=lambda document, pdf: _finish(document, pdf, split_rows),
            )
        except RecursionError:
            raise RenderError(
                "the document is nested too deeply to write (lists in quotes in lists …)",
                layout.source,
            ) from None
    known = {problem.ref for problem in layout.problems}
    fresh = _problems(records, document.url_fetcher.refused)
    fresh += [_split_row_problem(cells, layout.source) for cells in split_rows]
    layout.problems += [p for p in fresh if p.ref not in known or not p.ref]
    return pdf


FIELD_FONT = re.compile(r"/[^\s/]+\s+([\d.]+)\s+Tf")
FILL_COLOUR = re.compile(r"[\d.]+(?:\s+[\d.]+){0,3}\s+(?:g|rg|k)\b")


def _finish(document, pdf, split_rows=None):
    """Last touches to the PDF before it is written: structure, annotations, field fonts.

    Table rows that split across pages (taller than a page) are added to `split_rows`.
    """
    split_rows = [] if split_rows is None else split_rows
    import pydyf

    # Show the title, not the file name, in the viewer's window bar (PDF/UA).
    prefs = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    prefs["DisplayDocTitle"] = "true"
    pdf.catalog["ViewerPreferences"] = prefs
    if "StructTreeRoot" in pdf.catalog:
        texts = _Texts(document, pdf)
        _pagination_artifacts(pdf, texts)
        split_rows += _whole_tables(document, pdf, texts)
        _merge_nested_links(pdf, texts)
        _whole_links(document, pdf, texts)
        _list_item_bodies(pdf, texts)
        _drop_empty_elements(pdf)
        _annotations(pdf, texts)
    _field_fonts(pdf)


def _field_fonts(pdf):
    """Fields typed into on screen use Helvetica, a standard font no viewer needs embedded."""
    import pydyf

    acroform = pdf.catalog.get("AcroForm")
    if acroform is None:
        return
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


# ---------- Structure: what WeasyPrint's pdf/ua-1 tagging leaves for the finisher ----------

GLYPHS = re.compile(rb"<([0-9A-Fa-f]*)>")
LEADER = re.compile(r"[.\s\u00a0]*\.[.\s\u00a0]*")  # a contents leader: dots and spaces


def _object(pdf, reference):
    """The object a pydyf reference (b"12 0 R") names."""
    return pdf.objects[int(reference.split()[0])]


def _is_reference(kid):
    return isinstance(kid, bytes) and kid.endswith(b" R")


class _Texts:
    """Each page's marked-content sequences: where their tag is and the text they show."""

    def __init__(self, document, pdf):
        to_unicode = {font.hash: font.to_unicode for font in document.fonts.values()}
        self.pages = [_object(pdf, ref) for ref in pdf.page_references]
        self.page_index = {ref: i for i, ref in enumerate(pdf.page_references)}
        self.sequences = [_sequences(_object(pdf, p["Contents"]), to_unicode) for p in self.pages]
        tree = _object(pdf, pdf.catalog["StructTreeRoot"])
        self.nums = _object(pdf, tree["ParentTree"])["Nums"]
        self.by_key = {self.nums[i]: i + 1 for i in range(0, len(self.nums), 2)}

    def owner(self, page, mcid):
        """The reference of the element a page's MCID belongs to (b"null" once an artifact)."""
        return self.nums[self.by_key[page]][mcid]

    def set_owner(self, page, mcid, reference):
        self.nums[self.by_key[page]][mcid] = reference

    def text(self, pdf, element):
        """The text an element and its descendants show, in structure order."""
        page = self.page_index.get(element.get("Pg"))
        parts = []
        for kid in element.get("K", ()):
            if isinstance(kid, dict) and kid.get("Type") == "/MCR":  # content on another page
                marked = self.sequences[self.page_index[kid["Pg"]]].get(kid["MCID"], (None, ""))
                parts.append(marked[1])
            elif isinstance(kid, int) and page is not None:
                parts.append(self.sequences[page].get(kid, (None, ""))[1])
            elif _is_reference(kid) and _object(pdf, kid).get("Type") == "/StructElem":
                parts.append(self.text(pdf, _object(pdf, kid)))
        return "".join(parts)


def _sequences(stream, to_unicode):
    """{MCID: (index of its tag in the stream's operations, text shown)} for one page."""
    sequences, open_, font = {}, [], None
    operations = stream.stream
    for index, operation in enumerate(operations):
        if (
            operation == b"BDC"
            and index >= 2
            and "MCID" in getattr(operations[index - 1], "keys", dict)()
        ):
            mcid = operations[index - 1]["MCID"]
            sequences[mcid] = (index - 2, "")
            open_.append(mcid)
        elif operation == b"BMC":
            open_.append(None)
        elif operation == b"EMC" and open_:
            open_.pop()
        elif isinstance(operation, bytes) and operation.endswith(b" Tf"):
            font = to_unicode.get(operation.split()[0][1:].decode("latin-1"), {})
        elif (
            isinstance(operation, bytes)
            and operation.endswith(b"TJ")
            and open_
            and open_[-1] is not None
        ):
            glyphs = b"".join(GLYPHS.findall(operation))
            text = "".join(
                (font or {}).get(int(glyphs[i : i + 4], 16), "") for i in range(0, len(glyphs), 4)
            )
            start, shown = sequences[open_[-1]]
            sequences[open_[-1]] = (start, shown + text)
    return sequences


def _elements(pdf):
    """Every structure element reachable from the root, parents before children."""
    tree = _object(pdf, pdf.catalog["StructTreeRoot"])
    stack = [_object(pdf, ref) for ref in reversed(tree["K"])]
    while stack:
        element = stack.pop()
        yield element
        kids = [k for k in element.get("K", ()) if _is_reference(k)]
        stack += [o for o in map(lambda k: _object(pdf, k), reversed(kids)) if o.get("S")]


def _pagination_artifacts(pdf, texts):
    """Running heads, page numbers and contents leaders become /Artifact /Pagination.

    WeasyPrint tags the margin boxes' text as content with elements the tree never
    reaches, and a leader's dots as link text a screen reader would spell out.
    """
    import pydyf

    reached = {element.number for element in _elements(pdf)}
    for page, sequences in enumerate(texts.sequences):
        operations = _object(pdf, texts.pages[page]["Contents"]).stream
        for mcid, (start, text) in sequences.items():
            owner = texts.owner(page, mcid)
            element = _object(pdf, owner)
            leader = element.get("S") == "/Link" and LEADER.fullmatch(text)
            if element.number in reached and not leader:
                continue
            operations[start] = "/Artifact"
            operations[start + 1] = pydyf.Dictionary({"Type": "/Pagination"})
            texts.set_owner(page, mcid, b"null")
            element["K"] = pydyf.Array(k for k in element["K"] if k != mcid)


def _adopt(pdf, texts, parent, kid):
    """Make `parent` the owner of `kid` (an MCID, an OBJR or an element) wherever it is named."""
    if isinstance(kid, int):
        texts.set_owner(texts.page_index[parent["Pg"]], kid, parent.reference)
        return
    child = _object(pdf, kid)
    if child.get("Type") == "/OBJR":
        annotation = _object(pdf, child["Obj"])
        texts.nums[texts.by_key[annotation["StructParent"]]] = parent.reference
    else:
        child["P"] = parent.reference


def _merge_nested_links(pdf, texts):
    """A link's pseudo-elements and leader, tagged as links of their own, join their link."""
    import pydyf

    for element in _elements(pdf):
        if element.get("S") != "/Link":
            continue
        merged, changed = [], False
        stack = list(element["K"])
        while stack:
            kid = stack.pop(0)
            child = _object(pdf, kid) if _is_reference(kid) else None
            if child is not None and child.get("S") == "/Link":
                stack[0:0] = list(child["K"])
                child["K"] = pydyf.Array()
                changed = True
                continue
            merged.append(kid)
        if changed:
            for kid in merged:
                _adopt(pdf, texts, element, kid)
            element["K"] = pydyf.Array(merged)


def _list_item_bodies(pdf, texts):
    """What a list item holds besides its label goes in an /LBody (a footnote's paragraph)."""
    import pydyf

    for element in _elements(pdf):
        if element.get("S") != "/LI":
            continue
        kept, loose = [], []
        for kid in element["K"]:
            child = _object(pdf, kid) if _is_reference(kid) else None
            if child is not None and child.get("S") in ("/Lbl", "/LBody"):
                kept.append(kid)
            else:
                loose.append(kid)
        if not loose:
            continue
        body = pydyf.Dictionary(
            {"Type": "/StructElem", "S": "/LBody", "K": pydyf.Array(), "P": element.reference}
        )
        if "Pg" in element:
            body["Pg"] = element["Pg"]
        pdf.add_object(body)
        for kid in loose:
            _adopt(pdf, texts, body, kid)
        body["K"] = pydyf.Array(loose)
        element["K"] = pydyf.Array([*kept, body.reference])


def _drop_empty_elements(pdf):
    """Elements with nothing in them (the log's drawn rules) leave the tree."""
    import pydyf

    def keep(reference):
        if not _is_reference(reference):
            return True
        element = _object(pdf, reference)
        if not element.get("S"):
            return True  # an OBJR
        element["K"] = pydyf.Array(k for k in element.get("K", ()) if keep(k))
        # An empty cell keeps its place in its row: every row must have all its columns.
        cell = element["S"] in ("/TD", "/TH")
        return bool(element["K"]) or cell or "Alt" in element or "ActualText" in element

    tree = _object(pdf, pdf.catalog["StructTreeRoot"])
    for reference in tree["K"]:
        keep(reference)


def _annotations(pdf, texts):
    """Links and fields print as they show, and each says what it is (/Contents)."""
    import pydyf

    for page in texts.pages:
        for reference in page.get("Annots", ()):
            annotation = _object(pdf, reference)
            annotation["F"] = int(annotation.get("F", 0)) | 4  # Print
            if annotation.get("Subtype") == "/Widget":
                field = annotation
                while "TU" not in field and "Parent" in field:
                    field = _object(pdf, field["Parent"])
                if "TU" in field:
                    annotation["Contents"] = field["TU"]
            elif "StructParent" in annotation:
                owner = texts.nums[texts.by_key[annotation["StructParent"]]]
                text = " ".join(texts.text(pdf, _object(pdf, owner)).split())
                if text:
                    annotation["Contents"] = pydyf.String(text)


def _split_row_problem(cells, source):
    """A table row taller than a page, said with the essay's line of that row."""
    reason = (
        "a table row is taller than a page and splits across pages; shorten its cells "
        "or make it several rows"
    )
    try:
        text = open(source, encoding="utf-8", errors="replace").read() if source else ""
    except OSError:
        text = ""
    words = [cell.split()[0] for cell in cells if cell.split()]
    for line in text.splitlines():
        if "|" in line and words and all(word in line for word in words):
            return Problem("layout", line, reason)  # the line locates the row
    return Problem("layout", "", reason)


def _table_parts(pdf, wrapper, table):
    """[(row group, its box, [(row, its box, [(cell, its box)])])] of a /Table, else None.

    WeasyPrint tags one box as one element, in box order: the wrapper's captions, then
    the table's row groups, their rows and their cells.
    """
    inner = wrapper.get_wrapped_table()
    if inner is None:
        return None
    boxes = [
        c for child in wrapper.children for c in (inner.children if child is inner else [child])
    ]

    def pairs(element, boxes):
        kids = [_object(pdf, k) for k in element["K"] if _is_reference(k)]
        return list(zip(kids, boxes, strict=True)) if len(kids) == len(boxes) else None

    groups = []
    for group, box in pairs(table, boxes) or ():
        if group.get("S") not in ("/THead", "/TBody", "/TFoot"):
            continue
        rows = []
        for row, row_box in pairs(group, box.children) or ():
            cells = pairs(row, row_box.children)
            if cells is None:
                return None
            rows.append((row, row_box, cells))
        if len(rows) != len(box.children):
            return None
        groups.append((group, box, rows))
    return groups if groups else None


def _artifact(pdf, texts, element):
    """Everything an element shows becomes a pagination artifact (a repeated header row)."""
    import pydyf

    for kid in element.get("K", ()):
        if isinstance(kid, int) and element.get("Pg") in texts.page_index:
            page = texts.page_index[element["Pg"]]
            start = texts.sequences[page].get(kid, (None,))[0]
            if start is not None:
                operations = _object(pdf, texts.pages[page]["Contents"]).stream
                operations[start] = "/Artifact"
                operations[start + 1] = pydyf.Dictionary({"Type": "/Pagination"})
            texts.set_owner(page, kid, b"null")
        elif _is_reference(kid) and _object(pdf, kid).get("S"):
            _artifact(pdf, texts, _object(pdf, kid))
    element["K"] = pydyf.Array()


def _move(pdf, texts, parent, element):
    """Make `element` (of another page's table) the last kid of `parent`."""
    import pydyf

    _unlink(pdf, element)
    element["P"] = parent.reference
    parent["K"] = pydyf.Array([*parent["K"], element.reference])


def _unlink(pdf, element):
    """Take `element` out of its parent's kids."""
    import pydyf

    parent = _object(pdf, element["P"])
    parent["K"] = pydyf.Array(k for k in parent["K"] if k != element.reference)


def _whole_tables(document, pdf, texts):  # noqa: C901 (one walk over pages, groups, rows)
    """A table over several pages is one /Table with one /TR a row, whatever the page.

    WeasyPrint tags each page's part of a table as a table of its own, with the header row
    it repeats on the page and, for a row split by the page break, a row of the cells
    that go on. Rows join the table's first part, a split row's cells join their row, and
    the repeated header rows become artifacts. Column headers get /Scope /Column. Returns
    the cell texts of each row that split (rows stay whole unless taller than a page).
    """
    import pydyf

    tables = {}
    for element in _elements(pdf):
        if element.get("S") == "/Table" and element.get("Pg") in texts.page_index:
            tables.setdefault(texts.page_index[element["Pg"]], []).append(element)
    seen = {}  # HTML table: {HTML element of it: the struct element of its first part}
    renamed = {}  # a repeated header cell's ID: the ID of the cell it repeats
    split = []
    for number, page in enumerate(document.pages):
        wrappers = [
            box
            for box in page._page_box.descendants()
            if box.is_table_wrapper and box.element_tag == "table"
        ]
        if len(wrappers) != len(tables.get(number, ())):
            continue
        for wrapper, table in zip(wrappers, tables.get(number, ()), strict=True):
            parts = _table_parts(pdf, wrapper, table)
            if parts is None:
                continue
            if wrapper.element not in seen:
                first = seen[wrapper.element] = {wrapper.element: table}
                for group, box, rows in parts:
                    first[box.element] = group
                    for row, row_box, cells in rows:
                        first[row_box.element] = row
                        first.update((cell_box.element, cell) for cell, cell_box in cells)
                continue
            first = seen[wrapper.element]
            for group, box, rows in parts:
                if box.element_tag == "thead" and box.element in first:
                    originals = [
                        first.get(c_box.element) for _, _, cells in rows for _, c_box in cells
                    ]
                    repeated = [cell for _, _, cells in rows for cell, _ in cells]
                    for cell, original in zip(repeated, originals, strict=True):
                        if original is not None and "ID" in cell and "ID" in original:
                            renamed[cell["ID"].string] = original["ID"]
                    _artifact(pdf, texts, group)
                    _unlink(pdf, group)
                    continue
                if box.element not in first:
                    first[box.element] = group
                    _move(pdf, texts, first[wrapper.element], group)
                    continue
                for row, row_box, cells in rows:
                    if row_box.element not in first:
                        first[row_box.element] = row
                        first.update((cell_box.element, cell) for cell, cell_box in cells)
                        _move(pdf, texts, first[box.element], row)
                        continue
                    split.append(["".join(c_box.element.itertext()) for _, c_box in cells])
                    for cell, cell_box in cells:
                        if cell_box.element not in first:
                            first[cell_box.element] = cell
                            _move(pdf, texts, first[row_box.element], cell)
                            continue
                        whole = first[cell_box.element]
                        for kid in [k for k in cell["K"] if _is_reference(k)]:
                            _move(pdf, texts, whole, _object(pdf, kid))
                        _unlink(pdf, cell)
                    _unlink(pdf, row)
            _unlink(pdf, table)
    for element in _elements(pdf):
        attributes = element.get("A")
        if element.get("S") == "/TH" and attributes is not None and "Scope" not in attributes:
            row = _object(pdf, element["P"])
            attributes["Scope"] = "/Column" if _parent_is(pdf, row, "/THead") else "/Row"
        elif element.get("S") == "/TD" and attributes is not None and "Headers" in attributes:
            headers = attributes["Headers"]
            attributes["Headers"] = pydyf.Array(renamed.get(h.string, h) for h in headers)
    return split


def _parent_is(pdf, element, structure_type):
    return "P" in element and _object(pdf, element["P"]).get("S") == structure_type


def _link_owner(pdf, texts, reference):
    """The /Link element an annotation belongs to, moving its OBJR there if it is elsewhere.

    A link's <wbr> (an address's break points) gets annotations of its own, owned by a
    /NonStruct inside the link: they belong to the link.
    """
    import pydyf

    annotation = _object(pdf, reference)
    if "StructParent" not in annotation or annotation["StructParent"] not in texts.by_key:
        return None
    owner_reference = texts.nums[texts.by_key[annotation["StructParent"]]]
    if not _is_reference(owner_reference):
        return None
    owner = link = _object(pdf, owner_reference)
    while link.get("S") != "/Link":
        if "P" not in link or not _object(pdf, link["P"]).get("S"):
            return None
        link = _object(pdf, link["P"])
    if link is not owner:
        objr = [
            k for k in owner["K"] if _is_reference(k) and _object(pdf, k).get("Obj") == reference
        ]
        owner["K"] = pydyf.Array(k for k in owner["K"] if k not in objr)
        link["K"] = pydyf.Array([*link["K"], *objr])
        texts.nums[texts.by_key[annotation["StructParent"]]] = link.reference
    return link


def _whole_links(document, pdf, texts):
    """A link over two lines or two pages is one /Link holding all its parts.

    WeasyPrint tags each line's piece of a link as a /Link of its own, each with its
    annotation: the pieces join the first, every annotation an OBJR kid of it (and its
    /StructParent pointing to it), text from another page as marked-content references.
    """
    import pydyf

    pieces = {}  # HTML <a>: its /Link elements in page order
    for page in document.pages:
        for box in page._page_box.descendants():
            annotation = box.link_annotation
            if annotation is None or box.element is None:
                continue
            link = _link_owner(pdf, texts, annotation.reference)
            if link is None or box.element_tag.split(":")[0] != "a":
                continue
            links = pieces.setdefault(box.element, [])
            if all(link is not known for known in links):
                links.append(link)
    for first, *rest in pieces.values():
        kids = list(first["K"])
        for piece in rest:
            page = texts.page_index.get(piece.get("Pg"))
            for kid in piece["K"]:
                if isinstance(kid, int) and piece.get("Pg") != first.get("Pg"):
                    texts.set_owner(page, kid, first.reference)
                    kids.append(pydyf.Dictionary({"Type": "/MCR", "Pg": piece["Pg"], "MCID": kid}))
                    continue
                if isinstance(kid, int):
                    texts.set_owner(page, kid, first.reference)
                elif isinstance(kid, dict) and kid.get("Type") == "/MCR":
                    texts.set_owner(texts.page_index[kid["Pg"]], kid["MCID"], first.reference)
                else:
                    _adopt(pdf, texts, first, kid)
                kids.append(kid)
            piece["K"] = pydyf.Array()
            _unlink(pdf, piece)
        first["K"] = pydyf.Array(kids)
