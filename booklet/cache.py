"""Files worked out once from a shipped file and kept in the user's own cache folder.

A font's character map, a language's hyphenation patterns: each costs tens of ms to read
from its source on every build and a few ms from here. A kept file is named by the
source's path, size and time, so an edited or replaced source is read afresh; it is
trusted only in a folder no one else can write, begins with its format's line, and is
replaced atomically. Nothing here ever fails a build: no cache is only slower.
"""

import hashlib
import os
import tempfile
from pathlib import Path


def folder():
    """This user's cache folder under the system's temporary folder, or None if unsafe."""
    owner = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    where = Path(tempfile.gettempdir()) / f"booklet-cache-{owner}"
    try:
        where.mkdir(mode=0o700, exist_ok=True)
        info = where.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o077):
        return None  # not a folder only this user can write: never trust what is in it
    return where


def kept_file(source, suffix):
    """Where what was worked out from `source` is kept (`.suffix`), or None."""
    where = folder()
    if where is None:
        return None
    try:
        info = Path(source).stat()
    except OSError:
        return None
    key = f"{Path(source).resolve()}\0{info.st_size}\0{info.st_mtime_ns}"
    return where / (hashlib.sha256(key.encode()).hexdigest()[:32] + f".{suffix}")


def read(source, suffix, header):
    """The kept body for `source` after its `header` line, or None (none, or not ours)."""
    where = kept_file(source, suffix)
    try:
        data = where.read_bytes() if where else b""
    except OSError:
        return None
    return data[len(header) :] if data.startswith(header) else None


def keep(source, suffix, header, body):
    """Keep `body` for `source`; silently not, if it cannot."""
    where = kept_file(source, suffix)
    if where is None:
        return
    temporary = where.with_name(f".{where.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(header + body)
        os.replace(temporary, where)
    except OSError:
        temporary.unlink(missing_ok=True)
