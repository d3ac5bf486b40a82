"""Read and validate the clinic settings (TOML)."""

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .editions import EDITIONS, LOG_PAGES, PAPERS, TOC_DEPTHS
from .errors import ConfigError, closest
from .lines import line_of, toml_problem

# key: (accepted types, what to call them in an error)
KEYS = {
    "name": (str, "a string"),
    "address": (str, "a string"),
    "phone": (str, "a string"),
    "email": (str, "a string"),
    "website": (str, "a string"),
    "logo": (str, "a file name"),
    "edition": (str, "a string"),
    "review_date": ((str, dt.date), "a date or a string"),
    "disclaimer": (str, "a string"),
    "episode_log": (bool, "true or false"),
    "log_pages": (int, "a whole number"),
    "paper": (str, " or ".join(PAPERS)),
    "large_print": (bool, "true or false"),
    "editions": (list, "a list of edition names"),
    "allow": (list, "a list of folders"),
    "toc_depth": (int, "a whole number"),
    "max_grade": ((int, float), "a number"),
    "min_actionability": ((int, float), "a percentage"),
    "jargon": (dict, 'a table of word = "plain alternative"'),
    "log": (str, "a shipped log's name or a .toml file beside the settings"),
    "scheduler": (str, "a Dask scheduler's address such as tcp://host:8786"),
}


@dataclass(frozen=True)
class Clinic:
    """The clinic's details and its defaults for the command's options."""

    path: Path | None = None
    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    logo: Path | None = None
    edition: str = ""
    review_date: dt.date | str = ""
    disclaimer: str = ""
    allow: tuple = ()  # more folders the build may read, as resolved paths
    toc_depth: int | None = None
    max_grade: float | None = None
    min_actionability: float | None = None  # PEMAT actionability %, below it --check fails
    jargon: dict = field(default_factory=dict)  # word: plainer alternative
    defaults: dict = field(default_factory=dict)

    @property
    def folder(self):
        """The folder the logo may be read from, if any."""
        return self.path.parent if self.path else None


def key_line(path, key):
    """The line of a settings file a top-level key is set on (None when it is not)."""
    return line_of_key(Path(path).read_text(encoding="utf-8", errors="replace"), key)


def line_of_key(text, key):
    """The line a top-level key is set on, for error messages."""
    key = re.escape(key)
    return line_of(text, rf"^[ \t]*({key}[ \t]*=|\[{key}\])")  # not \s: no blank lines before


