"""The checks of `--check` as a table of rules, and the PEMAT-P items they answer.

API:

- ``RULES``: each ``Rule(kind, rank, check)``; ``check(prose) -> [Problem]`` takes the
  essay's ``Prose`` (its units of plain text with their lines) and returns problems. A
  rule with no check is found while the Markdown is read (alt, link). ``rank`` says what
  to fix first: 0 before 1 …
- ``run(prose) -> [Problem]``: every rule's problems, sorted by line and rank.
- ``pemat(prose, problems) -> dict``: the PEMAT-P items (AHRQ's numbering and wording),
  each ``{id, text, verdict, lines}`` with verdict yes, no, n/a or reviewer, and the two
  scores as percentages over the items judged yes or no.

Word lists load lazily and only for the essay's language: the passive rule's list
(English), wordfreq's "small" list (the words at Zipf 3 and over, read straight from the
data file wordfreq ships, without importing wordfreq and the libraries it imports).
"""

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from .readability import Problem, jargon_pattern

LONG_SENTENCE = 25  # words; over this a sentence is a problem
LONG_LIST = 7  # items; over this a list is a problem
LONG_PARAGRAPH = 5  # sentences; over this a paragraph is a problem
PASSIVE_SHARE = 0.2  # PEMAT 5 agrees when the voice is active 80 % of the time
VERY_SHORT = 2  # prose units: PEMAT's "very short material" (N/A for items 8, 9, 11)
MIN_ZIPF = 3.0  # wordfreq's small lists hold the words at this Zipf frequency and over
MIN_WORD = 4  # letters: shorter words are not judged uncommon
# Other languages inflect more than English: a verb form ("Pliez", "Caminhe") is rare in
# the corpora though its verb is not. Only long words are judged there.
MIN_WORD_INFLECTED = 8
# Scripts whose words are split by spaces and need no more than lower-casing to be looked
# up: in Han, Japanese, Thai … a "word" between spaces is a whole phrase, in Arabic and
# Hebrew prefixes are written on.
FREQUENCY_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


@dataclass
class Prose:
    """The essay as the rules read it: its language, units, headings and sentences."""

    language: str
    units: list  # plain prose units (kind, line, text), in file order
    headings: list  # heading units (kind "h1" … "h6", line, text)
    blocks: list  # the Markdown units as written (emphasis kept), in file order
    lines: list  # the source file's lines, so lines[n - 1] is line n
    jargon: dict
    sentences: list = field(default_factory=list)  # (unit, Sentence) pairs
    images: int = 0
    summary: str = ""  # the front matter's summary (shown under the title on the cover)

    @property
    def root(self):
        """The language's first subtag, lower case."""
        return self.language.split("-")[0].lower()

    @functools.cached_property
    def common(self):
        """The common words of the essay's language (wordfreq), or None: not judged."""
        from .readability import _main_script

        text = " ".join(u.text for u in self.units)
        if _main_script(text) not in FREQUENCY_SCRIPTS:
            return None
        return _common_words(self.root)

    @functools.cached_property
    def words(self):
        """How many words the prose has."""
        return sum(sentence.words for _, sentence in self.sentences)

    @functools.cached_property
    def actions(self):
        """Sentences that tell the reader what to do (English): (line, text, direct)."""
        return [
            (s.line, s.text, direct)
            for unit, s in self.sentences
            if unit.kind not in ("cell", "caption") and (direct := _action(s.text)) is not None
        ]

    @functools.cached_property
    def numbered(self):
        """Lines of items in numbered lists."""
        return [u.line for u in self.blocks if u.kind == "item" and _numbered(self, u.line)]


class Rule(NamedTuple):
    """One check: the kind of problem it finds, its rank, and the function."""

    kind: str
    rank: int
    check: Callable | None


def _line_at(unit, position):
    return unit.line + unit.text.count("\n", 0, position)


def _clip(text, width=60):
    return f'"{text}"' if len(text) <= width else f'"{text[: width - 1].rstrip()}…"'


WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")

# --- sentences, paragraphs, lists ------------------------------------------------------


def _is_caps(text):
    letters = [c for c in text if c.isalpha()]
    words = [w for w in WORD.findall(text) if len(w) > 1]
    return len(words) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def caps(prose):
    """Paragraphs in capitals."""
    return [
        Problem(u.line, "caps", "paragraph in capitals: capitals are hard to read")
        for u in prose.units
        if u.kind in ("paragraph", "item", "quote", "footnote") and _is_caps(u.text)
    ]


