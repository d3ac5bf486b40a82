"""Turn a Markdown essay into a printable, emailable patient booklet."""

__version__ = "1.0.0"
