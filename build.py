#!/usr/bin/env python3
"""Build the patient booklet: `python build.py --help`.

The command of this checkout: its defaults are content/essay.md, content/clinic.toml and
dist/ here. Installed, the same command is `booklet` (booklet/cli.py).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    from booklet.cli import _interrupt, exit_now, main  # noqa: E402, F401  (tests: SIGTERM)
except ModuleNotFoundError as missing:  # the system's Python, not the project's .venv
    from booklet import MISSING_LIBRARY

    print(f"Error: {MISSING_LIBRARY.format(error=missing)}", file=sys.stderr)
    sys.exit(2)

if __name__ == "__main__":
    try:
        main()
    except SystemExit as done:  # Click ends every run with one
        exit_now(done.code)
    except ModuleNotFoundError as missing:  # a library first imported while running
        from booklet import MISSING_LIBRARY

        print(f"Error: {MISSING_LIBRARY.format(error=missing)}", file=sys.stderr)
        exit_now(2)
