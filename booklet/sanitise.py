"""Raw HTML in the essay: a few harmless tags pass, the rest is shown as typed."""

import re

from markdown.inlinepatterns import HTML_RE, InlineProcessor

# Tags real handouts carry for emphasis and chemistry (CO<sub>2</sub>, 10<sup>9</sup>).
# They pass without attributes; anything else is shown as the author typed it.
INLINE_TAGS = frozenset(
    ("br", "sup", "sub", "strong", "b", "em", "i", "u", "s", "small", "mark", "kbd", "wbr")
)
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b([^>]*)>", re.DOTALL)
HEADING_LINE = re.compile(
    r"^ {0,3}<h([1-6])(?:\s+[^>]*?\bid=[\"']?([\w:.-]+)[\"']?[^>]*|\s[^>]*)?>(.*?)</h\1>[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
FENCE_OR_COMMENT = re.compile(r"(^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\2[ \t]*$)|<!--.*?-->", re.S | re.M)
# R Markdown and Quarto write chunks as ```{r label, echo=FALSE}: keep the language only.
CHUNK_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*\{([A-Za-z][\w+-]*)[^}\n]*\}[ \t]*$", re.M)

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$", re.S | re.M)
# A fenced block, or a code span (it may run over a line break, not a blank line).
CODE = re.compile(
    r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$|(`+)[^`\n]*(?:\n[^`\n]+)*?\2", re.S | re.M
)


def outside_code(pattern, replace, body):
    """`pattern.sub(replace, …)` on the Markdown outside fenced blocks and code spans."""
    parts, start = [], 0
    for code in CODE.finditer(body):
        parts += [pattern.sub(replace, body[start : code.start()]), code.group(0)]
        start = code.end()
    return "".join([*parts, pattern.sub(replace, body[start:])])


# Everything Markdown and this package produce; the sanitiser drops anything else.
TAGS = {
    *INLINE_TAGS,
    *(f"h{n}" for n in range(1, 7)),
    *("p", "a", "img", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code", "hr"),
    *("table", "thead", "tbody", "tr", "th", "td", "div", "span", "figure", "figcaption"),
    *("abbr", "del", "ins"),
    "input",  # only a task list's check box: raw <input> is escaped before this
}
ATTRIBUTES = {
    "*": {"id", "class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
    "abbr": {"title"},
    "input": {"type", "name", "title", "checked"},
}
SCHEMES = {"http", "https", "mailto", "tel", "data"}


# <img> and <figure> as READMEs and CMS exports write them, in a paragraph of their own:
# <p align="center"><img src="map.png" width="300" alt="…"></p>.
HTML_IMAGE = re.compile(r"<(?:img|figure)\b", re.I)
BLANK_LINE = re.compile(r"(\n[ \t]*\n)")
EVERYTHING = re.compile(r".+", re.S)
# A quoted value never holds a '<' or a line break here: an unclosed quote fails fast.
IMG = re.compile(r"<img\b((?:[^<>\"']|\"[^\"<\n]*\"|'[^'<\n]*')*)>", re.I)
FIGURE = re.compile(
    r"<figure\b[^>]*>((?:(?!<figure\b|</figure).){0,4000}?)</figure\s*>", re.I | re.S
)
CAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption\s*>", re.I | re.S)
HTML_ATTRIBUTE = re.compile(
    r"""([a-zA-Z_:][-\w:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))"""
)
# What holds a picture in such a block and means nothing in print: it goes.
WRAPPER = re.compile(r"</?(?:p|div|center|picture|figure)\b[^>]*>|<source\b[^>]*>", re.I)
LINKED_IMAGE = re.compile(r"<a\b([^>]*)>\s*(!\[[^\n]*?\]\([^\n]*?\))\s*</a\s*>", re.I)


def _attributes(text):
    """An HTML tag's attributes as {name: value}, entities decoded."""
    import html

    return {
        m[1].lower(): html.unescape(next(v for v in m.groups()[1:] if v is not None))
        for m in HTML_ATTRIBUTE.finditer(text)
    }


def _markdown_image(attributes, caption=""):
    """An <img>'s src, alt and title (or a figure's caption) as a Markdown image."""
    src = attributes.get("src", "").strip()
    alt = re.sub(r"([\[\]\\])", r"\\\1", " ".join(attributes.get("alt", "").split()))
    title = " ".join((caption or attributes.get("title", "")).split()).replace('"', "\u201d")
    target = f"<{src}>" if re.search(r"[\s()]", src) else src
    return f"![{alt}]({target}" + (f' "{title}"' if title else "") + ")"


def html_images(body):
    """<img> and <figure> in the Markdown become Markdown images (lines kept).

    So they meet the same checks as `![alt](src)`: read only from the allowed folders,
    their alt text kept, width and height left to the page.
    """
    import html

    def figure(match):
        image = IMG.search(match[1])
        if not image:
            return match[0]
        caption = CAPTION.search(match[1])
        text = html.unescape(re.sub(r"<[^>]*>", "", caption[1])) if caption else ""
        return _markdown_image(_attributes(image[1]), text) + "\n" * match[0].count("\n")

    def link(match):
        href = _attributes(match[1]).get("href", "")
        return f"[{match[2]}]({href})" if href else match[2]

    def block(text):
        if not HTML_IMAGE.search(text):
            return text
        text = FIGURE.sub(figure, text)
        text = IMG.sub(lambda image: _markdown_image(_attributes(image[1])), text)
        return LINKED_IMAGE.sub(link, WRAPPER.sub("", text))

    def paragraphs(match):
        return "".join(map(block, BLANK_LINE.split(match[0])))

    if not HTML_IMAGE.search(body):
        return body
    return outside_code(EVERYTHING, paragraphs, body)


def prepare(body):
    """Markdown as other tools write it, in the shapes Python-Markdown reads.

    Comments go (their lines stay, so line numbers hold), `<hN>` lines become headings,
    `<img>` and `<figure>` become images and R Markdown chunk fences become plain fences.
    """

    def without_comment(match):
        if match.group(1):
            return match.group(0)
        return "\n" * match.group(0).count("\n")

    def heading(match):
        level, anchor, text = match.groups()
        return "#" * int(level) + " " + text.strip() + (f" {{#{anchor}}}" if anchor else "")

    body = FENCE_OR_COMMENT.sub(without_comment, body)
    body = CHUNK_FENCE.sub(r"\1\2 \3", body)
    return html_images(outside_code(HEADING_LINE, heading, body))


class RawHtml(InlineProcessor):
    """Allowed inline tags pass bare; any other tag stays text and is noted once per kind."""

    def __init__(self, md, found):
        super().__init__(HTML_RE, md)
        self.found = found  # "<div>": the first spelling met

    def handleMatch(self, m, data):  # noqa: N802 - Markdown's name
        raw = m.group(1)
        tag = TAG.fullmatch(raw)
        if tag and tag[2].lower() in INLINE_TAGS:
            name = tag[2].lower()
            bare = f"<{name}>" if name in ("br", "wbr") else f"<{tag[1]}{name}>"
            return self.md.htmlStash.store(bare), m.start(0), m.end(0)
        if raw.startswith("<!--"):
            return "", m.start(0), m.end(0)
        kind = f"<{tag[2].lower()}>" if tag else raw
        self.found.setdefault(kind, raw)
        return None, None, None


def install(md, found):
    """Make `md` escape raw HTML except the allowed tags, noting what it escaped."""
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.inlinePatterns.register(RawHtml(md, found), "html", 90)


def clean(html):
    """The essay's HTML through a real sanitiser: known tags, attributes and schemes only."""
    import nh3

    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=SCHEMES,
        link_rel=None,
        strip_comments=True,
        filter_style_properties={"text-align"},
    )
