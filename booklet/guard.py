"""Refuse Markdown shapes that make Python-Markdown take minutes, before converting."""

import re
import signal
from contextlib import contextmanager

from .errors import SourceError

# Python-Markdown scans ahead from every unmatched '[' for its closing bracket and
# link target, so time grows with the square of the brackets in one paragraph:
# 2,000 took 1 s, 60,000 took 10 minutes. Real prose has a handful.
MAX_BRACKETS_PER_BLOCK = 300
MAX_BRACKETS = 3_000
# Emphasis and code markers grow more gently, but without a bound still stall.
MAX_MARKERS_PER_BLOCK = 3_000
# Each level of nested list re-parses what is inside it: 200 levels took 0.3 s,
# 2,000 never finished. 20 levels of four spaces is deeper than any real list.
MAX_INDENT = 80
# A last line of defence for shapes nobody has found yet.
TIME_LIMIT_SECONDS = 15


def check_markdown(body, path, first_line=1):
    """Raise SourceError naming the line of the first shape known to stall Markdown."""
    from .sanitise import FENCE

    # A fenced block is taken as it is written, never parsed: only its lines count.
    # (Code spans are parsed: their backticks are what can stall Markdown.)
    body = FENCE.sub(lambda code: "\n" * code[0].count("\n"), body)
    total_brackets = 0
    line = first_line
    for block in re.split(r"(\n[ \t]*\n)", body):
        if block.startswith("\n"):
            line += block.count("\n")
            continue
        brackets = block.count("[")
        total_brackets += brackets
        if brackets > MAX_BRACKETS_PER_BLOCK:
            raise SourceError(
                f"one paragraph has {brackets:,} '[' characters; at most "
                f"{MAX_BRACKETS_PER_BLOCK} are allowed (write \\[ for a literal bracket?)",
                path,
                line,
            )
        if total_brackets > MAX_BRACKETS:
            raise SourceError(
                f"the essay has over {MAX_BRACKETS:,} '[' characters; Markdown "
                "cannot convert that many in reasonable time",
                path,
                line,
            )
        for marker in "*_`":
            count = block.count(marker)
            if count > MAX_MARKERS_PER_BLOCK:
                raise SourceError(
                    f"one paragraph has {count:,} '{marker}' characters; at most "
                    f"{MAX_MARKERS_PER_BLOCK:,} are allowed",
                    path,
                    line,
                )
        for offset, text in enumerate(block.split("\n")):
            indent = len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip(" \t"))
            if indent > MAX_INDENT:
                raise SourceError(
                    f"a line is indented {indent} columns; at most {MAX_INDENT} "
                    "are allowed (lists nested that deep cannot be converted)",
                    path,
                    line + offset,
                )
        line += block.count("\n")


@contextmanager
def time_limit(path, seconds=TIME_LIMIT_SECONDS):
    """Stop Markdown conversion that runs past a few seconds (main thread only)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise SourceError(
            f"converting the Markdown took over {seconds} s; simplify the text "
            "(very long runs of brackets or emphasis markers?)",
            path,
        )

    try:
        previous = signal.signal(signal.SIGALRM, expire)
    except ValueError:  # not the main thread: no alarm to set
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
