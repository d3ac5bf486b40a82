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


def coverage(templates):
    """Every code point some shipped font has a glyph for."""
    files = font_files(templates)
    return _coverage(tuple((path, path.stat().st_mtime_ns) for path in files))


@functools.lru_cache(maxsize=4)
def _coverage(stamped):
    from fontTools.ttLib import TTFont

    points = set()
    for path, _ in stamped:
        with TTFont(path, lazy=True) as font:
            points.update(font.getBestCmap() or {})
    return frozenset(points)


def missing_glyphs(text, path, templates, first_line=1):
    """Warnings ("path:line: …") for characters none of the shipped fonts has."""
    covered = coverage(templates)
    first_seen = {}
    for number, line in enumerate(text.split("\n"), start=first_line):
        for char in line:
            if ord(char) in covered or char in first_seen:
                continue
            if unicodedata.category(char) in INVISIBLE or _variation(char):
                continue
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
