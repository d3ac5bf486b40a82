"""What the essay stage does to Markdown's tree: references, headings, figures, tables."""

import re
from xml.etree import ElementTree as etree

from markdown.treeprocessors import Treeprocessor

from .commonmark import task_lists, template_fields, unresolved_footnotes
from .essay import DEFAULT_TOC_DEPTH
from .links import loose, mark_addresses, plain

WIDE_TABLE = 5  # columns from which a table is set smaller
VERY_WIDE_TABLE = 7


class Shape:
    """What the essay stage does to the converted tree, and what it learns from it."""

    def __init__(self, references=None, toc_depth=DEFAULT_TOC_DEPTH, summary=""):
        self.references = references
        self.toc_depth = toc_depth
        self.summary = summary
        self.headings = []

    def run(self, root):
        """Check references, then shape headings, figures, tables and addresses."""
        if self.references:
            self.references.check(root)
            for image in root.iter("img"):
                if not image.get("alt", "").strip():
                    src = image.get("src", "")
                    self.references.note(
                        "alt",
                        src,
                        f"image {src} has no alternative text: a screen reader has nothing to "
                        f"say for it; write what it shows, ![like this]({src})",
                        f"![]({src}",
                        f"({src}",
                        src,
                    )
        found = [e for e in root.iter() if e.tag in _HEADING_TAGS and e.get("id")]
        levels = self._levels(found)
        for element, level in zip(found, levels, strict=True):
            listed = level <= self.toc_depth
            _add_class(element, f"bk-{level}" if listed else "bk-none")
            # The booklet's title is the one H1: the essay's outline sits under it, with no
            # level skipped; md-N keeps the look the author's Markdown level gives.
            _add_class(element, f"md-{element.tag[1]}")
            if listed:
                self.headings.append((level, element.get("id"), plain("".join(element.itertext()))))
        for paragraph in root.iter("p"):
            _figure(paragraph)
        task_lists(root)
        if self.references:
            unresolved_footnotes(root, self.references)
        template_fields(root, self.references)
        for table in root.iter("table"):
            columns = max((len(row) for row in table.iter("tr")), default=0)
            if columns >= WIDE_TABLE:
                _add_class(table, "wide" if columns < VERY_WIDE_TABLE else "wide very-wide")
        if self.summary:
            summary = etree.Element("p", {"class": "summary"})
            summary.text = self.summary
            root.insert(1 if len(root) and root[0].tag == "h1" else 0, summary)
        for element, level in zip(found, levels, strict=True):
            element.tag = f"h{min(level + 1, 6)}"
        mark_addresses(root)

    def _levels(self, headings):
        """Each heading's level in the essay's outline (1 for its top), no level skipped.

        A heading deeper than the one before it by more than a level (## then ####) is
        one level under it; the look stays the written one (md-N). Each skip is a warning.
        """
        top = min((int(e.tag[1]) for e in headings), default=1)
        levels, open_ = [], []  # open_: (written level, outline level) of enclosing headings
        previous = top
        cursor = self.references.body_start if self.references else 0
        for element in headings:
            written = int(element.tag[1])
            while open_ and open_[-1][0] >= written:
                open_.pop()
            level = open_[-1][1] + 1 if open_ else 1
            open_.append((written, level))
            levels.append(level)
            if self.references is None:
                continue
            line, cursor = _heading_line(self.references.text, cursor, written, element)
            if len(levels) > 1 and written > previous + 1:
                message = (
                    f"heading level skipped: {'#' * written} after {'#' * previous}; "
                    f"tagged as level {top + level - 1}"
                )
            elif len(levels) == 1 and written > 2:
                message = (
                    f"heading level skipped: the essay starts at {'#' * written}, with no ## "
                    f"above it; tagged as the essay's top level"
                )
            else:
                previous = written
                continue
            previous = written
            self.references.notes.setdefault(("heading", element.get("id")), (line, message))
        return levels


_HEADING_TAGS = {f"h{n}" for n in range(1, 7)}


ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


def _heading_line(text, start, written, element):
    """(line of the heading `element` in `text`, searching from `start`; where to go on)."""
    wanted = loose(plain("".join(element.itertext())))
    for match in ATX_HEADING.finditer(text, start):
        said = loose(re.sub(r"\{[^}]*\}\s*$", "", match[2]))  # without {#id .class}
        if len(match[1]) == written and (said == wanted or wanted and said.startswith(wanted)):
            return text.count("\n", 0, match.start()) + 1, match.end()
    return None, start


def _add_class(element, name):
    element.set("class", f"{element.get('class', '')} {name}".strip())


def _figure(paragraph):
    """A paragraph holding only an image with a title becomes a figure with a caption."""
    if len(paragraph) != 1 or (paragraph.text or "").strip():
        return
    image = paragraph[0]
    if image.tag != "img" or not image.get("title") or (image.tail or "").strip():
        return
    paragraph.tag = "figure"
    caption = etree.SubElement(paragraph, "figcaption")
    caption.text = image.attrib.pop("title")


class ShapeTree(Treeprocessor):
    """Runs a Shape after Markdown's own tree work (ids, footnotes, attributes)."""

    def __init__(self, md, shape):
        super().__init__(md)
        self.shape = shape

    def run(self, root):
        self.shape.run(root)
