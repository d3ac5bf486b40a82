"""Read a log definition: TOML text in, a checked LogDefinition out; find shipped presets."""

import re
import tomllib
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from .editions import DEFAULT_LOG
from .errors import LogError, closest
from .lines import line_of, toml_problem
from .paths import templates_folder

LOGS = templates_folder() / "logs"
MAX_DEFINITION_BYTES = 100_000

LOG_KEYS = ("title", "intro", "entry", "per_page", "fields")
FIELD_KEYS = ("key", "label", "kind", "min", "max", "lines", "help")
KINDS = ("text", "lines", "date", "time", "duration", "number", "scale", "check")
SHORT_KINDS = ("date", "time", "duration", "number", "scale", "check")  # these share a row
PER_PAGE = (1, 6)
DEFAULT_PER_PAGE = 2
LINES = (1, 8)
SCALE = (-99, 999)  # a scale's ends; it shows every value in a box, so at most 11 of them
SCALE_VALUES = 11
NUMBER_MAXLENGTH = 6
LABEL_CHARS = 60
TITLE_CHARS = 80  # the log's title is a heading, a contents line and a one-line running head
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
ENTRY = re.compile(r"[A-Za-z][A-Za-z_]*")  # no trailing digit: it is followed by the number

# A card's layout, estimated before WeasyPrint lays it out, from the booklet's type and
# pages (booklet.css, page-*.css; large print scales type and page alike). A designer who
# changes the labels' font or size, or the card's padding, changes these too.
# Advance widths in mm of the labels' face, Atkinson Hyperlegible Bold at 10.5 pt, rounded
# up a little by kind of character:
NARROW, NARROW_MM = set("fijlrtI!.,:;'()-"), 1.4
WIDE, WIDE_MM = set("mwMW&@%"), 3.3
UPPER_MM, DIGIT_MM, SPACE_MM, OTHER_MM = 2.5, 2.3, 1.2, 2.1
OTHER_SCRIPT_MM = 2.6  # Greek, Cyrillic, Arabic, Hebrew letters in their Noto faces
ROW_MM = 101.4  # a card's inner width on the narrowest page, half-letter
CELL_GAP_MM = 4  # .row.short .cell padding-left
LABEL_PAD_MM = 1.5  # .label padding-right
WRITE_MIN_MM = 8  # the writing area every field is promised
TICK_MM = 7  # a check box and its gap
ROW_CELLS = 3
LABEL_BESIDE_MM = 60  # longer labels go above their line
# A page holds 18 writing lines (large print on Letter is the tightest); a card's title,
# padding and margin take 1.7 of them, the page's title 0.25.
PAGE_LINES = 18
LABEL_ABOVE_LINES = 0.7  # a label standing above its line takes this much more
CARD_LINES = 1.7
PAGE_TITLE_LINES = 0.25


@dataclass(frozen=True)
class LogField:
    """One thing written on every card."""

    key: str
    label: str
    kind: str = "text"
    min: int = 0
    max: int = 10
    lines: int = 2
    help: str = ""

    @property
    def short(self):
        """True when the field shares a row with other short fields."""
        return self.kind in SHORT_KINDS

    @property
    def values(self):
        """A scale's values, lowest first."""
        return list(range(self.min, self.max + 1))

    @property
    def maxlength(self):
        """Characters a scale or number field accepts; None for the others."""
        if self.kind == "scale":
            return max(len(str(self.min)), len(str(self.max)))
        if self.kind == "number":
            return NUMBER_MAXLENGTH
        return None

    @property
    def shown(self):
        """The label as a card prints it: a scale adds its range."""
        return f"{self.label} {self.min}–{self.max}" if self.kind == "scale" else self.label

    @property
    def label_mm(self):
        """About how wide the label prints, in mm, at the normal size."""
        return sum(_char_mm(char) for char in self.shown)

    @property
    def room_mm(self):
        """The least room beside the label: a writing area, or a check box."""
        return TICK_MM if self.kind == "check" else WRITE_MIN_MM

    @property
    def height(self):
        """Writing lines the field takes on a card."""
        return self.lines if self.kind == "lines" else 1


@dataclass(frozen=True)
class Row:
    """One row of a card: short fields side by side (widths in %), or one full-width field."""

    fields: tuple
    widths: tuple = ()
    above: bool = False  # the label stands above the line: it is too long to sit beside it

    @property
    def short(self):
        return bool(self.widths)

    @property
    def cells(self):
        return list(zip(self.fields, self.widths, strict=True))


