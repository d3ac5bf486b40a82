"""Write output files atomically: all of them whole, or none touched."""

import os
import tempfile
from pathlib import Path

from .errors import OutputError


def write_files(outputs):
    """Write {path: bytes}; each goes to a temporary file beside it, then replaces it."""
    temps = []
    try:
        for path, data in outputs.items():
            path = Path(path)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():
                    raise OutputError("is a folder, not a file that can be written", path)
                fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            except (FileExistsError, NotADirectoryError):
                raise OutputError("cannot create the folder: a file is in the way", path) from None
            except OSError as error:
                raise OutputError(f"cannot write: {error.strerror or error}", path) from None
            temps.append((temp, path))
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            # mkstemp makes the file private; a booklet is a normal, shareable file.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o666 & ~umask)
        for temp, path in temps:
            os.replace(temp, path)
    except BaseException:
        for temp, _ in temps:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
        raise
