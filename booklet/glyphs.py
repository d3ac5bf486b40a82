"""Which characters the shipped fonts can draw, and where the essay has others."""

import functools
import unicodedata
from pathlib import Path

# Characters no font draws: spaces, controls, joiners and marks of direction.
INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}
MAX_NAMED = 10  # characters named one by one; the rest are counted


def font_files(templates):
    """The shipped fonts the booklet's text is set in (not the form-field placeholder)."""
    folder = Path(templates) / "fonts"
    return sorted(p for p in folder.glob("*.[ot]tf") if "Placeholder" not in p.name)


def uncovered(chars, templates):
    """The characters of `chars` that no shipped font has a glyph for.

    Fonts are read one by one, the booklet's own face first, and only until every
    character is found: a Latin essay reads one font's character map, not all of them.
    """
    left = set(chars)
    for path in font_files(templates):
        if not left:
            break
        left -= _cmap(path, path.stat().st_mtime_ns)
    return left


@functools.lru_cache(maxsize=32)
def _cmap(path, stamp):
    """The code points one font has glyphs for (kept while the file is unchanged)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(chr(point) for point in font.getBestCmap() or {})


def missing_glyphs(text, path, templates, first_line=1):
    """Warnings ("path:line: …") for characters none of the shipped fonts has."""
    missing = {
        char
        for char in uncovered(set(text), templates)
        if unicodedata.category(char) not in INVISIBLE and not _variation(char)
    }
    first_seen = {}
    for number, line in enumerate(text.split("\n") if missing else (), start=first_line):
        for char in line:
            if char in missing and char not in first_seen:
                first_seen[char] = number
    warnings = []
    for char, number in list(first_seen.items())[:MAX_NAMED]:
        name = unicodedata.name(char, "unnamed character").lower()
        kind = "emoji" if _emoji(char) else "character"
        warnings.append(
            f"{path}:{number}: {kind} U+{ord(char):04X} {char} ({name}) is in no font the "
            "booklet ships (templates/fonts): another font would draw it, or nothing"
        )
    if len(first_seen) > MAX_NAMED:
        warnings.append(
            f"{path}: {len(first_seen) - MAX_NAMED} more characters are in no shipped font"
        )
    return warnings


def _variation(char):
    return 0xFE00 <= ord(char) <= 0xFE0F or 0xE0100 <= ord(char) <= 0xE01EF


def _emoji(char):
    return ord(char) >= 0x1F000 or 0x2600 <= ord(char) <= 0x27BF