def sentence(prose):
    """Sentences over LONG_SENTENCE words."""
    return [
        Problem(
            s.line,
            "sentence",
            f"sentence of {s.words} words (aim for under 20), split it: {_clip(s.text)}",
        )
        for _, s in prose.sentences
        if s.words > LONG_SENTENCE
    ]


def paragraph(prose):
    """Paragraphs of more than LONG_PARAGRAPH sentences (PEMAT 8, chunking)."""
    count = {}
    for unit, _ in prose.sentences:
        if unit.kind in ("paragraph", "quote"):
            count[id(unit)] = (unit, count.get(id(unit), (unit, 0))[1] + 1)
    return [
        Problem(
            unit.line,
            "paragraph",
            f"paragraph of {n} sentences: break it into chunks of {LONG_PARAGRAPH} or fewer",
        )
        for unit, n in count.values()
        if n > LONG_PARAGRAPH
    ]


ORDERED = re.compile(r"^(?:\s*>)*\s*\d{1,9}[.)](?:\s|$)")
BULLET = re.compile(r"^(?:\s*>)*(\s*)(?:[-*+]|\d{1,9}[.)])(?:\s|$)")


def _numbered(prose, line):
    return 0 < line <= len(prose.lines) and bool(ORDERED.match(prose.lines[line - 1]))


def _lists(prose):
    """The essay's lists: runs of items with nothing else between, as [item units]."""
    runs, run = [], []
    for block in sorted(prose.blocks + prose.headings, key=lambda b: b.line):
        if block.kind == "item" and run and _starts_another(prose, run[-1], block):
            runs.append(run)
            run = [block]
        elif block.kind == "item":
            run.append(block)
        elif run:
            runs.append(run)
            run = []
    return runs + ([run] if run else [])


def _starts_another(prose, before, item):
    """An item at the outer level whose marker differs from the last one's (1. after -)."""
    marker = BULLET.match(prose.lines[item.line - 1])
    last = BULLET.match(prose.lines[before.line - 1])
    return bool(
        marker
        and last
        and not marker.group(1)
        and _numbered(prose, item.line) != _numbered(prose, before.line)
    )


def long_list(prose):
    """Lists of more than LONG_LIST items at their outer level (PEMAT 8)."""
    problems = []
    for run in _lists(prose):
        depth = [
            len(m.group(1)) if (m := BULLET.match(prose.lines[u.line - 1])) else 0 for u in run
        ]
        top = sum(1 for d in depth if d == min(depth))
        if top > LONG_LIST:
            problems.append(
                Problem(
                    run[0].line,
                    "list",
                    f"list of {top} items: split it into groups of {LONG_LIST} or fewer, "
                    "each under a short heading",
                )
            )
    return problems


# --- headings -------------------------------------------------------------------------

VAGUE_HEADINGS = {
    "introduction",
    "intro",
    "overview",
    "other",
    "others",
    "other information",
    "background",
    "general",
    "general information",
    "information",
    "miscellaneous",
    "misc",
    "details",
    "more",
    "notes",
    "conclusion",
    "discussion",
    "part 1",
    "part 2",
    "section 1",
}


def heading(prose):
    """Skipped heading levels, and headings that do not say what their section tells."""
    problems, previous = [], 1
    for h in prose.headings:
        level = int(h.kind[1])
        if level > previous + 1:
            problems.append(
                Problem(
                    h.line,
                    "heading",
                    f"heading level {level} follows level {previous}: "
                    f"use {'#' * (previous + 1)} (level {previous + 1})",
                )
            )
        previous = level
        if _vague(h.text):
            problems.append(
                Problem(
                    h.line,
                    "heading",
                    f'heading "{h.text.strip()}" does not say what the section tells: '
                    'say it, e.g. "What causes back spasm"',
                )
            )
    return problems


def _vague(text):
    return " ".join(re.sub(r"[^\w\s]", " ", text).lower().split()) in VAGUE_HEADINGS


# --- words: jargon, terms, uncommon words ---------------------------------------------

