"""Find the line a key or a reference is written on, so messages can name it."""

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit


def line_of(text, pattern, flags=re.MULTILINE):
    """The 1-based line where the regular expression first matches `text`, or None."""
    match = re.search(pattern, text, flags)
    return text.count("\n", 0, match.start()) + 1 if match else None


def toml_problem(error, text):
    """A TOMLDecodeError as (its message without the position, the line it names)."""
    said = str(error)
    where = re.search(r"\(at line (\d+)", said)
    if where:
        line = int(where[1])
    elif "end of document" in said:
        line = max(1, len(text.rstrip("\n").split("\n")))
    else:
        line = None
    return re.sub(r" \(at (line \d+, column \d+|end of document)\)", "", said), line


def spellings(url, folder):
    """The ways an author may have written `url`: as given, relative to `folder`, bare name."""
    forms = [url]
    if url.startswith("file:"):
        path = unquote(urlsplit(url).path)
        forms += [os.path.relpath(path, folder), os.path.basename(path)]
    return [form for form in dict.fromkeys(forms) if form]


def locate(url, files):
    """(file, line, spelling) of the first file that mentions `url`, else (None, None, url)."""
    for path in files:
        if path is None:
            continue
        try:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for form in spellings(url, Path(path).resolve().parent):
            line = line_of(text, re.escape(form))
            if line is None and form != unquote(form):
                line = line_of(text, re.escape(unquote(form)))
            if line is not None:
                return Path(path), line, form
    return None, None, url
