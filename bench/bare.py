"""The physical limit of this stack: Markdown -> minimal HTML -> WeasyPrint PDF, nothing else."""

import sys

import markdown
import weasyprint

text = open(sys.argv[1], encoding="utf-8").read()
if text.startswith("---\n"):
    text = text.split("\n---\n", 1)[1]
html = markdown.markdown(text)
weasyprint.HTML(string=f"<!DOCTYPE html><html><body>{html}</body></html>").write_pdf(sys.argv[2])
