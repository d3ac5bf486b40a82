"""Markdown as GitHub and kramdown write it, in the shapes Python-Markdown reads.

GitHub (CommonMark) lets a list follow a paragraph line with no blank line, nests lists
by the parent item's text column (two spaces under `- `, three under `1. `) and allows
headings indented up to three spaces; kramdown writes `{: .class}` lines beside blocks.
Python-Markdown wants blank lines, four-space nesting and `#` in the first column, so
lines are rewritten, outside fenced code, before its blocks are parsed.
"""

import re

from markdown.preprocessors import Preprocessor

ITEM = re.compile(r"([-*+]|\d{1,9}[.)])( +|$)(.*)")  # matched after the indent
RULE = re.compile(r"([-*_])(?: *\1){2,} *")
FENCE = re.compile(r"(`{3,}|~{3,})")
HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
# Lines that start a block of their own: never a lazy continuation of a list item's text.
OWN_BLOCK = re.compile(r"#{1,6}(?:[ \t]|$)|>|`{3,}|~{3,}|\x02")
# kramdown's inline attribute list on a line of its own: {: .note}, {: #id}, {:toc}
ATTRIBUTES = re.compile(r" {0,3}\{:[ \t]*([^}\n]*?)[ \t]*\}[ \t]*")
QUOTE = re.compile(r"( {0,3}> ?)(.*)")
INDENT = 4  # Python-Markdown's tab_length: one level of nesting


def _split(line):
    """(indent in columns, the line after its indent)."""
    rest = line.lstrip(" \t")
    return len(line[: len(line) - len(rest)].expandtabs(INDENT)), rest


MAX_QUOTES = 20  # quotes in quotes read as GitHub does; deeper ones are left as written


def github_lines(lines, quotes=0):
    """The lines rewritten as Python-Markdown needs them to read as GitHub does."""
    out = []
    stack = []  # open list items, outermost first: (content column, ordered)
    text_before = False  # the line before is paragraph text (a new list may interrupt it)
    blank_before = True
    fence = None
    pending = None  # a kramdown attribute line waiting for the block it stands before
    attach = None  # …and once that block is a paragraph, the line to put at its end
    quote = []

    def flush_quote():
        if quote:
            prefix, bodies = quote[0][0], [body for _, body in quote]
            if quotes < MAX_QUOTES:
                bodies = github_lines(bodies, quotes + 1)
            out.extend(prefix + line if line else prefix.rstrip() for line in bodies)
            quote.clear()

    def end_block():
        nonlocal attach
        if attach is not None:
            out.append(attach)
            attach = None

    for line in lines:
        indent, rest = _split(line)
        if fence is not None:
            out.append(line)
            if indent < INDENT and re.fullmatch(rf"{fence[0]}{{{len(fence)},}}[ \t]*", rest):
                fence = None
            continue
        quoted = QUOTE.fullmatch(line) if not stack else None
        if quoted and (quote or blank_before or not text_before):
            quote.append((quoted[1], quoted[2]))
            continue
        flush_quote()
        if not rest:
            end_block()
            pending = None
            out.append(line)
            text_before, blank_before = False, True
            continue
        if attributes := ATTRIBUTES.fullmatch(line):
            attributes = attributes[1]
            if attributes.lower().startswith("toc"):
                # kramdown's contents: `* TOC` then `{:toc}`. The booklet makes its own.
                if out and re.fullmatch(r" *([-*+]|1[.)]) +TOC[ \t]*", out[-1], re.I):
                    out.pop()
                continue
            if blank_before:
                pending = f"{{: {attributes}}}"
            elif out and HEADING.match(out[-1]):
                out[-1] = f"{out[-1].rstrip()} {{: {attributes}}}"
            elif text_before and "|" not in out[-1]:  # attr_list cannot mark a table
                if attach is not None:  # written before the paragraph and after it: both
                    attributes = f"{attach[3:-1]} {attributes}"
                    attach = None
                out.append(f"{{: {attributes}}}")
            continue  # after a table, a fence or a rule: nothing to give it to
        depth = sum(1 for column, _ in stack if column <= indent)
        base = stack[depth - 1][0] if depth else 0
        item = ITEM.fullmatch(rest) if indent - base < INDENT else None
        if item and RULE.fullmatch(rest):
            item = None
        if item:
            marker, spaces, content = item.groups()
            ordered = marker[0].isdigit()
            sibling = depth < len(stack) and stack[depth][1] == ordered
            if (
                not sibling
                and text_before
                and (not content.strip() or (ordered and int(marker[:-1]) != 1))
            ):
                item = None  # GitHub: only a `-` item or a `1.` may interrupt a paragraph
        if item:
            if depth == 0 and not sibling and not blank_before:
                end_block()
                out.append("")
            del stack[depth:]
            width = len(spaces) if 1 <= len(spaces) <= 4 else 1
            stack.append((indent + len(marker) + width, ordered))
            marker = marker[:-1] + "." if ordered else marker
            out.append(" " * (INDENT * depth) + f"{marker} {content}")
            text_before, blank_before = bool(content.strip()), False
            continue
        # A heading indented less than a code block ends the lists before it, however
        # deep (GitHub would put it in the item; a CMS indents headings and means none).
        heading = indent < INDENT and HEADING.match(rest)
        if stack:
            if depth and (blank_before or indent >= base) and not heading:
                # Inside the item: a block after a blank line is indented by the item's
                # depth, a line of its text by its parent's (Python-Markdown joins it to
                # the item as written); what is indented beyond the item's text stays so.
                del stack[depth:]
                levels = depth if blank_before else depth - 1
                out.append(" " * (INDENT * levels + indent - base) + rest)
                text_before, blank_before = True, False
                continue
            if text_before and not OWN_BLOCK.match(rest):
                out.append(line)  # lazy continuation of the item's paragraph
                blank_before = False
                continue
            stack.clear()
            if not blank_before:
                out.append("")
            if quoted := QUOTE.fullmatch(line):  # a quote after the list
                quote.append((quoted[1], quoted[2]))
                continue
        if heading:
            line = rest  # `  ## Heading`: still a heading
        if pending is not None:
            if HEADING.match(line):
                line = f"{line.rstrip()} {pending}"
            elif not OWN_BLOCK.match(rest) and indent < INDENT and not rest.startswith("|"):
                attach = pending
            pending = None
        out.append(line)
        text_before = not (HEADING.match(line) or RULE.fullmatch(rest) or rest.startswith("\x02"))
        blank_before = False
        if indent < INDENT and (opening := FENCE.match(rest)):
            fence, text_before = opening[1], False
    flush_quote()
    end_block()
    return out


