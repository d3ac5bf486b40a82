"""Which shipped faces a booklet's text needs, and which of its text no face can draw."""

import functools
import html
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# Characters no font draws: spaces, controls, joiners and marks of direction.
INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}
# Controls a text file may hold harmlessly: layout drops them (form feed: a page break).
HARMLESS_CONTROLS = set("\t\n\r\f\v")
# Scripts of punctuation, digits, symbols and combining marks: drawn by any face.
SHARED = {"Zyyy", "Zinh", "Zzzz"}
SECTION = re.compile(r"/\*\s*faces:\s*([^*]*?)\s*\*/")
URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
CODE = re.compile(r"<(?:code|pre|kbd|samp)[\s>]")
NAMED = 3  # characters shown in a message; the rest are counted


@dataclass(frozen=True)
class Section:
    """One section of templates/fonts.css: the scripts it is for, its rules, its files."""

    scripts: frozenset  # ISO 15924 codes, or "always" / "code"
    css: str  # its @font-face rules, URLs made absolute
    files: tuple  # the font files it names


@dataclass(frozen=True)
class Missing:
    """Characters of one script that no shipped face draws, and the line they start on."""

    script: str  # a script's name ("Sinhala"), or "" for symbols and emoji
    chars: tuple
    line: int


def sections(templates):
    """The sections of templates/fonts.css, in order.

    A templates folder without fonts.css gets one "always" section of the fonts in its
    fonts/ folder (its own CSS registers them), or none when it ships no fonts: then the
    designer chose the computer's fonts, and nothing is checked.
    """
    path = Path(templates) / "fonts.css"
    if not path.is_file():
        folder = Path(templates) / "fonts"
        files = tuple(sorted(p for p in folder.glob("*.[ot]tf") if "Placeholder" not in p.name))
        return (Section(frozenset({"always"}), "", files),) if files else ()
    return _sections(path.resolve(), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _sections(path, stamp):
    text = path.read_text(encoding="utf-8")
    marks = list(SECTION.finditer(text))
    found = []
    for mark, after in zip(marks, [*marks[1:], None], strict=True):
        body = text[mark.end() : after.start() if after else len(text)]
        files = tuple(
            (path.parent / url[2]).resolve()
            for url in URL.finditer(body)
            if not re.match(r"\w+:", url[2])
        )
        # A <style> in the document resolves URLs against the essay: make them absolute.
        css = URL.sub(lambda url: _absolute(url[2], path.parent), body)
        found.append(Section(frozenset(mark[1].split()), css, files))
    return tuple(found)


def _absolute(url, folder):
    if re.match(r"\w+:", url):
        return f'url("{url}")'
    return f'url("{(folder / url).resolve().as_uri()}")'


def covered(section):
    """The characters a section's fonts draw."""
    stamps = tuple(p.stat().st_mtime_ns if p.is_file() else None for p in section.files)
    return _covered(section, stamps)


@functools.lru_cache(maxsize=64)
def _covered(section, stamps):
    chars = frozenset()
    for path, stamp in zip(section.files, stamps, strict=True):
        if stamp is not None:
            chars |= _cmap(path, stamp)
    return chars


@functools.lru_cache(maxsize=64)
def _cmap(path, stamp):
    """The code points one font has glyphs for (kept while the file is unchanged).

    Read from the font once, then from a small file of ranges in the user's own cache
    folder: a CJK face's character map takes ~50 ms to read with fontTools, every build.
    """
    saved = _saved_cmap(path)
    if saved is not None:
        return saved
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        # Numbers for names: the character map needs a glyph order, and reading the
        # names of a CJK face's 60,000 glyphs would cost a quarter of a second.
        font.setGlyphOrder([f"g{i}" for i in range(font["maxp"].numGlyphs)])
        points = sorted(font.getBestCmap() or {})
    _save_cmap(path, points)
    return frozenset(map(chr, points))


CMAP_FORMAT = b"booklet cmap 2\n"  # then the code points, 4 bytes each, little-endian


def _saved_cmap(path):
    """The saved character map of a font, or None when there is none (or it is damaged)."""
    import array

    from . import cache

    body = cache.read(path, "cmap", CMAP_FORMAT)
    if body is None or len(body) % 4:
        return None
    points = array.array("I")
    points.frombytes(body)
    if points.itemsize != 4 or (points and max(points) > 0x10FFFF):
        return None
    return frozenset(map(chr, points))


def _save_cmap(path, points):
    """Keep a font's character map beside the others; silently not, if it cannot."""
    import array

    from . import cache

    try:
        body = array.array("I", points).tobytes()
    except OverflowError:
        return
    cache.keep(path, "cmap", CMAP_FORMAT, body)


def script(char):
    """A character's script as an ISO 15924 code (Latn, Hani, Zyyy for shared ones)."""
    from fontTools import unicodedata as scripts

    return scripts.script(char)


def _drawn(chars):
    return {
        char
        for char in chars
        if unicodedata.category(char) not in INVISIBLE and not _variation(char)
    }


def choose(chars, templates, code=False):
    """The sections `chars` need, in the stylesheet's order, and the characters none draws.

    A section is taken for the scripts it names when it draws some of their letters; then
    shared characters (punctuation,
    digits) no taken section draws take the first section that does, preferring one of
    the scripts the character is used with. Fonts are read only as far as needed: a
    Latin text reads one section's character maps.
    """
    from fontTools import unicodedata as scripts

    everything = sections(templates)
    left = _drawn(chars)
    by_script = {}
    for char in left:
        by_script.setdefault(script(char), set()).add(char)
    taken = []
    for section in everything:
        if "always" in section.scripts or (code and "code" in section.scripts):
            taken.append(section)
        elif mine := [by_script[s] for s in section.scripts if s in by_script]:
            # A script's faces may come in parts (everyday and rare characters).
            if any(chars & covered(section) for chars in mine):
                taken.append(section)
    for section in taken:
        if not left:
            break
        left -= covered(section)
    for char in sorted(left):
        if char not in left:
            continue
        with_scripts = set(scripts.script_extension(char))
        candidates = [s for s in everything if s not in taken]
        candidates.sort(key=lambda s: not (s.scripts & with_scripts))
        for section in candidates:
            if char in covered(section):
                taken.append(section)
                left -= covered(section)
                break
    return [s for s in everything if s in taken], left


def font_faces(text, templates):
    """The @font-face rules a document's HTML needs, as one stylesheet."""
    chosen, _ = choose(set(html.unescape(text)), templates, code=bool(CODE.search(text)))
    return "\n".join(section.css.strip() for section in chosen if section.css)


def font_files(templates):
    """Every font file the booklet ships, in the stylesheet's order."""
    return [path for section in sections(templates) for path in section.files]


def missing(text, templates, first_line=1):
    """What of `text` no shipped face draws: a Missing per script, by first line."""
    if not sections(templates):
        return []
    _, left = choose(set(text), templates, code=True)
    if not left:
        return []
    groups, lines = {}, {}
    for number, line in enumerate(text.split("\n"), start=first_line):
        for char in line:
            if char in left:
                code = script(char)
                key = "" if code in SHARED else code
                groups.setdefault(key, {}).setdefault(char, None)
                lines.setdefault(key, number)
    found = []
    for key, chars in groups.items():
        name = "" if not key else _script_name(key)
        found.append(Missing(name, tuple(chars), lines[key]))
    return sorted(found, key=lambda m: (m.line, m.script))


def _script_name(code):
    from fontTools import unicodedata as scripts

    return scripts.script_name(code, default=code).replace("_", " ")


def shown(chars):
    """The first characters, each as U+XXXX and itself, the rest counted."""
    parts = [
        f"U+{ord(c):04X}" if unicodedata.category(c) == "Cc" else f"U+{ord(c):04X} {c}"
        for c in chars[:NAMED]
    ]
    more = f" and {len(chars) - NAMED} more" if len(chars) > NAMED else ""
    return ", ".join(parts) + more


def messages(text, path, templates, first_line=1):
    """(errors, warnings) as "path:line: …" lines: one per script no face draws (an
    error), one for symbols and emoji, one for control characters (warnings)."""
    errors, warnings = [], []
    for gap in missing(text, templates, first_line):
        where = f"{path}:{gap.line}:"
        if gap.script:
            errors.append(
                f"{where} {gap.script} text ({shown(gap.chars)}) is in no font the booklet "
                "ships (templates/fonts)"
            )
        else:
            kind = "emoji" if all(_emoji(c) for c in gap.chars) else "symbols"
            warnings.append(
                f"{where} {kind} ({shown(gap.chars)}) are in no font the booklet ships "
                "(templates/fonts): a system font draws them if the computer has one, "
                "else they print as empty boxes"
            )
    if controls := _controls(text, first_line):
        line, chars = controls
        warnings.append(f"{path}:{line}: control characters ({shown(chars)}) are not printed")
    return errors, warnings


def _controls(text, first_line):
    """The first line with control characters, and every such character; None if none."""
    chars = {c for c in set(text) if unicodedata.category(c) == "Cc"} - HARMLESS_CONTROLS
    if not chars:
        return None
    for number, line in enumerate(text.split("\n"), start=first_line):
        if any(c in chars for c in line):
            return number, tuple(sorted(chars))
    return None


def _variation(char):
    return 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF


def _emoji(char):
    return ord(char) >= 0x1F000 or 0x2600 <= ord(char) <= 0x27BF
