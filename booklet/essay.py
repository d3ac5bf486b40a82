"""Read the essay: front matter and Markdown in, metadata and HTML out."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .editions import DEFAULT_TOC_DEPTH, MAX_BYTES, TOC_DEPTHS
from .errors import SourceError, closest
from .lines import line_of

# Canonical keys, and the names Pandoc, R Markdown, Hugo, Jekyll and Astro give them.
FRONT_MATTER_KEYS = (
    "title",
    "subtitle",
    "author",
    "language",
    "date",
    "subject",
    "keywords",
    "summary",
    "log",
    "toc_depth",
)
ALIASES = {
    "lang": "language",
    "tags": "keywords",
    "abstract": "summary",
    "description": "summary",
    "toc-depth": "toc_depth",
}
EXTENSIONS = (
    "tables",
    "footnotes",
    "smarty",
    "toc",
    "attr_list",
    "sane_lists",
    "def_list",
    "fenced_code",
)
# Every heading gets an id; which of them the contents lists is decided here, not by toc.
EXTENSION_CONFIGS = {"toc": {"toc_depth": "1-6"}, "smarty": {"smart_angled_quotes": False}}


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
    headings: list = field(default_factory=list)  # (outline level, id, text) for the contents
    subtitle: str = ""
    author: str = ""
    language: str = "en"
    date: str = ""
    subject: str = ""
    keywords: tuple = ()
    warnings: tuple = ()  # what was built around, each "path:line: message"
    missing: tuple = ()  # files it names that are not there (yet)
    source: str = field(default="", repr=False)  # the file's text, for finding lines
    summary: str = ""  # abstract or description, shown under the title
    log: str = ""  # the log the essay asks for: a preset name or a TOML path, as written
    toc_depth: int = DEFAULT_TOC_DEPTH


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
    """Split a leading front-matter block from the Markdown; return (meta, body, body_line).

    YAML between `---` lines (Pandoc, Jekyll, Astro, Hugo), or TOML between `+++` lines
    (Hugo).
    """
    fence = text[:4]
    if fence not in ("---\n", "+++\n"):
        return {}, text, 1
    closing = r"^(---|\.\.\.)[ \t]*$" if fence == "---\n" else r"^\+\+\+[ \t]*$"
    end = re.search(closing, text[4:], re.MULTILINE)
    if not end:
        raise SourceError(f"front matter starts with '{fence[:3]}' but never ends", path, 1)
    block = text[4 : 4 + end.start()]
    meta = _yaml(block, path) if fence == "---\n" else _toml(block, path)
    if not isinstance(meta, dict):
        raise SourceError("front matter must be 'key: value' lines", path, 2)
    rest = text[4 + end.end() :]
    body = rest.lstrip("\n")
    # The body starts after the closing line and the blank lines that follow it.
    return meta, body, block.count("\n") + 2 + len(rest) - len(body)


def _yaml(block, path):
    import yaml

    try:
        return yaml.safe_load(block) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = getattr(error, "problem", None) or "cannot be read"
        raise SourceError(f"front matter is not valid YAML: {problem}", path, line) from None
    except ValueError as error:  # a date that is no date: `date: 2024-13-45`
        line = next((n + 2 for n, text in enumerate(block.split("\n")) if _bad_date(text)), 1)
        raise SourceError(f"front matter has an impossible date: {error}", path, line) from None


def _bad_date(line):
    """True when a `key: value` line holds a date YAML cannot make (2024-13-45)."""
    import yaml

    if not re.search(r":\s*\d{4}-\d{1,2}-\d{1,2}", line):
        return False
    try:
        yaml.safe_load(line)
    except (ValueError, yaml.YAMLError):
        return True
    return False


def _toml(block, path):
    import tomllib

    from .lines import toml_problem

    try:
        return tomllib.loads(block)
    except tomllib.TOMLDecodeError as error:
        message, line = toml_problem(error, block)
        raise SourceError(
            f"front matter is not valid TOML: {message}", path, (line or 0) + 1
        ) from None


def check_front_matter(meta, path, text):
    """Front matter as plain values, and one warning naming every key with no meaning here."""
    clean, unknown = {}, []
    for key, value in meta.items():
        name = ALIASES.get(str(key), str(key))
        line = _line_of(text, key)
        if name == "language" and value is False:
            value = "no"  # YAML 1.1 reads Norwegian's tag `no` as false
        if name not in FRONT_MATTER_KEYS:
            unknown.append(str(key))
        elif name in clean and str(key) != name:
            continue  # `language` wins over `lang`, wherever each is written
        elif name == "keywords":
            clean[name] = _words(value, key, path, line)
        elif name == "author":
            clean[name] = ", ".join(_names(value, key, path, line))
        elif name == "toc_depth":
            if isinstance(value, bool) or not isinstance(value, int):
                raise SourceError(f"'{key}' must be a whole number", path, line)
            if not TOC_DEPTHS[0] <= value <= TOC_DEPTHS[1]:
                raise SourceError(
                    f"'{key}' must be from {TOC_DEPTHS[0]} to {TOC_DEPTHS[1]}", path, line
                )
            clean[name] = value
        else:
            clean[name] = _text(value, key, path, line)
    warnings = []
    if unknown:
        warnings.append(f"{path}:{_line_of(text, unknown[0])}: " + _unknown(unknown))
    language = clean.get("language", "").replace("_", "-")  # pt_BR as gettext spells it
    if language:
        clean["language"] = language
    if language and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        warnings.append(
            f"{path}:{_line_of(text, 'language') or _line_of(text, 'lang')}: "
            f"'language' must be a language tag such as en or en-GB, not {language!r}; "
            "the booklet is set as English (en)"
        )
        del clean["language"]
    return clean, warnings


def _unknown(keys):
    """One message for every front-matter key with no meaning here, with near misses."""
    known = (*FRONT_MATTER_KEYS, *ALIASES)
    named = []
    for key in keys:
        near = closest(key, known, cutoff=0.75)
        named.append(f"'{key}' (did you mean '{near}'?)" if near else f"'{key}'")
    return f"front matter: ignored {', '.join(named)}: no meaning in a booklet"


def _text(value, key, path, line):
    """A scalar front-matter value as text; empty stays empty."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    raise SourceError(f"'{key}' must be text", path, line)


