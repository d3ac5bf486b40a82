"""Find passive voice in English prose by rules over a word list: no model, no network.

API:

- ``passive_spans(text, words=None) -> list[Span]``: each passive in ``text`` as
  ``Span(start, end, text)``, character offsets into ``text``, from the form of BE or GET
  to the participle ("is often caused", "will be asked", "get hurt").
- ``is_passive(text, words=None) -> bool``: whether ``text`` has one.
- ``load_words(path=None) -> Words``: the word lists, ``templates/passive/en.txt`` unless
  ``path`` names another file in the same format; read once and kept.

The rule (the labelled set's rule, tests/passive/README.md): a form of BE (is, are, was,
were, be, been, being, am, 's, 're, 'm, isn't ...) or GET (get, gets, got, gotten,
getting), then at most four adverbs or "not", then a past participle: a word ending in
-ed that is not on the ``[not-participles]`` list, or an irregular participle from the
``[participles]`` list. Not passive:

- a participle on the ``[adjectives]`` list (feelings and states: tired, worried,
  located, married ...), or one straight after "very" or "too" (the test for an
  adjective), or an un- word whose verb does not exist (unaffected, untreated);
- after GET, a fixed phrase from ``[get-idioms]`` (get dressed, get rid of, get used to);
- "used to" and "supposed to" as "accustomed to" and "expected to": "is used to
  treat" is passive, "are used to taking" and "is supposed to" are not;
- 's after a noun (a possessive, or "has"), and 's + participle + an object ("she's
  given you") — only 's after a pronoun or "there", "here", "that", "what" counts;
- a hyphenated word ("well-known", "short-lived"), taken as an adjective;
- a participle with no BE or GET before it ("the medicine prescribed by your doctor",
  "if left untreated"), and "have/get something done" ("get your wound checked").

"Are safe and recommended" counts: a participle joined by "and"/"or" to the word after
BE. A participle before a noun counts too ("you will be given tablets"), because
leaflets are full of such two-object passives.
"""

import functools
import re
from pathlib import Path
from typing import NamedTuple

WORDS_FILE = Path(__file__).resolve().parent.parent / "templates" / "passive" / "en.txt"

BE = frozenset("is are was were be been being am 's 're 'm".split())
GET = frozenset("get gets got gotten getting".split())
# Degree words that make what follows an adjective: "very tired", "too crowded".
DEGREE = frozenset({"very", "too"})
# 's counts as "is" only after these: after a noun it is as often "has" or a possessive.
S_HOSTS = frozenset("it he she that there here what who where which this".split())
# After "'s + participle", an object word means "has": "she's given you a leaflet".
OBJECTS = frozenset("a an the your my his her their our you me him them us some any".split())
MAX_ADVERBS = 4
# A question puts the subject between BE and the participle: "Is [your wound] healed?"
WH = frozenset("how why when where what which who whom whose".split())
MAX_SUBJECT = 4

_WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")
_CLITIC = re.compile(r"(?i)^(.+?)(n['’]t|['’](?:s|re|m|ve|ll|d))$")


class Span(NamedTuple):
    """One passive: character offsets into the text, and the words."""

    start: int
    end: int
    text: str


class Words(NamedTuple):
    """The word lists of one language."""

    participles: frozenset
    not_participles: frozenset
    adjectives: frozenset
    get_idioms: frozenset
    adverbs: frozenset


@functools.cache
def load_words(path=None):
    """Read the word lists (sections `[name]`, one word a line, `#` comments)."""
    sections = {}
    current = None
    for raw in Path(path or WORDS_FILE).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().lower()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], set())
        elif current is not None:
            current.add(line)
    get = lambda name: frozenset(sections.get(name, ()))  # noqa: E731
    return Words(
        get("participles"),
        get("not-participles"),
        get("adjectives"),
        get("get-idioms"),
        get("adverbs"),
    )


def _tokens(text):
    """Words as (lower-case form, start, end), clitics split off: "it's" -> it, 's."""
    out = []
    for match in _WORD.finditer(text):
        word, start = match.group(), match.start()
        clitic = _CLITIC.match(word)
        if clitic and "-" not in word:
            host, tail = clitic.groups()
            tail = tail.replace("’", "'").lower()
            cut = start + len(host)
            if tail == "n't":
                # "isn't" is BE + not; "don't", "can't" keep a host that is no BE.
                out.append((host.lower(), start, cut))
                out.append(("not", cut, match.end()))
            else:
                out.append((host.lower(), start, cut))
                out.append((tail, cut, match.end()))
            continue
        out.append((word.lower().replace("’", "'"), start, match.end()))
    return out


