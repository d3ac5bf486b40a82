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
    images: tuple = ()  # image files it names that are there
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
    (Hugo). A `---` followed by a blank line, or by a block that is not front matter and
    does not start like it, is a horizontal rule of the Markdown (as Pandoc reads it).
    """
    fence = text[:4]
    if fence not in ("---\n", "+++\n"):
        return FrontMatter(), text, 1
    if fence == "---\n" and _rule_not_front_matter(text):
        return FrontMatter(), text, 1
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


# The first line of a YAML block that is meant as front matter: `key:` or `key: value`.
KEY_LINE = re.compile(r"^['\"]?[A-Za-z_][\w .-]*['\"]?[ \t]*:(\s|$)")
CLOSING = re.compile(r"(---|\.\.\.)[ \t]*$")


def _rule_not_front_matter(text):
    """True when a leading `---` is a horizontal rule: blank line after, or no `key:` block."""
    # Pandoc never opens front matter with `---` and a blank line; a block whose first line
    # is not `key:` and that YAML does not read as keys is Markdown too. A block that starts
    # like front matter and is broken stays an error with its line.
    lines = text.split("\n")
    if len(lines) < 2 or not lines[1].strip():
        return True
    if KEY_LINE.match(lines[1]):
        return False
    end = next((n for n, line in enumerate(lines) if n and CLOSING.match(line)), None)
    if end is None:
        return True
    import yaml

    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except (yaml.YAMLError, ValueError):
        return True
    return not isinstance(meta, dict | None)  # only comments: empty front matter


class FrontMatter(dict):
    """Front-matter keys and values, and the file line each key is set on (all of them)."""

    def __init__(self, *args, lines=None):
        super().__init__(*args)
        self.lines = lines or {}  # {key: [line, …]}, a key set twice has two


def _loader(lines):
    """A safe YAML loader that records the line of every top-level key, repeats too."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            if node is self._top:
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    if isinstance(key, str | int | float | bool):
                        lines.setdefault(str(key), []).append(key_node.start_mark.line + 2)
            return super().construct_mapping(node, deep)

        def construct_document(self, node):
            self._top = node
            return super().construct_document(node)

    return Loader


def _yaml(block, path):
    import yaml

    lines = {}
    try:
        meta = yaml.load(block, Loader=_loader(lines)) or {}  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        if "scanning" in (getattr(error, "context", None) or ""):
            # "while scanning a simple key / a quoted scalar": the line it started on is
            # the one to mend (`lang en`, an unclosed quote), not where YAML gave up.
            mark = getattr(error, "context_mark", None) or mark
        line = mark.line + 2 if mark else 1
        problem = getattr(error, "problem", None) or "cannot be read"
        raise SourceError(f"front matter is not valid YAML: {problem}", path, line) from None
    except ValueError as error:  # a date that is no date: `date: 2024-13-45`
        line = next((n + 2 for n, text in enumerate(block.split("\n")) if _bad_date(text)), 1)
        raise SourceError(f"front matter has an impossible date: {error}", path, line) from None
    return FrontMatter(meta, lines=lines) if isinstance(meta, dict) else meta


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
        meta = tomllib.loads(block)
    except tomllib.TOMLDecodeError as error:
        message, line = toml_problem(error, block)
        raise SourceError(
            f"front matter is not valid TOML: {message}", path, (line or 0) + 1
        ) from None
    lines = {}
    for key in meta:
        line = line_of(block, rf"^\s*['\"]?{re.escape(key)}['\"]?\s*=")
        if line is not None:
            lines[key] = [line + 1]  # the block starts on the file's line 2
    return FrontMatter(meta, lines=lines)


def check_front_matter(meta, path, text):
    """Front matter as plain values, and warnings: keys with no meaning, keys set twice."""
    lines = getattr(meta, "lines", {})

    def line_of_key(key):
        return (lines.get(str(key)) or [None])[-1] or _line_of(text, key)

    clean, unknown, warnings, written = {}, [], [], {}
    for key, value in meta.items():
        name = ALIASES.get(str(key), str(key))
        line = line_of_key(key)
        if name == "language" and value is False:
            value = "no"  # YAML 1.1 reads Norwegian's tag `no` as false
        if name not in FRONT_MATTER_KEYS:
            unknown.append(str(key))
            continue
        written.setdefault(name, []).append(str(key))
        if name in clean and str(key) != name:
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
        elif isinstance(value, bool) and name != "language":
            warnings.append(
                f"{path}:{line}: '{key}: {str(value).lower()}' is read as yes/no, not text: "
                f'left out (put the text in quotes, {key}: "…", to print it)'
            )
        else:
            clean[name] = _text(value, key, path, line)
    for name, keys in written.items():
        warnings += _set_twice(name, keys, lines, line_of_key, text, path)
    if unknown:
        warnings.insert(0, f"{path}:{line_of_key(unknown[0])}: " + _unknown(unknown))
    language = clean.get("language", "").replace("_", "-")  # pt_BR as gettext spells it
    if language:
        clean["language"] = language
    if language and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        warnings.append(
            f"{path}:{line_of_key('language') or line_of_key('lang')}: "
            f"'language' must be a language tag such as en or en-GB, not {language!r}; "
            "the booklet is set as English (en)"
        )
        clean["language"] = "en"  # as the warning says: a tag was meant, none is guessed
    for name in ("title", "subtitle"):  # one line in metadata and running heads
        if name in clean:
            clean[name] = " ".join(clean[name].split())
    return clean, warnings