# Words that say what the word before or after them means, per language.
GLOSS_AFTER = {
    "en": r"\s*(?:\(|[,:—–-]+\s*(?:which|that|this|or|i\.e\.?|meaning)\b|"
    r"(?:is|are)\s+(?:when|where|a|an|the)\b|means\b|refers\s+to\b|stands\s+for\b|:)",
    "es": r"\s*(?:\(|[,:—–-]+\s*(?:que|es\s+decir|o\s+sea|o)\b|significa\b|"
    r"es\s+(?:cuando|un|una|el|la)\b|:)",
    "fr": r"\s*(?:\(|[,:—–-]+\s*(?:qui|c'est-à-dire|c’est-à-dire|ou)\b|signifie\b|veut\s+dire\b|:)",
    "de": r"\s*(?:\(|[,:—–-]+\s*(?:das\s+heißt|d\.\s?h\.|also|oder)\b|bedeutet\b|heißt\b|:)",
}
GLOSS_BEFORE = {
    "en": r"(?:\(|\bcalled|\bknown\s+as|\btermed|\bnamed|\bthe\s+word)\s*[\"“‘']?$",
    "es": r"(?:\(|\bllamad[oa]s?|\bconocid[oa]s?\s+como|\bdenominad[oa]s?)\s*[\"“«]?$",
    "fr": r"(?:\(|\bappelée?s?|\bnommée?s?|\bdite?s?)\s*[\"“«]?$",
    "de": r"(?:\(|\bgenannt|\bsogenannte[nmrs]?|\bheißt)\s*[\"„«]?$",
}


def _glossed(prose, unit, start, end):
    """Whether the words at text[start:end] are explained where they stand.

    A parenthesis may follow the next word too: "psychogenic pain (pain caused by …)".
    """
    after = GLOSS_AFTER.get(prose.root, r"\s*\(")
    after = rf"(?:\s*[^\W\d_]+\s*\(|{after})"
    before = GLOSS_BEFORE.get(prose.root, r"\($")
    text = unit.text
    return bool(
        re.match(after, text[end : end + 40], re.IGNORECASE)
        or re.search(before, text[max(0, start - 40) : start], re.IGNORECASE)
    )


def jargon_matches(prose, units):
    """Each use of a jargon-list term in the units: (unit, match, term)."""
    pattern = jargon_pattern(prose.jargon)
    if pattern is None:
        return []
    return [
        (unit, m, " ".join(m.group(1).lower().split()))
        for unit in units
        for m in pattern.finditer(unit.text)
    ]


def jargon(prose):
    """Every use of a word on the jargon list, with its plain alternative."""
    return _dedupe(
        Problem(_line_at(u, m.start()), "jargon", f'"{m.group(0)}": say "{prose.jargon[term]}"')
        for u, m, term in jargon_matches(prose, prose.units + prose.headings)
    )


