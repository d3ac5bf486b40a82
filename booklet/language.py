"""The booklet's own words in the essay's language: catalogue, dates and writing direction.

Catalogues are gettext `.po` files under `templates/locale/`, one per language
(`es.po`, `pt_BR.po`), read as text: nothing is compiled ahead of time.
"""

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

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


def direction(tag):
    """ "rtl" for scripts written right to left (Arabic, Hebrew, Persian, Urdu …), else "ltr"."""
    from babel import Locale, UnknownLocaleError

    for name in locale_names(tag):
        try:
            order = Locale.parse(name).character_order
        except (ValueError, UnknownLocaleError):
            continue
        return "rtl" if order == "right-to-left" else "ltr"
    return "ltr"


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


@functools.lru_cache(maxsize=32)
def _translations(path, stamp):
    """gettext translations straight from the .po text (compiled in memory, kept per stamp)."""
    from io import BytesIO

    from babel.messages.mofile import write_mo
    from babel.support import Translations

    buffer = BytesIO()
    write_mo(buffer, read_catalogue(path))
    buffer.seek(0)
    return Translations(fp=buffer)


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