def _participle(word, words):
    """Whether a word is a past participle by form (not yet whether it is an adjective)."""
    if "-" in word or "'" in word:
        return False
    if word in words.participles:
        return True
    return len(word) > 3 and word.endswith("ed") and word not in words.not_participles


def _adjective(word, words):
    """Whether a participle is an adjective whatever comes before it."""
    if word in words.adjectives:
        return True
    # un- + participle with no un- verb: unaffected, untreated, unexpected.
    return (
        word.startswith("un")
        and not word.startswith("under")
        and len(word) > 6
        and _participle(word[2:], words)
    )


def _passive_at(tokens, i, words):
    """The index of the participle of a passive whose BE/GET is tokens[i], or None."""
    aux = tokens[i][0]
    if aux == "'s" and (i == 0 or tokens[i - 1][0] not in S_HOSTS):
        return None
    j = i + 1
    skipped = 0
    while j < len(tokens) and skipped < MAX_ADVERBS:
        word = tokens[j][0]
        # "very" may stand before an adverb ("very commonly enacted"); straight before
        # the participle it makes an adjective, checked below.
        if word in words.adverbs or word in DEGREE or (word.endswith("ly") and word != "likely"):
            j += 1
            skipped += 1
        else:
            break
    if j >= len(tokens):
        return None
    word = tokens[j][0]
    before = tokens[j - 1][0]
    if not _participle(word, words):
        # "are safe and recommended": a participle joined to the word after BE.
        if aux in BE and j + 2 < len(tokens) and tokens[j + 1][0] in {"and", "or"}:
            k = j + 2
            if _participle(tokens[k][0], words) and not _adjective(tokens[k][0], words):
                return k
        return None
    following = tokens[j + 1][0] if j + 1 < len(tokens) else ""
    # "by" after the participle makes it a verb again: "is determined by the cause".
    if before in DEGREE or (_adjective(word, words) and following != "by"):
        return None
    if aux in GET and word in words.get_idioms:
        return None
    if word == "supposed" and following == "to":
        return None
    if word == "used" and following == "to" and j + 2 < len(tokens):
        after = tokens[j + 2][0]
        if after.endswith("ing") or after in OBJECTS or after in {"it", "this", "that"}:
            return None
    if aux == "'s" and following in OBJECTS:
        return None
    return j


def _question_at(text, tokens, i, words):
    """The participle of a question's passive, "How is the bowel prepared?", or None."""
    if tokens[i][0] not in BE or tokens[i][0] in {"be", "been", "being"}:
        return None
    opening = i == 0 or tokens[i - 1][0] in WH and (i == 1 or _boundary(text, tokens, i - 1))
    if not (opening or _boundary(text, tokens, i)):
        return None
    ends = re.search(r"[.?!]", text[tokens[i][2] :])
    if not ends or ends.group() != "?":
        return None
    limit = tokens[i][2] + ends.start()
    for k in range(i + 2, min(i + 2 + MAX_SUBJECT, len(tokens))):
        word = tokens[k][0]
        if tokens[k][1] > limit:
            break
        if _participle(word, words):
            if _adjective(word, words) or tokens[k - 1][0] in DEGREE:
                return None
            return k
    return None


def _boundary(text, tokens, i):
    """Whether tokens[i] starts a sentence: nothing but space after [.?!:] before it."""
    before = text[: tokens[i][1]].rstrip()
    return not before or before[-1] in ".?!:"


def passive_spans(text, words=None):
    """Each passive in the text: Span(start, end, text), from BE/GET to the participle."""
    words = words or load_words()
    tokens = _tokens(text)
    spans = []
    i = 0
    while i < len(tokens):
        if tokens[i][0] in BE or tokens[i][0] in GET:
            end = _passive_at(tokens, i, words)
            if end is None:
                end = _question_at(text, tokens, i, words)
            if end is not None:
                start, stop = tokens[i][1], tokens[end][2]
                spans.append(Span(start, stop, text[start:stop]))
                i = end + 1
                continue
        i += 1
    return spans


def is_passive(text, words=None):
    """Whether the text has a passive."""
    return bool(passive_spans(text, words))