ACRONYM = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]{1,5})(?:s|'s|’s)?(?![\w-])")
PLAIN_ACRONYMS = frozenset(
    "OK TV UK US USA EU AM PM ID PIN DIY FAQ II III IV VI VII VIII IX XI XII".split()
)


def term(prose):
    """Acronyms and jargon terms not explained at their first use (PEMAT 4)."""
    problems, seen = [], set()
    for unit, m, name in jargon_matches(prose, prose.units):
        if name in seen:
            continue
        seen.add(name)
        if not _glossed(prose, unit, m.start(), m.end()):
            problems.append(
                Problem(
                    _line_at(unit, m.start()),
                    "term",
                    f'"{m.group(0)}" is used without saying what it means: '
                    f'explain it where it first comes ("{prose.jargon[name]}")',
                )
            )
    for unit in prose.units:
        if _is_caps(unit.text):
            continue
        for m in ACRONYM.finditer(unit.text):
            word = m.group(1)
            if word.lower() in seen or word in PLAIN_ACRONYMS or sum(map(str.isalpha, word)) < 2:
                continue
            if len(word) > 2 and word.lower() in _everyday_words(prose.root):
                continue  # a word in capitals for emphasis ("Do NOT drive"), not an acronym
            seen.add(word.lower())  # a listed acronym was judged above, with its plain words
            if not _glossed(prose, unit, m.start(), m.end()):
                problems.append(
                    Problem(
                        _line_at(unit, m.start()),
                        "term",
                        f'"{word}" is not spelled out at its first use: '
                        f'write it out, e.g. "{word} (what the letters stand for)"',
                    )
                )
    return problems


def _common_words(root):
    """The words of wordfreq's small list for a language (Zipf 3 and over), or None."""
    return _load_common(root)


def _everyday_words(root):
    """Words of Zipf EVERYDAY and over (not, must, food), or an empty set: never acronyms."""
    return _load_frequencies(root)[1]


def _load_common(root):
    return _load_frequencies(root)[0]


EVERYDAY = 4.5  # Zipf: a word this frequent in capitals is said loudly, not an acronym


@functools.cache
def _load_frequencies(root):
    import gzip
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("wordfreq")
    for folder in (spec and spec.submodule_search_locations) or ():
        path = Path(folder) / "data" / f"small_{root}.msgpack.gz"
        if not path.is_file():
            return None, frozenset()
        import msgpack

        data = msgpack.loads(gzip.decompress(path.read_bytes()), raw=False)
        if not (data and isinstance(data[0], dict) and data[0].get("format") == "cB"):
            raise RuntimeError(f"{path}: not the word-frequency format this check reads")
        # Bucket n holds the words of frequency 10^(-n/100): Zipf 9 - n/100.
        everyday = int((9 - EVERYDAY) * 100)
        common = frozenset(word for bucket in data[1:] for word in bucket)
        return common, frozenset(word for bucket in data[1 : everyday + 1] for word in bucket)
    return None, frozenset()


def _known(word, common):
    if word in common:
        return True
    # Plurals and tenses of a common word are common too: "spasms", "stretched".
    for ending, stem in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if word.endswith(ending) and word[: -len(ending)] + stem in common:
            return True
    return False


def uncommon(prose):
    """Words rare in everyday language (wordfreq, Zipf under 3) the essay does not explain."""
    common = prose.common
    if common is None:
        return []
    shortest = MIN_WORD if prose.root == "en" else MIN_WORD_INFLECTED
    listed = {term for _, _, term in jargon_matches(prose, prose.units)}
    problems, seen = [], set()
    for unit in prose.units:
        for m in WORD.finditer(unit.text):
            raw = m.group(0)
            word = raw.lower().replace("’", "'")
            stem = re.sub(r"(?:'s|s)$", "", word)
            if len(word) < shortest or stem in seen or word in listed:
                continue
            seen.add(stem)
            if (
                raw[0].isupper()
                and m.start() > 0
                and unit.text[m.start() - 2 : m.start()].strip() not in ".!?"
            ):
                continue  # a capital inside a sentence: a name
            if _known(word, common) or _known(word.split("'")[0], common):
                continue
            if word.rstrip("s") in prose.jargon or _glossed(prose, unit, m.start(), m.end()):
                continue
            problems.append(
                Problem(
                    _line_at(unit, m.start()),
                    "uncommon",
                    f'"{raw}" is rare in everyday language: use a common word, or explain it',
                )
            )
    return problems


# --- voice and numbers ----------------------------------------------------------------


def passive(prose):
    """Sentences in the passive voice (English; PEMAT 5)."""
    if prose.root != "en":
        return []
    from .passive import passive_spans

    problems = []
    for _, s in prose.sentences:
        spans = passive_spans(s.text)
        if spans:
            problems.append(
                Problem(
                    s.line,
                    "passive",
                    f'passive "{spans[0].text}": say who does what, {_clip(s.text, 50)}',
                )
            )
    return problems


PERCENT = re.compile(
    r"(?<![\w.,])\d+(?:[.,]\d+)?\s?%|(?<![\w.,])\d+(?:[.,]\d+)?\s+(?:percent|per\s?cent|"
    r"por\s+ciento|pour\s+cent|prozent)\b",
    re.IGNORECASE,
)
DECIMAL = re.compile(
    r"(?<![\w.,:/])\d+\.\d+(?![\d.,:/])(?!\s?(?:am|pm|a\.m|p\.m|mg|ml|mcg|µg|g|kg|l|cm|mm|m|km)\b)",
    re.IGNORECASE,
)
FRACTION = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,3})(?![\w/])|[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞]")
# Languages that write a decimal comma and group thousands with a dot (or a space).
DECIMAL_COMMA = frozenset("de fr es it pt nl pl ru cs sk da nb no sv fi tr el ro hu".split())
COMMA_DECIMAL = re.compile(
    r"(?<![\w.,:/])\d+,\d+(?![\d.,:/])(?!\s?(?:mg|ml|mcg|µg|g|kg|l|cm|mm|m|km)\b)", re.I
)
TIMES = re.compile(
    r"\b(?:\d+(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|twice|half)\s*"
    r"(?:times|x)\s+(?:more|less|higher|lower|greater|fewer|as)\b",
    re.IGNORECASE,
)
ONE_IN = re.compile(r"\b(\d+)\s+(?:in|out\s+of)\s+(\d[\d,]*)\b", re.IGNORECASE)


