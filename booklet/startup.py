"""Import WeasyPrint without its slowest start-up steps."""

import os
import re
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


@contextmanager
def _fonttools_on_first_use():
    """Import fontTools' subsetter and variable-font instancer when WeasyPrint first uses them.

    WeasyPrint imports both at start (with the font tables they pull in, ~0.1 s) for two
    cases a booklet rarely meets: subsetting without libharfbuzz-subset, and a variable
    font. While it is imported, `fontTools.subset` is a module loaded on its first
    attribute (importlib's LazyLoader) and `instantiateVariableFont` a function that
    imports the real one when called; afterwards both names are the real modules'.
    """
    import importlib.util
    import types

    names = ("fontTools.subset", "fontTools.varLib.instancer")
    if any(name in sys.modules for name in names):
        yield
        return
    try:
        spec = importlib.util.find_spec(names[0])
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.loader is None:
        yield
        return
    import fontTools

    spec.loader = importlib.util.LazyLoader(spec.loader)
    subset = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(subset)
    # `from fontTools import subset` then finds it without touching it (a look at any
    # attribute, `__spec__` too, would load it there and then)
    fontTools.subset = subset

    def instantiateVariableFont(*args, **kwargs):  # noqa: N802 (fontTools' name)
        from fontTools.varLib.instancer import instantiateVariableFont as real

        return real(*args, **kwargs)

    instancer = types.ModuleType(names[1])
    instancer.instantiateVariableFont = instantiateVariableFont
    sys.modules[names[0]], sys.modules[names[1]] = subset, instancer
    try:
        yield
    finally:
        if sys.modules.get(names[1]) is instancer:
            del sys.modules[names[1]]  # the next import of it is the real one


C_PARSE_FORMAT = "booklet cdef 1 cffi {cffi} pycparser {pycparser} python {python}\n"


@contextmanager
def _kept_c_declarations():
    """Read WeasyPrint's C declarations (Pango, HarfBuzz, fontconfig) parsed, from the cache.

    WeasyPrint declares ~450 lines of C to cffi at import, which cffi parses with
    pycparser every start: ~50 ms. The parse (pycparser's syntax tree) is kept with
    pickle in the user's own cache folder (booklet/cache.py: a folder only this user can
    write), named by WeasyPrint's ffi.py and checked against the declarations' hash;
    ~7 ms to read. cffi turns the tree into its types as always.
    """
    import importlib.util

    try:
        import cffi
        import pycparser
        from cffi import cparser

        # found without importing weasyprint (a submodule's spec would import it)
        package = importlib.util.find_spec("weasyprint").submodule_search_locations[0]
        source = os.path.join(package, "text", "ffi.py")
    except (ImportError, AttributeError, ValueError, TypeError, IndexError):
        yield
        return
    header = C_PARSE_FORMAT.format(
        cffi=cffi.__version__, pycparser=pycparser.__version__, python=sys.version_info[:2]
    ).encode()
    original = cparser.Parser._parse

    def kept_parse(parser, csource):
        if parser._declarations or len(csource) < 4096:  # the first, big cdef only
            return original(parser, csource)
        return _kept_parse(source, header, csource, lambda: original(parser, csource))

    cparser.Parser._parse = kept_parse
    try:
        yield
    finally:
        cparser.Parser._parse = original


def _kept_parse(source, header, csource, parse):
    """cffi's parse of csource, kept: (syntax tree, macros, preprocessed source)."""
    import hashlib
    import pickle

    from . import cache

    digest = hashlib.sha256(csource.encode()).digest()
    kept = cache.read(source, "cdef", header)
    if kept is not None and kept[:32] == digest:
        try:
            return pickle.loads(kept[32:])  # noqa: S301 (this user's own folder, see cache.py)
        except Exception:  # damaged, or from another version: parse again
            pass
    parsed = parse()
    try:
        cache.keep(source, "cdef", header, digest + pickle.dumps(parsed, protocol=5))
    except (pickle.PicklingError, TypeError, RecursionError):
        pass
    return parsed


def import_weasyprint():
    """Import weasyprint quickly; fall back to the ordinary lookup if that fails."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    try:
        with _ldconfig_only(), _fonttools_on_first_use(), _kept_c_declarations():
            import weasyprint
    except OSError:  # a library only gcc or ld can find: forget the half import, retry
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint
    _quick_c_types()
    return weasyprint


# A C type as WeasyPrint names it to cffi: a name (a typedef or a primitive type) and
# pointer stars, or one array bound: "PangoRectangle *", "FcChar8 **", "hb_codepoint_t[55]".
SIMPLE_C_TYPE = re.compile(r"([A-Za-z_]\w*(?: [A-Za-z_]\w*)*) ?(\**|\[(\d*)\])")


def _quick_c_types():
    """Let cffi read WeasyPrint's simple C type names without running its C parser.

    For each new type name (`ffi.new("hb_codepoint_t[55]")`, a new length per font
    subset) cffi parses a C file that redeclares every typedef WeasyPrint has: ~6 ms
    each, ~80 ms a build. Simple names are made from cffi's own declarations, the same
    types (tests/test_speed.py); anything else (const, struct, functions) still goes
    to the parser. Without the cffi internals this relies on, nothing changes.
    """
    try:
        from cffi import model
        from cffi.cparser import resolve_common_type
        from weasyprint.text.ffi import ffi

        parser = ffi._parser
        declarations = parser._declarations
        parse = parser.parse_type_and_quals
        pointer = parser._get_type_pointer
        primitive = model.PrimitiveType.ALL_PRIMITIVE_TYPES
    except (ImportError, AttributeError):
        return
    if getattr(parse, "quick", False):
        return

    def quick(cdecl):
        simple = SIMPLE_C_TYPE.fullmatch(cdecl.strip())
        if not simple:
            return parse(cdecl)
        name, stars, length = simple.groups()
        if "typedef " + name in declarations:
            tp, quals = declarations["typedef " + name]
        elif name in primitive:
            tp, quals = resolve_common_type(parser, name)
        else:
            return parse(cdecl)
        if stars.startswith("["):
            return model.ArrayType(tp, int(length) if length else None), quals
        for _ in stars:
            tp, quals = pointer(tp, quals), 0
        return tp, quals

    quick.quick = True
    parser.parse_type_and_quals = quick


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