@dataclass(frozen=True)
class LogDefinition:
    """A log as its definition describes it; the texts are the author's, unchanged."""

    title: str
    fields: tuple
    intro: str = ""
    entry: str = "episode"
    per_page: int = DEFAULT_PER_PAGE
    path: Path | None = None
    entry_name: str = ""  # the cards' heading in the booklet's language; "" from `entry`

    @property
    def entry_title(self):
        """The entry's name as a card's heading starts: 'attack' is 'Attack'."""
        if self.entry_name:
            return self.entry_name
        name = self.entry.replace("_", " ")
        return name[:1].upper() + name[1:]

    def texts(self):
        """The words the log prints, for a catalogue to translate."""
        fields = self.fields
        return [
            self.title,
            *self.paragraphs,
            self.entry_title,
            *(field.label for field in fields),
            *(field.help for field in fields if field.help),
        ]

    def translated(self, gettext):
        """The same log in a catalogue's words; what the catalogue lacks stays as written.

        Field keys and the entry (the PDF's field names) never change; fewer cards go on a
        page when the longer words no longer let as many fit.
        """
        fields = tuple(
            replace(f, label=gettext(f.label), help=gettext(f.help) if f.help else "")
            for f in self.fields
        )
        # Longer words can need more rows (three short fields no longer side by side, a
        # label above its line): as many cards a page as still fit, at least one.
        fitting = max(1, fitting_cards(card_lines(fields)))
        return replace(
            self,
            title=gettext(self.title),
            intro="\n\n".join(gettext(paragraph) for paragraph in self.paragraphs),
            entry_name=gettext(self.entry_title),
            fields=fields,
            per_page=min(self.per_page, fitting),
        )

    @property
    def paragraphs(self):
        """The intro's paragraphs (blank lines part them)."""
        return [" ".join(p.split()) for p in re.split(r"\n\s*\n", self.intro) if p.strip()]

    @cached_property
    def rows(self):
        """The card's rows, in the definition's order."""
        return card_rows(self.fields)

    @cached_property
    def width_classes(self):
        """{width in %: its class name} for every width a cell of the card has: 27.9 is w27-9."""
        widths = sorted({width for row in self.rows for width in row.widths})
        return {width: "w" + str(width).replace(".", "-") for width in widths}

    @property
    def line_counts(self):
        """Every number of writing lines a `lines` field of the card has, each once."""
        return sorted({field.lines for field in self.fields if field.kind == "lines"})

    @property
    def rules(self):
        """The numbers of the ruled lines inside a `lines` field (the last line is its edge)."""
        return list(range(1, max(self.line_counts, default=1)))

    @property
    def scale_groups(self):
        """[(min, max, [scale fields])] for the explanation page, one per range."""
        groups = {}
        for field in self.fields:
            if field.kind == "scale":
                groups.setdefault((field.min, field.max), []).append(field)
        return [(low, high, fields) for (low, high), fields in groups.items()]

    @property
    def explained(self):
        """The fields with help, for the explanation page."""
        return [field for field in self.fields if field.help]

    def numbers(self, page):
        """The entry numbers on one page, counting from 1 across pages."""
        first = (page - 1) * self.per_page + 1
        return list(range(first, first + self.per_page))


def card_rows(fields):
    """Short fields share rows (at most three, balanced); the others take a row each."""
    rows, run = [], []
    for field in fields:
        if field.short:
            run.append(field)
            continue
        rows += _short_rows(run)
        run = []
        rows.append(Row((field,), above=field.label_mm > LABEL_BESIDE_MM))
    return rows + _short_rows(run)