def numbers(prose):
    """Numbers that are hard to read: percentages, decimals, fractions, "x times more",
    mixed denominators (PEMAT 6–7, CCI 15–17, 20)."""
    problems = []
    decimal = COMMA_DECIMAL if prose.root in DECIMAL_COMMA else DECIMAL
    for unit in prose.units:
        text = unit.text
        percents = [m.span() for m in PERCENT.finditer(text)]
        for m in PERCENT.finditer(text):
            figure = re.match(r"[\d.,]+", m.group(0)).group(0)
            problems.append(
                Problem(
                    _line_at(unit, m.start()),
                    "numbers",
                    f'percentage "{m.group(0)}": say it in people, '
                    f'e.g. "{figure} out of 100 people"',
                )
            )
        for m in decimal.finditer(text):
            if any(start <= m.start() < end for start, end in percents):
                continue  # said once, as a percentage
            problems.append(
                Problem(
                    _line_at(unit, m.start()),
                    "numbers",
                    f'decimal "{m.group(0)}": use a whole number if you can',
                )
            )
        for m in FRACTION.finditer(text):
            if m.group(1) and int(m.group(1)) >= int(m.group(2)):
                continue  # not below one: a reading (140/90), a rota (24/7), a date
            said = f'"{m.group(1)} out of {m.group(2)}"' if m.group(1) else "a whole number"
            problems.append(
                Problem(
                    _line_at(unit, m.start()),
                    "numbers",
                    f'fraction "{m.group(0)}": say {said}',
                )
            )
        for m in TIMES.finditer(text):
            problems.append(
                Problem(
                    _line_at(unit, m.start()),
                    "numbers",
                    f'"{m.group(0)}" compares without the numbers: give both, '
                    'e.g. "6 in 100 people instead of 2 in 100"',
                )
            )
        denominators = {}
        for m in ONE_IN.finditer(text):
            denominators.setdefault(m.group(2).replace(",", ""), m)
        if len(denominators) > 1:
            first = min(denominators.values(), key=lambda m: m.start())
            shown = " and ".join(f'"{m.group(0)}"' for m in denominators.values())
            problems.append(
                Problem(
                    _line_at(unit, first.start()),
                    "numbers",
                    f"mixed denominators {shown}: use the same, e.g. out of 100 each time",
                )
            )
    return problems


# --- actions and structure (the essay as a whole) -------------------------------------

# Verbs of things a patient does; an imperative or "you" + one of them is an action.
ACTION_VERBS = frozenset(
    """
    apply ask avoid bathe bend book breathe bring brush call change check choose clean
    come contact continue count cover cut dial do drink drive eat email exercise fill find
    follow get give go hold ice keep kneel let lie lift limit list look lower make mark
    measure move note park phone plan press put raise read record reduce remember remove
    repeat rest ring roll rub see seek set share show shower sit sleep slow speak stand
    start stay step stop store stretch swallow swim take talk tell text throw tighten try
    turn use visit wait walk warm wash wear weigh write wrap place pull push lean pack
    prepare practise practice protect rinse soak squeeze support sip spread cool dry open
    close fold massage mix attend arrange collect join learn pick post return send switch
    tick wake watch relax sit-up
    """.split()
)
MODAL = (
    r"(?:can|should|must|could|may|might|will|need\s+to|have\s+to|ought\s+to|"
    r"are\s+able\s+to|want\s+to)\s+"
)
YOU_ACTION = re.compile(
    rf"\byou\s+(?:{MODAL})?(?:also\s+|then\s+|always\s+|still\s+|now\s+|first\s+)?(\w+)",
    re.IGNORECASE,
)
NEGATED = re.compile(r"\byou\s+(?:can\s*not|cannot|can't|can’t|could\s+not|couldn't)\b", re.I)
LEAD_INS = re.compile(
    r"^(?:please|always|never|also|then|now|first|next|finally|gently|slowly|do\s+not|"
    r"don't|don’t|try\s+to|remember\s+to|make\s+sure\s+(?:you\s+)?|be\s+sure\s+to)\s+",
    re.IGNORECASE,
)
NOUN_AFTER = frozenset("is are was were can will has may helps".split())
THIRD_PERSON = re.compile(
    r"\b(?:patients|people|the\s+patient|a\s+patient|sufferers)\s+" + MODAL, re.IGNORECASE
)


def _action(text):
    """True: tells the reader what to do; False: tells "patients"; None: no action."""
    for clause in re.split(r"[,;:]\s+|\s+then\s+", text):
        clause = clause.strip(" \"'“”‘’()-–—*")
        while (lead := LEAD_INS.match(clause)) is not None:
            clause = clause[lead.end() :]
        words = clause.split()
        if words and words[0].lower() in ACTION_VERBS:
            if len(words) < 2 or words[1].lower() not in NOUN_AFTER:
                return True
    if not NEGATED.search(text):
        for m in YOU_ACTION.finditer(text):
            if m.group(1).lower() in ACTION_VERBS:
                return True
    if THIRD_PERSON.search(text):
        return False
    return None