def load_clinic(path):
    """Read clinic settings from a TOML file; None gives an empty clinic."""
    if path is None:
        return Clinic()
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("settings file not found", path) from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a settings file", path) from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", path) from None
    except OSError as error:
        raise ConfigError(error.strerror or str(error), path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line = toml_problem(error, text)
        raise ConfigError(f"not valid TOML: {message}", path, line) from None
    return validate_clinic(data, path, text)


def validate_clinic(data, path, text=""):
    """Check every key's name and type and turn the data into a Clinic."""
    for key, value in data.items():
        line = line_of_key(text, key)
        if key not in KEYS:
            near = closest(key, KEYS)
            said = f"did you mean '{near}'?" if near else f"known keys: {', '.join(KEYS)}"
            raise ConfigError(f"unknown key '{key}' ({said})", path, line)
        types, described = KEYS[key]
        # bool is an int in Python; a log_pages of true is still a mistake.
        if not isinstance(value, types) or (types is int and isinstance(value, bool)):
            raise ConfigError(f"'{key}' must be {described}", path, line)
    defaults = {}
    if "episode_log" in data:
        defaults["episode_log"] = data["episode_log"]
    if data.get("log", "").strip():
        defaults["log"] = data["log"].strip()  # resolved from this file's folder when used
    if data.get("scheduler", "").strip():
        defaults["scheduler"] = data["scheduler"].strip()  # a library's; --scheduler wins
    if "large_print" in data:
        defaults["large_print"] = data["large_print"]
    if "log_pages" in data:
        low, high = LOG_PAGES
        if not low <= data["log_pages"] <= high:
            raise ConfigError(
                f"'log_pages' must be from {low} to {high}", path, line_of_key(text, "log_pages")
            )
        defaults["log_pages"] = data["log_pages"]
    if "paper" in data:
        if isinstance(data["paper"], str):
            data["paper"] = data["paper"].lower()  # "A4" as people write it
        if data["paper"] not in PAPERS:
            raise ConfigError(
                f"'paper' must be {' or '.join(PAPERS)}", path, line_of_key(text, "paper")
            )
        defaults["paper"] = data["paper"]
    if "editions" in data:
        bad = [e for e in data["editions"] if e not in EDITIONS]
        if bad:
            raise ConfigError(
                f"'editions' has unknown edition {bad[0]!r} (known: {', '.join(EDITIONS)})",
                path,
                line_of_key(text, "editions"),
            )
        defaults["editions"] = tuple(data["editions"])
    website = data.get("website", "")
    if website and not re.match(r"https?://[^\s/]+\.[^\s]+$", website):
        raise ConfigError(
            "'website' must be a full address such as https://example.org",
            path,
            line_of_key(text, "website"),
        )
    email = data.get("email", "")
    if email and not re.match(r"[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise ConfigError("'email' is not an e-mail address", path, line_of_key(text, "email"))
    logo = None
    if data.get("logo"):
        logo = (path.parent / data["logo"]).resolve()
        if not logo.is_relative_to(path.parent.resolve()):
            raise ConfigError(
                f"'logo' must be a file in the settings folder: {data['logo']}",
                path,
                line_of_key(text, "logo"),
            )
        if not logo.is_file():
            raise ConfigError(
                f"'logo' file not found: {data['logo']}", path, line_of_key(text, "logo")
            )
    allow = []
    for folder in data.get("allow", []):
        resolved = (path.parent / str(folder)).resolve()
        if not isinstance(folder, str) or not resolved.is_dir():
            raise ConfigError(
                f"'allow' names {folder!r}, which is not a folder", path, line_of_key(text, "allow")
            )
        allow.append(resolved)
    max_grade = data.get("max_grade")
    if max_grade is not None and (
        isinstance(max_grade, bool) or not math.isfinite(max_grade) or max_grade < 0
    ):
        raise ConfigError(
            "'max_grade' must be a reading grade, 0 or more", path, line_of_key(text, "max_grade")
        )
    min_actionability = data.get("min_actionability")
    if min_actionability is not None and (
        isinstance(min_actionability, bool)
        or not math.isfinite(min_actionability)
        or not 0 <= min_actionability <= 100
    ):
        raise ConfigError(
            "'min_actionability' must be a percentage, 0 to 100",
            path,
            line_of_key(text, "min_actionability"),
        )
    toc_depth = data.get("toc_depth")
    if toc_depth is not None and not TOC_DEPTHS[0] <= toc_depth <= TOC_DEPTHS[1]:
        raise ConfigError(
            f"'toc_depth' must be from {TOC_DEPTHS[0]} to {TOC_DEPTHS[1]}",
            path,
            line_of_key(text, "toc_depth"),
        )
    jargon = data.get("jargon", {})
    if not all(isinstance(plain, str) for plain in jargon.values()):
        raise ConfigError(
            "'jargon' must map each word to its plain alternative, as text",
            path,
            line_of_key(text, "jargon"),
        )
    review_date = data.get("review_date", "")  # a date is written in the booklet's language
    return Clinic(
        path=path,
        name=data.get("name", ""),
        address=data.get("address", ""),
        phone=data.get("phone", ""),
        email=email,
        website=website,
        logo=logo,
        edition=data.get("edition", ""),
        review_date=review_date,
        disclaimer=data.get("disclaimer", ""),
        allow=tuple(allow),
        toc_depth=toc_depth,
        max_grade=max_grade,
        min_actionability=min_actionability,
        jargon=jargon,
        defaults=defaults,
    )
