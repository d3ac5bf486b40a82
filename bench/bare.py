"""The physical limit of this stack: Markdown -> minimal HTML -> WeasyPrint PDF, nothing else.

A5 pages and 12 pt type, as the booklet's reading copy (issue 21's baseline); `--a4` gives
WeasyPrint's defaults (A4, 16 px), the baseline of earlier releases. With
BOOKLET_TIMINGS=path set (by `make bench`), its stages are timed as the build's are.
"""

import os
import sys
from contextlib import nullcontext

if os.environ.get("BOOKLET_TIMINGS"):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from booklet import timings

    stage = timings.stage
else:
    timings, stage = None, lambda name: nullcontext()

with stage("imports: WeasyPrint, Markdown, Jinja"):
    import markdown
    import weasyprint

    if timings:
        timings.install(finisher=False)
with stage("reading: front matter, Markdown, sanitiser"):
    text = open(sys.argv[1], encoding="utf-8").read()
    if text.startswith("---\n"):
        text = text.split("\n---\n", 1)[1]
    html = markdown.markdown(text)
style = "" if "--a4" in sys.argv else "<style>@page { size: A5 } body { font-size: 12pt }</style>"
page = f"<!DOCTYPE html><html><head>{style}</head><body>{html}</body></html>"
weasyprint.HTML(string=page).write_pdf(sys.argv[2])