HELP_ACT = re.compile(
    r"\b(?:call|phone|ring|dial|contact|see|visit|tell|text|email|go\s+to|get\s+(?:medical\s+)?"
    r"(?:help|advice|attention)|seek\s+(?:urgent\s+|medical\s+)*(?:help|advice|attention|care)|"
    r"come\s+back|make\s+an\s+appointment)\b",
    re.IGNORECASE,
)
HELP_WHEN = re.compile(
    r"\b(?:if|when|whenever|within|after|before|every|unless|straight\s+away|right\s+away|"
    r"immediately|at\s+once|as\s+soon\s+as|urgently|in\s+an\s+emergency|"
    r"\d+\s+(?:hours?|days?|weeks?|months?))\b",
    re.IGNORECASE,
)


def _help_lines(prose):
    return [
        s.line for _, s in prose.sentences if HELP_ACT.search(s.text) and HELP_WHEN.search(s.text)
    ]


def _body_line(prose):
    first = [u.line for u in prose.units[:1]] + [h.line for h in prose.headings[:1]]
    return min(first) if first else 1


def action(prose):
    """The essay tells the reader what to do (PEMAT 20–21)."""
    if prose.root != "en" or prose.actions:
        return []
    return [
        Problem(
            _body_line(prose),
            "action",
            'no sentence tells the reader what to do: say it, e.g. "Keep moving gently" '
            'or "You can take paracetamol"',
        )
    ]


def steps(prose):
    """Several actions are in numbered steps (PEMAT 22)."""
    if prose.root != "en" or len(prose.actions) < 3 or len(prose.numbered) >= 2:
        return []
    return [
        Problem(
            prose.actions[0][0],
            "steps",
            f"{len(prose.actions)} sentences tell the reader what to do, none in numbered "
            "steps: put them in order as a numbered list (1. 2. 3.)",
        )
    ]


def get_help(prose):
    """A line says when to get help: call/see/contact + a condition or a time."""
    if prose.root != "en" or _help_lines(prose):
        return []
    return [
        Problem(
            _body_line(prose),
            "help",
            "no line says when to get help: add one, e.g. "
            '"Call us if the pain is not better within a week"',
        )
    ]


EMPHASIS = re.compile(
    r"\*\*[^*\n]+\*\*|__[^_\n]+__|(?<![*\w])\*[^*\s][^*\n]*\*|<(?:strong|b|mark)>"
)
SUMMARY = re.compile(
    r"^(?:summary|in\s+summary|in\s+short|key\s+(?:points|messages|facts)|main\s+points|"
    r"at\s+a\s+glance|what\s+to\s+remember|remember|the\s+main\s+message|points\s+to\s+remember|"
    r"to\s+sum\s+up|in\s+brief|resumen|en\s+resumen|puntos\s+clave|résumé|en\s+bref|"
    r"points\s+clés|zusammenfassung|das\s+wichtigste)\b",
    re.IGNORECASE,
)


def _first_section(prose):
    """The blocks before the first heading after the title."""
    headings = [h.line for h in prose.headings]
    title = headings[0] if headings and prose.headings[0].kind == "h1" else 0
    after = [line for line in headings if line > title]
    end = after[0] if after else float("inf")
    return [b for b in prose.blocks if b.line < end]


def _main_first(prose):
    section = _first_section(prose)
    return any(EMPHASIS.search(b.text) or b.kind == "quote" for b in section)


def main_message(prose):
    """The main message comes first, emphasised."""
    if _main_first(prose):
        return []
    return [
        Problem(
            _body_line(prose),
            "main",
            "the first section does not put a main message first: start with what the "
            "reader must know or do, in **bold**",
        )
    ]


def _summaries(prose):
    return [h.line for h in prose.headings if SUMMARY.match(h.text.strip())] + [
        u.line for u in prose.units if u.kind in ("paragraph", "quote") and SUMMARY.match(u.text)
    ]


def summary(prose):
    """A summary or key points (PEMAT 11)."""
    if len(prose.units) <= VERY_SHORT or prose.summary or _summaries(prose):
        return []
    return [
        Problem(
            prose.units[-1].line,
            "summary",
            'no summary or key points: add a short "Key points" section at the start or end',
        )
    ]