def _words(value, key, path, line):
    """Keywords as a list or comma-separated text."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(word.strip() for word in value.split(",") if word.strip())
    if isinstance(value, list) and all(isinstance(w, (str, int, float)) for w in value):
        return tuple(str(word).strip() for word in value if str(word).strip())
    raise SourceError(f"'{key}' must be a list of words", path, line)


def _names(value, key, path, line):
    """Authors as text, a list of names, or Pandoc's list of {name: …} maps."""
    if value is None:
        return []
    if isinstance(value, dict) and "name" in value:
        value = [value]
    if not isinstance(value, list):
        return [_text(value, key, path, line)]
    names = []
    for item in value:
        if isinstance(item, dict) and "name" in item:
            item = item["name"]
        names.append(_text(item, key, path, line))
    return [name for name in names if name]


def _line_of(text, key):
    """The line a front-matter key is set on (YAML `key:` or TOML `key =`), for messages."""
    return line_of(text, rf"^{re.escape(str(key))}\s*[:=]")


# Hugo's {{< figure … >}} and {{% … %}}, Jekyll's {% include … %}: a site generator's
# code, not the author's words.
SHORTCODE = re.compile(r"\{\{[<%]-?\s*/?([\w.-]*).*?-?[>%]\}\}|\{%-?\s*(\w+).*?-?%\}", re.S)


def _without_shortcodes(body):
    """The body with site shortcodes blanked out (lines and offsets kept), and each kind."""
    found = {}

    def blank(match):
        name = match[1] or match[2] or "?"
        ends = 3 if match[0].startswith("{{") else 2
        kind = f"{match[0][:ends]} {name} {match[0][-ends:]}"
        found.setdefault(kind, match[0])
        return re.sub(r"[^\n]", " ", match[0])

    from .sanitise import outside_code

    return outside_code(SHORTCODE, blank, body), found


def markdown_to_html(body, shape=None):
    """Convert Markdown to HTML; return (html, headings, raw HTML kinds shown as text).

    `shape` is a Shape that checks links and images and marks up headings, tables and
    addresses; without one only the conversion and the sanitiser run.
    """
    import markdown

    from . import commonmark, sanitise

    md = markdown.Markdown(extensions=_extensions())
    commonmark.install(md)
    # Authors write Markdown: raw HTML is shown as typed, except a few harmless tags.
    escaped = {}
    sanitise.install(md, escaped)
    from .shape import Shape, ShapeTree

    shape = shape or Shape()
    md.treeprocessors.register(ShapeTree(md, shape), "booklet", 1)
    html = sanitise.clean(md.convert(sanitise.prepare(body)))
    return html, shape.headings, escaped


def read_essay(path, max_bytes=MAX_BYTES, allowed=(), toc_depth=None):
    """Read front matter and Markdown into an Essay.

    `allowed` are the folders the build may read (the essay's own when empty);
    `toc_depth` the settings' default for how many heading levels the contents lists.
    """
    from .guard import check_markdown, time_limit
    from .links import References
    from .shape import Shape

    path = Path(path)
    text = read_source(path, max_bytes)
    meta, body, body_line = split_front_matter(text, path)
    meta, warnings = check_front_matter(meta, path, text)
    if not body.strip():
        raise SourceError("the essay is empty: there is no text after the front matter", path)
    check_markdown(body, path, body_line)
    folder = path.resolve().parent
    references = References(text, len(text) - len(body), folder, allowed or (folder,))
    depth = meta.get("toc_depth") or toc_depth or DEFAULT_TOC_DEPTH
    shape = Shape(references, depth, meta.get("summary", ""))
    body, shortcodes = _without_shortcodes(body)
    for kind, raw in shortcodes.items():
        message = f"site shortcode {kind} left out: a booklet has no site generator to run it"
        references.note("shortcode", kind, message, raw)
    with time_limit(path):
        html, headings, escaped = markdown_to_html(body, shape)
    title = meta.get("title") or next((t for level, _, t in headings if level == 1), "")
    if not title:
        raise SourceError("no title: add 'title:' to the front matter or a '# Title' line", path)
    passed = ", ".join(f"<{tag}>" for tag in ("br", "sup", "sub", "strong", "em"))
    for kind, raw in escaped.items():
        message = f"raw HTML {kind} is shown as text: only simple tags such as {passed} pass"
        references.note("html", kind, message, raw)
    warnings += references.warnings(path)
    return Essay(
        path=path,
        title=title,
        html=html,
        headings=headings,
        subtitle=meta.get("subtitle", ""),
        author=meta.get("author", ""),
        language=meta.get("language", "en"),
        date=meta.get("date", ""),
        subject=meta.get("subject") or meta.get("summary", ""),
        keywords=meta.get("keywords", ()),
        warnings=tuple(dict.fromkeys(warnings)),
        missing=tuple(sorted(references.missing)),
        source=text,
        summary=meta.get("summary", ""),
        log=meta.get("log", ""),
        toc_depth=depth,
    )
