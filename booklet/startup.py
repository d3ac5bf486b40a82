"""Import WeasyPrint without its slowest start-up step."""

import sys
from contextlib import contextmanager


@contextmanager
def _ldconfig_only():
    """Look libraries up in the ldconfig cache alone while WeasyPrint loads them.

    WeasyPrint tries several names per library (Windows and macOS ones too), and
    ctypes.util.find_library answers each miss by running gcc and ld: ~17 misses at
    ~20 ms is a third of a second of every build. The ldconfig cache answers the same
    question for the names that exist, in ~2 ms.
    """
    import ctypes.util

    lookup = getattr(ctypes.util, "_findSoname_ldconfig", None)
    if lookup is None or not sys.platform.startswith("linux"):
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = lookup
    try:
        yield
    finally:
        ctypes.util.find_library = original


def import_weasyprint():
    """Import weasyprint quickly; fall back to the ordinary lookup if that fails."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    try:
        with _ldconfig_only():
            import weasyprint
    except OSError:  # a library only gcc or ld can find: forget the half import, retry
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint
    return weasyprint


def import_markdown():
    """Import Python-Markdown and its fenced-code extension without Pygments.

    fenced_code imports codehilite, which imports Pygments when it is installed (~15 ms)
    only to highlight code when the codehilite extension is on; the booklet never turns
    it on. Pygments stays importable for everything else afterwards.
    """
    if "markdown.extensions.fenced_code" in sys.modules:
        return sys.modules["markdown"]
    blocked = "pygments" not in sys.modules
    if blocked:
        sys.modules["pygments"] = None  # an import of it raises ImportError meanwhile
    try:
        import markdown
        import markdown.extensions.fenced_code  # noqa: F401
    finally:
        if blocked and sys.modules.get("pygments", False) is None:
            del sys.modules["pygments"]
    return markdown