def _short_rows(run):
    """A run of short fields in as few balanced rows as leave every one room to write."""
    if not run:
        return []
    count = -(-len(run) // ROW_CELLS)
    while True:
        base, extra = divmod(len(run), count)
        sizes = [base + 1] * extra + [base] * (count - extra)
        chunks, start = [], 0
        for size in sizes:
            chunks.append(tuple(run[start : start + size]))
            start += size
        columns = {len(chunk): _columns(chunk, chunks) for chunk in chunks}
        if all(sum(columns[len(c)]) <= ROW_MM for c in chunks) or count == len(run):
            break
        count += 1
    rows = []
    for chunk in chunks:
        needs = columns[len(chunk)]
        share = (ROW_MM - sum(needs)) / len(chunk)
        if len(chunk) == 1:
            rows.append(Row(chunk, (100.0,), above=share < 0))
        else:
            rows.append(Row(chunk, tuple(round(100 * (n + share) / ROW_MM, 1) for n in needs)))
    return rows


def _columns(chunk, chunks):
    """The mm each column needs on the narrowest page: its longest label and least room.

    Rows of as many cells share their columns' widths, so the columns line up; what is
    left over is shared equally, so every writing area in a row is as wide.
    """
    alike = [c for c in chunks if len(c) == len(chunk)]
    return [
        max(c[i].label_mm + c[i].room_mm for c in alike) + LABEL_PAD_MM + (CELL_GAP_MM if i else 0)
        for i in range(len(chunk))
    ]


def _char_mm(char):
    """About how wide one character of a label prints, in mm."""
    if char in NARROW:
        return NARROW_MM
    if char in WIDE:
        return WIDE_MM
    if char.isupper():
        return UPPER_MM
    if char.isdigit():
        return DIGIT_MM
    if char.isspace():
        return SPACE_MM
    return OTHER_SCRIPT_MM if char.isalpha() and ord(char) > 0x24F else OTHER_MM


def card_lines(fields):
    """Writing lines a card needs: one a row, a `lines` field's lines, a label above 0.7."""
    return sum(
        max(field.height for field in row.fields) + LABEL_ABOVE_LINES * row.above
        for row in card_rows(fields)
    )


def fitting_cards(lines):
    """How many cards of `lines` writing lines fit on a page."""
    return int((PAGE_LINES - PAGE_TITLE_LINES) // (lines + CARD_LINES))


def presets_folder(templates):
    """Where a templates folder keeps its log presets (the shipped ones when it has none)."""
    folder = Path(templates) / "logs"
    return folder if folder.is_dir() else LOGS


def preset_names(folder=LOGS):
    """The shipped presets' names, sorted."""
    return sorted(path.stem for path in Path(folder).glob("*.toml"))


def is_preset_name(value):
    """True when `value` names a preset rather than a file (no folder, no .toml)."""
    return not re.search(r"[/\\]|\.toml$", value, re.IGNORECASE) and bool(value)


def resolve_log(name_or_path, base_folder, named_in=None, folder=LOGS):
    """The file a log name or path means: a shipped preset, or a path from `base_folder`.

    `named_in` is (file, line) where the name was written, for an unknown preset's error.
    """
    value = str(name_or_path).strip()
    if is_preset_name(value):
        path = Path(folder) / f"{value}.toml"
        if path.is_file():
            return path
        names = preset_names(folder)
        hint = closest(value, names)
        said = f"did you mean '{hint}'? " if hint else ""
        where, line = named_in or (None, None)
        raise LogError(
            f"no shipped log named '{value}' ({said}shipped: {', '.join(names)}; "
            "or give the path of a .toml definition)",
            where,
            line,
        )
    return (Path(base_folder) / value).resolve()


def default_log():
    """The log a booklet has when none is named."""
    return read_log(LOGS / f"{DEFAULT_LOG}.toml")


def read_log(path):
    """Read and check a log definition file; raise LogError naming its file and line."""
    path = Path(path)
    try:
        if path.is_dir():
            raise LogError("is a folder, not a log definition", path)
        if path.stat().st_size > MAX_DEFINITION_BYTES:
            raise LogError(f"is over {MAX_DEFINITION_BYTES:,} bytes: not a log definition", path)
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise LogError("log definition not found", path) from None
    except UnicodeDecodeError:
        raise LogError("is not UTF-8 text", path) from None
    except OSError as error:
        raise LogError(error.strerror or str(error), path) from None
    return parse_log(text.replace("\r\n", "\n"), path)


def parse_log(text, path=None):
    """TOML text in, a checked LogDefinition out."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line = toml_problem(error, text)
        raise LogError(f"not valid TOML: {message}", path, line) from None
    return _Checker(text, path).definition(data)


class _Checker:
    """Checks a parsed definition, finding the line of each mistake in the text."""

    def __init__(self, text, path):
        self.text = text
        self.path = path
        headers = list(re.finditer(r"^[ \t]*\[\[[ \t]*fields[ \t]*\]\]", text, re.MULTILINE))
        tables = re.search(r"^[ \t]*\[", text, re.MULTILINE)
        self.top_end = tables.start() if tables else len(text)
        ends = [h.start() for h in headers[1:]] + [len(text)] * bool(headers)
        self.blocks = [(h.start(), end) for h, end in zip(headers, ends, strict=True)]

    def line(self, key, index=None):
        """The line `key` is set on: at the top, or in the index-th [[fields]] table."""
        pattern = rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*="
        if key == "fields" and index is None and self.blocks:
            return self.text.count("\n", 0, self.blocks[0][0]) + 1
        if index is None:
            return line_of(self.text[: self.top_end], pattern) or line_of(self.text, pattern)
        if index < len(self.blocks):
            start, end = self.blocks[index]
            found = line_of(self.text[start:end], pattern) or line_of(
                self.text[start:end], r"^[ \t]*key[ \t]*="
            )
            return self.text.count("\n", 0, start) + (found or 1)
        return self.line("fields")

    def fail(self, message, key, index=None):
        raise LogError(message, self.path, self.line(key, index))

    def unknown(self, data, known, what, index=None):
        for key in data:
            if key not in known:
                hint = closest(key, known)
                said = f"did you mean '{hint}'?" if hint else f"known: {', '.join(known)}"
                self.fail(f"unknown {what} '{key}' ({said})", key, index)

    def text_of(self, data, key, index=None, required=False, name=""):
        value = data.get(key, "")
        if not isinstance(value, str):
            self.fail(f"{name}'{key}' must be text", key, index)
        if required and not value.strip():
            said = "is empty" if key in data else "is missing"
            raise LogError(f"{name}'{key}' {said}", self.path, self.line(key, index) or 1)
        return value.strip()

    def whole(self, data, key, low, high, index=None, name=""):
        value = data[key]
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(f"{name}'{key}' must be a whole number", key, index)
        if not low <= value <= high:
            self.fail(f"{name}'{key}' must be from {low} to {high}, not {value}", key, index)
        return value

    def definition(self, data):
        self.unknown(data, LOG_KEYS, "key")
        title = self.text_of(data, "title", required=True)
        if len(title) > TITLE_CHARS:
            self.fail(
                f"'title' is {len(title)} characters, over {TITLE_CHARS}: it is the log's "
                "heading, contents line and running head",
                "title",
            )
        intro = self.text_of(data, "intro")
        entry = self.text_of(data, "entry") or "episode"
        if "entry" in data and not (entry.isascii() and ENTRY.fullmatch(entry)):
            self.fail(
                f"'entry' must be ASCII letters (it names the PDF fields), not {entry!r}", "entry"
            )
        per_page = DEFAULT_PER_PAGE
        if "per_page" in data:
            per_page = self.whole(data, "per_page", *PER_PAGE)
        raw = data.get("fields")
        if not raw:
            if "fields" in data and not isinstance(raw, list):
                self.fail("'fields' must be [[fields]] tables", "fields")
            raise LogError(
                "no fields: add at least one [[fields]] table", self.path, self.line("fields")
            )
        if not isinstance(raw, list) or not all(isinstance(f, dict) for f in raw):
            self.fail("'fields' must be [[fields]] tables", "fields")
        fields, seen = [], {}
        for index, item in enumerate(raw):
            field = self.field(item, index)
            if field.key in seen:
                self.fail(
                    f"field '{field.key}': duplicate key (field {seen[field.key] + 1} has it too)",
                    "key",
                    index,
                )
            seen[field.key] = index
            fields.append(field)
        self.fits(fields, per_page, "per_page" in data)
        return LogDefinition(title, tuple(fields), intro, entry, per_page, self.path)

    def field(self, data, index):
        self.unknown(data, FIELD_KEYS, "field key", index)
        key = data.get("key")
        if key is None:
            raise LogError(
                f"field {index + 1}: missing 'key'", self.path, self.line("label", index)
            )
        if not isinstance(key, str) or not key.isascii() or not IDENTIFIER.fullmatch(key):
            self.fail(
                f"field {index + 1}: 'key' must be an ASCII name (letters, digits, _; "
                f"starting with a letter), not {key!r}",
                "key",
                index,
            )
        name = f"field '{key}': "
        label = self.text_of(data, "label", index, required=True, name=name)
        if len(label) > LABEL_CHARS:
            self.fail(
                f"{name}'label' is {len(label)} characters, over {LABEL_CHARS} for a card: "
                "put the detail in 'help'",
                "label",
                index,
            )
        kind = data.get("kind", "text")
        if kind not in KINDS:
            hint = closest(kind, KINDS)
            said = f"did you mean '{hint}'? " if hint else ""
            self.fail(
                f"{name}unknown kind {kind!r} ({said}kinds: {', '.join(KINDS)})", "kind", index
            )
        for only, kinds in (("min", "scale"), ("max", "scale"), ("lines", "lines")):
            if only in data and kind != kinds:
                self.fail(f"{name}'{only}' is only for kind = \"{kinds}\"", only, index)
        low, high = 0, 10
        if "min" in data:
            low = self.whole(data, "min", *SCALE, index=index, name=name)
        if "max" in data:
            high = self.whole(data, "max", *SCALE, index=index, name=name)
        if not 0 < high - low < SCALE_VALUES:
            self.fail(
                f"{name}'min' and 'max' must give 2 to {SCALE_VALUES} values, not {low} to {high}",
                "max" if "max" in data else "min",
                index,
            )
        lines = 2
        if "lines" in data:
            lines = self.whole(data, "lines", *LINES, index=index, name=name)
        help_text = self.text_of(data, "help", index, name=name)
        return LogField(key, label, kind, low, high, lines, help_text)

    def fits(self, fields, per_page, given):
        lines = card_lines(fields)
        most = fitting_cards(lines)
        if most < 1:
            self.fail(f"the fields need {lines:g} writing lines: more than a page holds", "fields")
        if per_page > most:
            self.fail(
                f"'per_page' = {per_page}: cards of {lines:g} writing lines fit at most "
                f"{most} to a page",
                "per_page" if given else "fields",
            )
