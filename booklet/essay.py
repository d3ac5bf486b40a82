"""Read the essay: front matter and Markdown in, metadata and HTML out."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .editions import MAX_BYTES
from .errors import SourceError
from .lines import line_of

FRONT_MATTER_KEYS = ("title", "subtitle", "author", "language", "date", "subject", "keywords")
EXTENSIONS = ("tables", "footnotes", "smarty", "toc", "attr_list", "sane_lists", "def_list")
EXTENSION_CONFIGS = {"toc": {"toc_depth": "1-2"}, "smarty": {"smart_angled_quotes": False}}


def _extensions():
    """Extension objects, imported directly: looking names up in entry points costs ~30 ms."""
    import importlib

    return [
        importlib.import_module(f"markdown.extensions.{name}").makeExtension(
            **EXTENSION_CONFIGS.get(name, {})
        )
        for name in EXTENSIONS
    ]


@dataclass(frozen=True)
class Essay:
    """The essay as the templates need it."""

    path: Path
    title: str
    html: str
    headings: list = field(default_factory=list)  # (level, id, text), h1 and h2
    subtitle: str = ""
    author: str = ""
    language: str = "en"
    date: str = ""
    subject: str = ""
    keywords: tuple = ()
    warnings: tuple = ()  # what was built around, each "path:line: message"


def read_source(path, max_bytes=MAX_BYTES):
    """Read the essay file as text, refusing what is not a UTF-8 text file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise SourceError("is a folder, not a Markdown file", path)
        if size > max_bytes:
            raise SourceError(
                f"is {size:,} bytes, over the {max_bytes:,}-byte limit (raise it with --max-size)",
                path,
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError("file not found", path) from None
    except OSError as error:
        raise SourceError(error.strerror or str(error), path) from None
    if b"\0" in data:
        raise SourceError("is a binary file, not Markdown text", path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SourceError("is not UTF-8 text", path, line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text, path):
    """Split a leading `---` YAML block from the Markdown; return (meta, body, body_line)."""
    if not text.startswith("---\n"):
        return {}, text, 1
    end = re.search(r"^(---|\.\.\.)[ \t]*$", text[4:], re.MULTILINE)
    if not end:
        raise SourceError("front matter starts with '---' but never ends", path, 1)
    import yaml

    block = text[4 : 4 + end.start()]
    try:
        meta = yaml.safe_load(block) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(error, "problem", None) or "cannot be read"
        raise SourceError(f"front matter is not valid YAML: {problem}", path, line) from None
    if not isinstance(meta, dict):
        raise SourceError("front matter must be 'key: value' lines", path, 2)
    body_line = block.count("\n") + 3
    return meta, text[4 + end.end() :].lstrip("\n"), body_line


def check_front_matter(meta, path, text):
    """Check front-matter keys and types; return them as plain strings."""
    clean = {}
    for key, value in meta.items():
        line = _line_of(text, key)
        if key not in FRONT_MATTER_KEYS:
            known = ", ".join(FRONT_MATTER_KEYS)
            raise SourceError(f"unknown front-matter key '{key}' (known keys: {known})", path, line)
        if key == "keywords":
            if isinstance(value, str):
                value = [k.strip() for k in value.split(",") if k.strip()]
            if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
                raise SourceError("'keywords' must be a list of words", path, line)
            clean[key] = tuple(value)
        elif isinstance(value, (str, int, float)) or hasattr(value, "isoformat"):
            clean[key] = str(value).strip()
        else:
            raise SourceError(f"'{key}' must be text", path, line)
    if "language" in clean and not re.fullmatch(
        r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", clean["language"]
    ):
        raise SourceError(
            f"'language' must be a language tag such as en or en-GB, not {clean['language']!r}",
            path,
            _line_of(text, "language"),
        )
    return clean


def _line_of(text, key):
    """The line a front-matter key is set on, for messages."""
    return line_of(text, rf"^{re.escape(str(key))}\s*:")


def markdown_to_html(body):
    """Convert Markdown to HTML (raw HTML is shown as text); return (html, headings)."""
    import markdown

    md = markdown.Markdown(extensions=_extensions())
    # Authors write Markdown, not HTML: raw tags are escaped and shown as typed.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    html = md.convert(body)
    headings = []

    def walk(tokens):
        for token in tokens:
            headings.append((token["level"], token["id"], _plain(token["name"])))
            walk(token["children"])

    walk(md.toc_tokens)
    return html, headings


def _plain(name):
    """Heading text from the toc extension, entities decoded."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", name))


def read_essay(path, max_bytes=MAX_BYTES):
    """Read front matter and Markdown into an Essay."""
    from .guard import check_markdown, time_limit

    path = Path(path)
    text = read_source(path, max_bytes)
    meta, body, body_line = split_front_matter(text, path)
    meta = check_front_matter(meta, path, text)
    if not body.strip():
        raise SourceError("the essay is empty: there is no text after the front matter", path)
    check_markdown(body, path, body_line)
    with time_limit(path):
        html, headings = markdown_to_html(body)
    title = meta.get("title") or next((t for level, _, t in headings if level == 1), "")
    if not title:
        raise SourceError("no title: add 'title:' to the front matter or a '# Title' line", path)
    return Essay(
        path=path,
        title=title,
        html=html,
        headings=headings,
        subtitle=meta.get("subtitle", ""),
        author=meta.get("author", ""),
        language=meta.get("language", "en"),
        date=meta.get("date", ""),
        subject=meta.get("subject", ""),
        keywords=meta.get("keywords", ()),
    )