def _set_twice(name, keys, lines, line_of_key, text, path):
    """A warning when one setting is written twice (a repeated key, or two of its names)."""
    places = [(key, line) for key in dict.fromkeys(keys) for line in lines.get(key) or [None]]
    places = [(key, line or line_of_key(key)) for key, line in places]
    if len(places) < 2:
        return []
    # YAML keeps a repeated key's last value; the canonical name beats its aliases.
    canonical = [place for place in places if place[0] == name]
    winner = canonical[-1] if canonical else places[-1]
    others = [place for place in places if place != winner]
    said = ", ".join(f"'{key}' on line {line}" for key, line in others)
    return [
        f"{path}:{others[0][1]}: front matter sets '{name}' more than once ({said} and "
        f"'{winner[0]}' on line {winner[1]}): the one on line {winner[1]} is used"
    ]


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


TITLE_LIMIT = 200  # characters: longer titles are cut at a word, so the cover stays one page
RUNNING_LIMIT = 60  # characters of the title in the running head, which is one line


def shorten(text, limit):
    """Text cut at the last word boundary before `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def essay_title(meta, html, body, body_line, path, text):
    """(title, warnings): front matter, else the first heading, else the file name."""
    # A `# Title` line is the documented way to name an essay: only the other guesses warn.
    from html import unescape

    title = meta.get("title", "")
    warnings = []
    where = _line_of(text, "title") if "title" in meta else 1
    if not title and "title" in meta:
        said = f"{path}:{where}: 'title' is empty"
    else:
        said = f"{path}:1: no 'title:' in the front matter"
    if not title:
        found = re.search(r"<h([1-6])\b[^>]*>(.*?)</h\1>", html, re.S)
        heading = " ".join(unescape(re.sub(r"<[^>]+>", "", found[2])).split()) if found else ""
        if heading:
            title = heading
            line = where = _first_heading_line(body, body_line)
            if found[1] != "1" or "title" in meta:
                warnings.append(
                    f'{said}: the title is the first heading, "{title}" (line {line}); '
                    "add 'title: …' to choose another"
                )
        else:
            title = _readable_name(path)
            warnings.append(
                f'{said} and there is no heading: the title is the file\'s name, "{title}"; '
                "add 'title: …' to choose another"
            )
    if len(title) > TITLE_LIMIT:
        warnings.append(
            f"{path}:{where}: the title is {len(title)} characters, too long for a cover: "
            f"it is cut to {TITLE_LIMIT} (put the rest in 'subtitle:' or 'summary:')"
        )
        title = shorten(title, TITLE_LIMIT)
    return title, warnings


def _first_heading_line(body, body_line):
    """The file line of the Markdown's first heading (ATX or setext), outside code."""
    from .readability import split_blocks

    _, headings = split_blocks(body, body_line)
    return headings[0].line if headings else body_line


def _readable_name(path):
    """A file name as a title: `bowel-prep_v2.md` is "Bowel prep v2"."""
    words = " ".join(re.split(r"[-_\s.]+", Path(path).stem)).strip() or Path(path).name
    return words[:1].upper() + words[1:]


def essay_language(meta, body, path):
    """(tag, warning or None): `lang:`/`language:`, else what the prose reads as."""
    # The one place the build and --check decide it: they must never disagree.
    if meta.get("language"):
        return meta["language"], None
    from .language import DEFAULT, guess_language, guessed_warning

    guess = guess_language(body)
    if guess.tag == DEFAULT and guess.reason != "mixed" and not guess.read_as:
        return DEFAULT, None  # English, the default, and nothing says otherwise
    return guess.tag, f"{path}:1: {guessed_warning(guess)}"


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
    title, title_warnings = essay_title(meta, html, body, body_line, path, text)
    warnings += title_warnings
    language, guessed = essay_language(meta, body, path)
    warnings += [guessed] if guessed else []
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
        language=language,
        date=meta.get("date", ""),
        subject=meta.get("subject") or meta.get("summary", ""),
        keywords=meta.get("keywords", ()),
        warnings=tuple(dict.fromkeys(warnings)),
        missing=tuple(sorted(references.missing)),
        images=tuple(sorted(references.found)),
        source=text,
        summary=meta.get("summary", ""),
        log=meta.get("log", ""),
        toc_depth=depth,
    )