class GitHubLines(Preprocessor):
    """Runs github_lines after fenced code is stashed, before blocks are parsed."""

    def run(self, lines):
        return github_lines(lines)


def install(md):
    """Make `md` read lists, headings and kramdown attribute lines as GitHub and kramdown do."""
    # After fenced_code (25) has put its blocks away: their lines are never rewritten.
    md.preprocessors.register(GitHubLines(md), "github_lines", 20)


TASK = re.compile(r"\[([ xX])\](?:[ \t]+|$)")


def task_lists(root):
    """`- [ ] text` and `- [x] text` items get a check box: a drawn square and a PDF field.

    The square is drawn on the page (it prints, and survives imposition); the field
    named task1, task2 … lies over it, ticked where the author wrote [x], its tooltip
    the item's text (what a screen reader says for it).
    """
    from xml.etree import ElementTree as etree

    from .links import plain

    count = 0
    for item in root.iter("li"):
        holder = item
        if not (item.text or "").strip() and len(item) and item[0].tag == "p":
            holder = item[0]  # a loose list: the item's text is in a paragraph
        text = (holder.text or "").lstrip()
        task = TASK.match(text)
        if not task:
            continue
        count += 1
        holder.text = text[task.end() :]
        words = [holder.text]
        for child in holder:
            if child.tag in ("ul", "ol", "p"):
                break
            words += ["".join(child.itertext()), child.tail or ""]
        label = " ".join(plain("".join(words)).split()) or f"Task {count}"
        box = etree.Element("span", {"class": "task-box"})
        field = {"type": "checkbox", "name": f"task{count}", "title": label}
        if task[1] != " ":
            field["checked"] = "checked"
        etree.SubElement(box, "input", field)
        box.tail = holder.text
        holder.text = ""
        holder.insert(0, box)
        item.set("class", f"{item.get('class', '')} task".strip())


# A CMS or mail-merge field left unfilled: {{PATIENT_NAME}}, {{ clinic.phone }}, [[DATE]].
# Hugo's {{< … >}} and {{% … %}} are shortcodes, taken out before this.
TEMPLATE_FIELD = re.compile(
    r"\{\{(?![<%])[ \t]*[^{}\n]{1,80}?[ \t]*\}\}|\[\[[A-Z][A-Z0-9_]{1,40}\]\]"
)
FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\]")
NOT_PROSE = {"code", "pre", "kbd"}


def _texts(element):
    """(element, "text" or "tail") for every run of prose text under `element`."""
    if element.tag in NOT_PROSE:
        return
    yield element, "text"
    for child in element:
        yield from _texts(child)
        yield child, "tail"


def template_fields(root, references):
    """Unfilled template fields: noted with their line, and kept whole on one line."""
    from xml.etree import ElementTree as etree

    parents = {child: parent for parent in root.iter() for child in parent}
    found = []
    for element, where in list(_texts(root)):
        text = getattr(element, where) or ""
        if TEMPLATE_FIELD.search(text):
            found.append((element, where, text))
    for element, where, text in found:
        pieces = TEMPLATE_FIELD.split(text)
        fields = TEMPLATE_FIELD.findall(text)
        setattr(element, where, pieces[0])
        parent, index = (element, 0) if where == "text" else (None, None)
        spans = []
        for field, after in zip(fields, pieces[1:], strict=True):
            span = etree.Element("span", {"class": "template-field"})
            span.text, span.tail = field, after
            spans.append(span)
            if references:
                references.note(
                    "template",
                    field,
                    f"template field {field} printed as written: fill it in before printing",
                    field,
                    field.strip("{}[] \t"),
                )
        if parent is None:
            parent = parents[element]
            index = list(parent).index(element) + 1
        for offset, span in enumerate(spans):
            parent.insert(index + offset, span)


def unresolved_footnotes(root, references):
    """A `[^name]` no note defines is printed as written: say so, with its line."""
    for element, where in _texts(root):
        for name in FOOTNOTE_REFERENCE.findall(getattr(element, where) or ""):
            references.note(
                "footnote",
                name,
                f"footnote [^{name}] has no note: it is printed as written; "
                f"add a line '[^{name}]: …' with the note's text",
                f"[^{name}]",
            )
