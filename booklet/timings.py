"""Where a build's time goes: per-stage wall and CPU, as JSON at exit, when BOOKLET_TIMINGS is set.

`BOOKLET_TIMINGS=path python build.py …` writes {stage: [wall s, CPU s]} to path when the
process exits (`make bench` reads it). Stages are exclusive: time spent in a stage nested
in another counts for the inner one only. Unset, `stage()` is one shared null context and
nothing of WeasyPrint is wrapped.
"""

import os
import time
from contextlib import contextmanager, nullcontext

PATH = os.environ.get("BOOKLET_TIMINGS")
_NULL = nullcontext()
_stages = {}  # {name: [wall, cpu]}
_open = []  # the stages entered and not yet left, innermost last: [name, wall, cpu, nested]


def enabled():
    return bool(PATH)


def stage(name):
    """A context that adds the time spent in it to stage `name` (a null context when off)."""
    return _timed(name) if PATH else _NULL


@contextmanager
def _timed(name):
    entry = [name, time.perf_counter(), time.process_time(), [0.0, 0.0]]
    _open.append(entry)
    try:
        yield
    finally:
        _open.pop()
        wall = time.perf_counter() - entry[1]
        cpu = time.process_time() - entry[2]
        total = _stages.setdefault(name, [0.0, 0.0])
        total[0] += wall - entry[3][0]
        total[1] += cpu - entry[3][1]
        if _open:  # the outer stage does not count this time again
            _open[-1][3][0] += wall
            _open[-1][3][1] += cpu


def add(name, wall, cpu):
    """Add time measured elsewhere (another process) to stage `name`."""
    if PATH:
        total = _stages.setdefault(name, [0.0, 0.0])
        total[0] += wall
        total[1] += cpu


def snapshot():
    """The stages so far: {name: [wall, cpu]} (empty when off)."""
    return {name: list(times) for name, times in _stages.items()}


def _wrap(owner, attribute, name):
    original = getattr(owner, attribute)

    def timed(*args, **kwargs):
        with stage(name):
            return original(*args, **kwargs)

    setattr(owner, attribute, timed)


def install(finisher=True):
    """Time WeasyPrint's own steps: HTML, CSS, @font-face, layout, PDF objects, font subsets.

    Called only when timing, after WeasyPrint is imported; `finisher`: the booklet's too.
    """
    if not PATH or getattr(install, "done", False):
        return
    install.done = True
    import weasyprint
    import weasyprint.document
    import weasyprint.pdf
    import weasyprint.text.fonts

    _wrap(weasyprint.HTML, "__init__", "HTML parse")
    _wrap(weasyprint.HTML, "render", "layout")
    _wrap(weasyprint.document.Document, "_render", "layout")
    _wrap(weasyprint.document.Document, "_build_layout_context", "CSS: stylesheets, cascade")
    _wrap(weasyprint.text.fonts.FontConfiguration, "add_font_face", "fonts: @font-face")
    _wrap(weasyprint.document.Document, "write_pdf", "write: PDF objects")
    _wrap(weasyprint.pdf, "build_fonts_dictionary", "write: font subsets")
    if finisher:
        from . import layout

        _wrap(layout, "_finish", "finisher (PDF/UA)")


def _save():
    import json

    with open(PATH, "w", encoding="utf-8") as file:
        json.dump(snapshot(), file)


if PATH:
    import atexit

    atexit.register(_save)