RULES = (
    Rule("action", 0, action),
    Rule("help", 0, get_help),
    Rule("alt", 1, None),  # found while reading the Markdown
    Rule("link", 1, None),
    Rule("heading", 1, heading),
    Rule("caps", 1, caps),
    Rule("main", 1, main_message),
    Rule("summary", 1, summary),
    Rule("steps", 1, steps),
    Rule("numbers", 2, numbers),
    Rule("term", 2, term),
    Rule("sentence", 3, sentence),
    Rule("paragraph", 3, paragraph),
    Rule("list", 3, long_list),
    Rule("passive", 4, passive),
    Rule("jargon", 5, jargon),
    Rule("uncommon", 5, uncommon),
)
RANK = {rule.kind: rule.rank for rule in RULES}
KINDS = tuple(rule.kind for rule in RULES)


def _dedupe(problems):
    seen, kept = set(), []
    for problem in problems:
        if (problem.line, problem.message) not in seen:
            seen.add((problem.line, problem.message))
            kept.append(problem)
    return kept


def run(prose, found=()):
    """Every rule's problems, with those `found` while reading, by line then rank."""
    problems = list(found)
    for rule in RULES:
        if rule.check is not None:
            problems.extend(rule.check(prose))
    return sorted(problems, key=lambda p: (p.line, KINDS.index(p.kind)))


# --- PEMAT-P --------------------------------------------------------------------------

# AHRQ's PEMAT for printable materials (Shoemaker, Wolf, Brach 2013, updated 2014): its
# item numbers and wording; 13 and 14 are for audiovisual material only, so not here.
PEMAT_ITEMS = (
    (1, "The material makes its purpose completely evident."),
    (2, "The material does not include information or content that distracts from its purpose."),
    (3, "The material uses common, everyday language."),
    (
        4,
        "Medical terms are used only to familiarize audience with the terms. "
        "When used, medical terms are defined.",
    ),
    (5, "The material uses the active voice."),
    (6, "Numbers appearing in the material are clear and easy to understand."),
    (7, "The material does not expect the user to perform calculations."),
    (8, 'The material breaks or "chunks" information into short sections.'),
    (9, "The material's sections have informative headers."),
    (10, "The material presents information in a logical sequence."),
    (11, "The material provides a summary."),
    (
        12,
        "The material uses visual cues (e.g., arrows, boxes, bullets, bold, larger font, "
        "highlighting) to draw attention to key points.",
    ),
    (
        15,
        "The material uses visual aids whenever they could make content more easily "
        "understood (e.g., illustration of healthy portion size).",
    ),
    (16, "The material's visual aids reinforce rather than distract from the content."),
    (17, "The material's visual aids have clear titles or captions."),
    (18, "The material uses illustrations and photographs that are clear and uncluttered."),
    (19, "The material uses simple tables with short and clear row and column headings."),
    (20, "The material clearly identifies at least one action the user can take."),
    (21, "The material addresses the user directly when describing actions."),
    (22, "The material breaks down any action into manageable, explicit steps."),
    (
        23,
        "The material provides a tangible tool (e.g., menu planners, checklists) whenever "
        "it could help the user take action.",
    ),
    (24, "The material provides simple instructions or examples of how to perform calculations."),
    (
        25,
        "The material explains how to use the charts, graphs, tables, or diagrams to take actions.",
    ),
    (
        26,
        "The material uses visual aids whenever they could make it easier to act on the "
        "instructions.",
    ),
)
# A few words for each item, for the one line of the text report that lists them.
PEMAT_SHORT = {
    1: "purpose evident",
    2: "nothing distracting",
    3: "everyday language",
    4: "terms defined",
    5: "active voice",
    6: "clear numbers",
    7: "no calculations",
    8: "short sections",
    9: "informative headers",
    10: "logical sequence",
    11: "a summary",
    12: "visual cues",
    15: "visual aids where they help",
    16: "visual aids reinforce",
    17: "visual aids captioned",
    18: "clear illustrations",
    19: "simple tables",
    20: "an action",
    21: "addresses the reader",
    22: "steps",
    23: "a tangible tool",
    24: "help with calculations",
    25: "how to use charts and tables",
    26: "visual aids for actions",
}
ACTIONABILITY = range(20, 27)
REVIEWER = "reviewer"


def _lines_of(problems, *kinds):
    return sorted({p.line for p in problems if p.kind in kinds})


