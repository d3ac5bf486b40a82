"""A language's hyphenation patterns parsed once, then read back from the user's cache.

WeasyPrint hyphenates with Pyphen, which parses a language's `hyph_*.dic` (~14,000
patterns for English) on first use in a process: ~90 ms of every build. The parsed
patterns are plain strings and integers, kept with `marshal` (which runs no code when
read back, unlike pickle) beside the fonts' character maps; ~10 ms to read.
"""

import marshal
import sys

HEADER = "booklet hyphenation 1 marshal {marshal} python {python} pyphen {pyphen}\n"


def keep_patterns():
    """Make Pyphen's dictionary cache read and keep parsed patterns (once a process)."""
    import pyphen

    if not isinstance(pyphen.hdcache, _Kept):
        pyphen.hdcache = _Kept(pyphen.hdcache)


class _Kept(dict):
    """pyphen.hdcache ({path: HyphDict}), which looks in the user's cache before parsing.

    Pyphen asks `path in hdcache`, then parses and stores `hdcache[path] = HyphDict(path)`.
    """

    def __contains__(self, path):
        if dict.__contains__(self, path):
            return True
        patterns = _read(path)
        if patterns is None:
            return False
        dict.__setitem__(self, path, _dictionary(patterns))
        return True

    def __setitem__(self, path, dictionary):
        dict.__setitem__(self, path, dictionary)
        _keep(path, dictionary.patterns)


def _header():
    import pyphen

    return HEADER.format(
        marshal=marshal.version, python=sys.version_info[:2], pyphen=pyphen.__version__
    ).encode()


def _read(path):
    from . import cache

    body = cache.read(path, "hyph", _header())
    if body is None:
        return None
    try:
        patterns = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return None  # damaged: parse the source again
    if not isinstance(patterns, dict) or not patterns:
        return None
    return patterns


def _keep(path, patterns):
    from . import cache

    try:
        # exact ints only: a language with alternative hyphens (pyphen's DataInt) is
        # refused by marshal and parsed again each time, as without this cache
        body = marshal.dumps(patterns)
    except ValueError:
        return
    cache.keep(path, "hyph", _header(), body)


def _dictionary(patterns):
    """A pyphen.HyphDict made from parsed patterns, as HyphDict(path) would make it."""
    import pyphen

    dictionary = object.__new__(pyphen.HyphDict)
    dictionary.patterns = patterns
    dictionary.cache = {}
    dictionary.maxlen = max(len(key) for key in patterns)
    return dictionary
