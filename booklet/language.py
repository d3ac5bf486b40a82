"""The booklet's own words in the essay's language: catalogue, dates and writing direction.

Catalogues are gettext `.po` files under `templates/locale/`, one per language
(`es.po`, `pt_BR.po`), read as text: nothing is compiled ahead of time (a build keeps
its compiled copy in the user's cache folder, booklet/cache.py).
"""

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import cache

DEFAULT = "en"
CATALOGUES = "locale"  # the folder under templates/
# Babel's "world English" writes 1 November 2027; en-US still gets November 1, 2027.
DATE_LOCALES = {"en": "en_001"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Language:
    """The language the booklet speaks: its tag, catalogue, direction and translations."""

    tag: str  # as the essay gives it, e.g. "pt-BR"
    catalogue: str  # the catalogue used, e.g. "pt_BR", "pt" or "en"
    direction: str = "ltr"  # or "rtl"
    translations: object = field(default=None, compare=False, repr=False)

    def direction_of(self, text):
        """The direction of the first letter of `text` that has one (HTML's dir=auto).

        Text the clinic supplies may be in another script than the booklet: an English
        address in a Hebrew booklet keeps its own order. With no such letter, the booklet's.
        """
        import unicodedata

        for char in str(text):
            kind = unicodedata.bidirectional(char)
            if kind in ("R", "AL"):
                return "rtl"
            if kind == "L":
                return "ltr"
        return self.direction

    def date(self, value):
        """A date in this language's long form; text that is not a date stays as it is."""
        if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
            value = dt.date.fromisoformat(value.strip())
        if not isinstance(value, dt.date):
            return value
        from babel import UnknownLocaleError
        from babel.dates import format_date

        for name in [*locale_names(self.tag), DEFAULT]:  # pt_BR, pt, … then English
            try:
                return format_date(value, format="long", locale=DATE_LOCALES.get(name, name))
            except (ValueError, LookupError, UnknownLocaleError):  # no Babel data for it
                continue
        return value.isoformat()


def locale_names(tag):
    """Catalogue names to try for a BCP 47 tag, most specific first: pt-BR → pt_BR, pt."""
    parts = [part for part in re.split(r"[-_]", tag.strip()) if part]
    if not parts:
        return [DEFAULT]
    parts = [parts[0].lower()] + [
        part.upper() if len(part) == 2 else part.title() if len(part) == 4 else part
        for part in parts[1:]
    ]
    return ["_".join(parts[:n]) for n in range(len(parts), 0, -1)]


DIRECTION_FORMAT = b"booklet direction 1\n"  # then "rtl" or "ltr"


def direction(tag):
    """ "rtl" for scripts written right to left (Arabic, Hebrew, Persian, Urdu …), else "ltr".

    CLDR's answer through Babel, kept per locale in the user's cache folder (loading a
    locale's data costs ~30 ms and some MB, every build).
    """
    for name in locale_names(tag):
        data = _locale_data(name)
        if data is None:
            continue
        kept = cache.read(data, "dir", DIRECTION_FORMAT)
        if kept in (b"rtl", b"ltr"):
            return kept.decode()
        order = _character_order(name)
        if order is None:
            continue
        answer = "rtl" if order == "right-to-left" else "ltr"
        cache.keep(data, "dir", DIRECTION_FORMAT, answer.encode())
        return answer
    return "ltr"


def _locale_data(name):
    """Babel's data file for a locale name (found without importing Babel), or None."""
    import importlib.util

    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        return None
    spec = importlib.util.find_spec("babel")
    folders = spec.submodule_search_locations if spec else None
    path = Path(folders[0]) / "locale-data" / f"{name}.dat" if folders else None
    return path if path and path.is_file() else None


def _character_order(name):
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(name).character_order
    except (ValueError, UnknownLocaleError):
        return None


def choose_language(tag, templates):
    """The Language for an essay's tag, and a warning when no catalogue speaks it (or None)."""
    folder = Path(templates) / CATALOGUES
    for name in locale_names(tag):
        path = folder / f"{name}.po"
        if path.is_file():
            return Language(tag, name, direction(tag), _translations(path, _stamp(path))), None
    warning = (
        f"no catalogue for the essay's language '{tag}' in {folder}: the booklet's own "
        f"words are in English (copy {DEFAULT}.po to {locale_names(tag)[-1]}.po and translate it)"
    )
    english = folder / f"{DEFAULT}.po"
    translations = _translations(english, _stamp(english)) if english.is_file() else None
    return Language(tag, DEFAULT, direction(tag), translations), warning


def catalogue_files(templates):
    """Every shipped catalogue, by name."""
    return {path.stem: path for path in sorted((Path(templates) / CATALOGUES).glob("*.po"))}


def read_catalogue(path):
    """A .po file as a Babel Catalog."""
    from babel.messages.pofile import read_po

    with open(path, "rb") as file:
        return read_po(file, locale=Path(path).stem)


def _stamp(path):
    info = path.stat()
    return info.st_mtime_ns, info.st_size


MO_FORMAT = b"booklet catalogue 1\n"  # then the catalogue compiled, as a .mo file


@functools.lru_cache(maxsize=32)
def _translations(path, stamp):
    """gettext translations from the .po text: compiled in memory (Babel) when it changes,
    kept compiled in the user's cache folder, read back by the standard library."""
    import gettext
    import struct
    from io import BytesIO

    compiled = cache.read(path, "mo", MO_FORMAT)
    if compiled is not None:
        try:
            return gettext.GNUTranslations(BytesIO(compiled))
        except (OSError, struct.error, UnicodeDecodeError, ValueError):
            pass  # damaged: compile again
    from babel.messages.mofile import write_mo

    buffer = BytesIO()
    write_mo(buffer, read_catalogue(path))
    cache.keep(path, "mo", MO_FORMAT, buffer.getvalue())
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def template_messages(templates):
    """Every message the templates and the shipped logs print: {msgid: [(file, line)]}."""
    from jinja2.ext import babel_extract

    templates = Path(templates)
    messages = {}
    for path in sorted(templates.glob("*.html")):
        with open(path, "rb") as file:
            found = babel_extract(file, ("_", "gettext", "ngettext"), [], {})
            for line, _, message, _ in found:
                for text in message if isinstance(message, tuple) else (message,):
                    if text:
                        messages.setdefault(text, []).append((path.name, line))
    from .logbook import read_log

    for path in sorted((templates / "logs").glob("*.toml")):
        for text in read_log(path).texts():
            messages.setdefault(text, []).append((f"logs/{path.name}", None))
    return messages


def update_catalogues(templates):
    """Write locale/booklet.pot from the templates and bring every .po up to date with it."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import write_po

    from . import __version__

    template = Catalog(
        project="booklet",
        version=__version__,
        copyright_holder="the booklet's authors",
        msgid_bugs_address="",
        fuzzy=False,
    )
    for text, places in template_messages(templates).items():
        template.add(text, locations=[(name, line or 0) for name, line in places])
    folder = Path(templates) / CATALOGUES
    with open(folder / "booklet.pot", "wb") as file:
        write_po(file, template, width=88, omit_header=False)
    for path in catalogue_files(templates).values():
        catalogue = read_catalogue(path)
        catalogue.update(template, no_fuzzy_matching=True)
        with open(path, "wb") as file:
            write_po(file, catalogue, width=88, ignore_obsolete=True)


# --- guessing the language of an essay that does not say ---------------------------

# Scripts one language writes (here): no model is needed to tell them.
SCRIPT_LANGUAGES = {
    "HEBREW": "he",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "zh",
    "GREEK": "el",
    "THAI": "th",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "TAMIL": "ta",
    "ETHIOPIC": "am",
    "KHMER": "km",
    "LAO": "lo",
    "SINHALA": "si",
    "MYANMAR": "my",
    "GUJARATI": "gu",
    "GURMUKHI": "pa",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "TELUGU": "te",
    "ORIYA": "or",
}
# py3langid's labels that a booklet knows by another tag.
DETECTED_ALIASES = {"ary": "ar", "arz": "ar", "hbo": "he", "wuu": "zh", "uzs": "uz"}
SAMPLE = 3000  # characters of prose are plenty to tell a language, and keep it quick
FEWEST_LETTERS = 60  # below this, a guess is a coin toss
HINT = 0.5  # … and the least it needs to be named when a short text is set as English
SURE = 0.9  # py3langid's normalised probability a guess needs
MOSTLY = 0.6  # the share of letters the main script needs for the text to be one language
NOT_PROSE = re.compile(
    r"^\s{0,3}(`{3,}|~{3,}).*?^\s{0,3}\1[ \t]*$"  # fenced code
    r"|`[^`\n]*`"  # inline code
    r"|<[^>\n]*>"  # tags and autolinks
    r"|\]\([^)\n]*\)"  # link targets
    r"|https?://\S+|www\.\S+|\S+@\S+"  # bare addresses
    r"|\{\{.*?\}\}|\{%.*?%\}",  # template fields and shortcodes
    re.S | re.M,
)


@dataclass(frozen=True)
class Guess:
    """The language an essay's text reads as: its tag, and how sure the guess is."""

    tag: str
    reason: str  # "script", "detected", "short", "mixed"
    read_as: str = ""  # another language the text may be in, when it is set as English


def prose_sample(body):
    """The prose of the Markdown, without code, addresses and markup, cut to SAMPLE."""
    return NOT_PROSE.sub(" ", body)[: SAMPLE * 2]


def script_of(char):
    """The Unicode script a letter belongs to, as its name starts: "LATIN", "ARABIC", "CJK"."""
    import unicodedata

    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def guess_language(body):
    """Guess the language of Markdown prose offline: a Guess (English when it cannot tell)."""
    from collections import Counter

    sample = prose_sample(body)
    scripts = Counter(script_of(char) for char in sample if char.isalpha())
    letters = sum(scripts.values())
    if not letters:
        return Guess(DEFAULT, "short")
    # Japanese mixes kana with Chinese characters: any kana means Japanese.
    if scripts["HIRAGANA"] + scripts["KATAKANA"] >= 0.1 * letters:
        return Guess("ja", "script")
    script, count = scripts.most_common(1)[0]
    if count < MOSTLY * letters:
        return Guess(DEFAULT, "mixed", _detect(sample)[0])
    if script in SCRIPT_LANGUAGES:
        return Guess(SCRIPT_LANGUAGES[script], "script")
    if script == "ARABIC" and count < FEWEST_LETTERS:
        return Guess("ar", "script")  # too short to tell Arabic from Persian or Urdu
    # The detector weighs bytes: three-byte letters of another script would outvote these.
    tag, probability = _detect(
        "".join(c for c in sample if not c.isalpha() or script_of(c) == script)
    )
    if count < FEWEST_LETTERS:
        # A line or two: English, the default, unless it clearly reads as another language.
        return Guess(DEFAULT, "short", tag if tag != DEFAULT and probability >= HINT else "")
    if tag and (probability >= SURE or tag == DEFAULT):  # unsure of English: the default
        return Guess(tag, "detected")
    if script == "ARABIC":  # right to left whatever the detector's doubt
        return Guess(tag if direction(tag or "ar") == "rtl" else "ar", "script")
    return Guess(DEFAULT, "mixed", tag)


def _detect(sample):
    """py3langid's (tag, probability) for a sample, mapped to the tags a booklet uses."""
    tag, probability = _identifier().classify(sample[:SAMPLE])
    tag = DETECTED_ALIASES.get(tag, tag)
    return ("" if tag == "zxx" else tag), probability


@functools.lru_cache(maxsize=1)
def _identifier():
    """py3langid's model, loaded once (about a second): only essays without `lang:` need it."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_name(tag):
    """The English name of a language tag ("Arabic"), or the tag itself."""
    from babel import Locale, UnknownLocaleError

    for name in locale_names(tag):
        try:
            return Locale.parse(name).get_display_name("en") or tag
        except (ValueError, UnknownLocaleError):
            continue
    return tag


def guessed_warning(guess):
    """What the build says about a language it had to guess."""
    missing = "no 'lang:' in the front matter"
    if guess.reason == "short":
        return (
            f"{missing} and too little text to tell the language (it reads most like "
            f"{language_name(guess.read_as)}, {guess.read_as}): set as English (en); "
            f"add 'lang: {guess.read_as}' if it is {language_name(guess.read_as)}"
        )
    if guess.reason == "mixed":
        most = (
            f" (most like {language_name(guess.read_as)}, {guess.read_as})" if guess.read_as else ""
        )
        return (
            f"{missing} and the text mixes languages{most}: set as English (en); "
            "add 'lang: …' with the language's tag to say which"
        )
    way = "right to left" if direction(guess.tag) == "rtl" else "left to right"
    return (
        f"{missing}: the text reads as {language_name(guess.tag)} ({guess.tag}), set {way}; "
        f"add 'lang: {guess.tag}' to say so"
    )