def _verdicts(prose, problems):
    """Each item's (verdict, lines): judged from the problems and the essay's shape."""
    english = prose.root == "en"
    short = len(prose.units) <= VERY_SHORT
    tables = [u for u in prose.blocks if u.kind == "cell"]
    has_numbers = any(re.search(r"\d", u.text) for u in prose.units)
    v = {}
    v[1] = v[2] = v[10] = v[15] = v[23] = v[26] = (REVIEWER, [])
    words = _lines_of(problems, "uncommon", "jargon")
    if prose.common is None and not prose.jargon:
        v[3] = (REVIEWER, [])
    else:
        v[3] = ("no" if words else "yes", words)
    terms = _lines_of(problems, "term")
    v[4] = ("no" if terms else "yes", terms)
    if english and prose.sentences:
        passives = _lines_of(problems, "passive")
        share = sum(p.kind == "passive" for p in problems) / len(prose.sentences)
        v[5] = ("no" if share > PASSIVE_SHARE else "yes", passives)
    else:
        v[5] = (REVIEWER, [])
    hard = _lines_of(problems, "numbers")
    v[6] = ("no", hard) if hard else (("yes", []) if has_numbers else ("n/a", []))
    v[7] = (REVIEWER, []) if has_numbers else ("yes", [])
    chunks = _lines_of(problems, "paragraph", "list")
    untitled = len(prose.headings) <= 1 and len(prose.units) > 6
    v[8] = (
        ("n/a", [])
        if short
        else (("no", chunks or [_body_line(prose)]) if chunks or untitled else ("yes", []))
    )
    vague = [h.line for h in prose.headings if _vague(h.text)]
    if short:
        v[9] = ("n/a", [])
    elif untitled or vague:
        v[9] = ("no", vague or [_body_line(prose)])
    else:
        v[9] = ("yes", [h.line for h in prose.headings])
    found = _summaries(prose)
    v[11] = (
        ("n/a", [])
        if short
        else (("yes", found) if found else ("no", _lines_of(problems, "summary")))
    )
    cues = [
        b.line
        for b in prose.blocks
        if b.kind == "item" or b.kind == "quote" or EMPHASIS.search(b.text)
    ]
    v[12] = ("yes", cues[:10]) if cues else ("no", [])
    for item in (16, 17, 18):
        v[item] = (REVIEWER, []) if prose.images else ("n/a", [])
    if tables:
        wordy = [u.line for u in _header_cells(tables) if len(u.text.split()) > 4]
        v[19] = ("no", wordy) if wordy else ("yes", [])
    else:
        v[19] = ("n/a", [])
    if english:
        acts = sorted({line for line, _, _ in prose.actions})
        direct = sorted({line for line, _, d in prose.actions if d})
        v[20] = ("yes", acts[:10]) if acts else ("no", [_body_line(prose)])
        v[21] = (
            ("yes", direct[:10]) if direct and len(direct) * 2 >= len(acts) else ("no", acts[:10])
        )
        if not acts:
            v[22] = ("no", [])
        elif len(acts) == 1 or len(prose.numbered) >= 2:
            v[22] = ("yes", prose.numbered[:10])
        else:
            v[22] = ("no", acts[:10])
    else:
        v[20] = v[21] = v[22] = (REVIEWER, [])
    v[24] = (REVIEWER, []) if has_numbers else ("n/a", [])
    v[25] = (REVIEWER, []) if tables or prose.images else ("n/a", [])
    return v


def _header_cells(cells):
    """The first row of each table."""
    rows, previous = [], None
    for cell in cells:
        if previous is None or cell.line > previous + 2:
            header = cell.line
        if cell.line == header:
            rows.append(cell)
        previous = cell.line
    return rows


def _score(items):
    judged = [item for item in items if item["verdict"] in ("yes", "no")]
    if not judged:
        return None
    return round(100 * sum(item["verdict"] == "yes" for item in judged) / len(judged))


def pemat(prose, problems):
    """PEMAT-P: both scores (None when no item could be judged) and every item."""
    verdicts = _verdicts(prose, problems)
    items = [
        {"id": number, "text": text, "verdict": verdicts[number][0], "lines": verdicts[number][1]}
        for number, text in PEMAT_ITEMS
    ]
    understand = [item for item in items if item["id"] not in ACTIONABILITY]
    act = [item for item in items if item["id"] in ACTIONABILITY]
    return {
        "understandability": _score(understand),
        "actionability": _score(act),
        "judged": sum(item["verdict"] in ("yes", "no") for item in items),
        "items": items,
        "reviewer": [item["id"] for item in items if item["verdict"] == REVIEWER],
    }
