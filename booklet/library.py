"""A clinic's library: every handout in one run, each rebuilt only when what it read changed.

A record beside the outputs keeps, for each handout, content hashes of the essay and of
every file its build read, the templates folder's digest, the options and the program's
version. A handout whose hashes all still match, and whose files are all there, is up to
date: it is not built, and a run where every handout is up to date never loads WeasyPrint.
The rest are built by `pipeline.build` in forked workers, each writing its own files, or
on a Dask cluster's workers (booklet/cluster.py), the command writing what they return.
"""

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import click

from . import __version__
from .editions import EDITIONS

RECORD = ".booklet-library.json"  # beside the outputs
INDEX = "index.html"  # the front desk's catalogue, beside the outputs
INDEX_TEMPLATE = "library-index.html"  # not a handout's input: changing it rebuilds no PDF

BUILT, UP_TO_DATE, FAILED = "built", "up to date", "failed"


@dataclass(frozen=True)
class Handout:
    """One essay of the library: its file, and its name under the library (posix)."""

    source: Path
    name: str
    root: Path  # the folder it was found in; the record names its files from there

    def output(self, folder):
        """Its reading copy: `<folder>/<sub-folders>/<stem>.pdf`."""
        return Path(folder) / Path(self.name).with_suffix(".pdf")


@dataclass(frozen=True)
class Result:
    """What became of one handout, as plain values."""

    name: str
    state: str
    error: str = ""
    warnings: tuple = ()
    entry: dict | None = None  # its record entry (hashes, title, language, files, grade)


@dataclass(frozen=True)
class Summary:
    """A library run: each handout's result, and the files it depends on (for --watch)."""

    results: list
    record: Path
    index: Path
    watched: frozenset = field(default_factory=frozenset)
    unwritten: str = ""  # why the record or index could not be written, when it could not

    def count(self, state):
        return sum(result.state == state for result in self.results)


def find_handouts(sources):
    """Every `*.md` under each folder (sub-folders kept) and each file named; sorted."""
    from .errors import SourceError

    handouts = {}
    for source in map(Path, sources):
        if source.is_dir():
            root = source.resolve()
            found = [
                path
                for path in sorted(root.rglob("*.md"))
                if path.is_file()
                and not any(p.startswith(".") for p in path.relative_to(root).parts)
            ]
            if not found:
                raise SourceError("no handouts here: a library is a folder of *.md files", source)
        elif source.is_file():
            root, found = source.resolve().parent, [source.resolve()]
        else:
            raise SourceError("file not found", source)
        for path in found:
            name = path.relative_to(root).as_posix()
            if name in handouts and handouts[name].source != path:
                raise click.UsageError(
                    f"{handouts[name].source} and {path} would both be written as "
                    f"{Path(name).with_suffix('.pdf')}; give their folder instead."
                )
            handouts[name] = Handout(path, name, root)
    return sorted(handouts.values(), key=lambda handout: handout.name)


def source_files(sources):
    """The essays a folder holds now: a new one is a change for --watch."""
    return {handout.source for handout in find_handouts(sources)}


# ---------------------------------------------------------------- what is up to date

_HASHES = {}  # (path, mtime, size, inode) -> sha256: --watch re-hashes only what changed


def file_hash(path):
    """The sha256 of a file's bytes; None when it is gone."""
    try:
        info = os.stat(path)
        stamp = (str(path), info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp not in _HASHES:
            _HASHES[stamp] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
    return _HASHES[stamp]


def template_files(templates):
    """The templates folder's files (templates, CSS, fonts, catalogues, logs, jargon lists)."""
    folder = Path(templates)
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.name != INDEX_TEMPLATE
        and not any(p.startswith(".") or p == "__pycache__" for p in path.relative_to(folder).parts)
    )


def templates_digest(templates):
    """One hash for the whole templates folder: any change there rebuilds every handout."""
    templates = Path(templates)
    lines = (
        f"{p.relative_to(templates).as_posix()}\0{file_hash(p)}" for p in template_files(templates)
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _roots(handout, request):
    """Named folders a handout's files are recorded under, so a copied library still matches."""
    roots = {"templates": Path(request.templates).resolve(), "library": handout.root}
    if request.clinic.folder is not None:
        roots["settings"] = Path(request.clinic.folder).resolve()
    roots.update({f"allow:{folder.name}": Path(folder).resolve() for folder in request.allow})
    return roots


def _named(path, roots):
    for tag, root in roots.items():
        if path.is_relative_to(root):
            return f"{tag}/{path.relative_to(root).as_posix()}"
    return path.as_posix()


def _located(name, roots):
    tag, _, rest = name.partition("/")
    return roots[tag] / rest if tag in roots else Path(name)


def _options(request, folder):
    """The options that shape a handout's files, as plain values."""
    return {
        "files": [
            [_relative(o.path, folder), o.edition.paper, o.edition.large_print, o.sheets]
            for o in request.outputs
        ],
        "log_pages": request.log_pages,
        "log_if_named": request.log_if_named,
        "log": request.log,
        "strict": request.strict,
        "allow_missing_glyphs": request.allow_missing_glyphs,
        "max_bytes": request.max_bytes,
        "max_grade": request.max_grade,
        "allow": sorted(Path(folder).name for folder in request.allow),
        # The settings in use: one added, removed or changed rebuilds every handout.
        "settings": file_hash(request.clinic.path) if request.clinic.path else None,
    }


def _key(options, digest, inputs):
    blob = json.dumps([__version__, options, digest, inputs], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _relative(path, folder):
    return Path(path).resolve().relative_to(Path(folder).resolve()).as_posix()


def up_to_date(entry, handout, request, folder, digest):
    """Whether the record's entry still describes this handout's files exactly."""
    if not entry or not all((Path(folder) / f["file"]).is_file() for f in entry["files"]):
        return False
    roots = _roots(handout, request)
    # A file gone, changed, or (once missing) there now: the key tells.
    inputs = {name: file_hash(_located(name, roots)) for name in entry["inputs"]}
    return entry["key"] == _key(_options(request, folder), digest, inputs)


# ---------------------------------------------------------------- building one handout


def build_handout(handout, request, folder, digest, font_config=None):
    """Build one handout with `pipeline.build` (it writes its own files); a plain summary back.

    Errors come back as their one line, never raised: a broken handout stops nothing else.
    """
    built = try_build(handout, request, font_config)
    if isinstance(built, Result):
        return built
    return built_result(handout, request, folder, digest, built)


def try_build(handout, request, font_config=None):
    """`pipeline.build`'s Built, or the handout's failed Result with its one line."""
    from .errors import unexpected
    from .pipeline import build

    try:
        return build(request, font_config)
    except click.ClickException as error:
        return Result(handout.name, FAILED, error=error.format_message())
    except Exception as error:
        if os.environ.get("BOOKLET_DEBUG"):
            raise
        return Result(
            handout.name, FAILED, error=unexpected(error, request.source).format_message()
        )


def built_result(handout, request, folder, digest, built):
    """A built handout's Result: its record entry, from the files it read (client paths)."""
    roots = _roots(handout, request)
    # Files it read, and files it looked for and did not find (hash None): one appearing
    # later (a missing image added) changes the key like an edit does.
    inputs = {
        _named(path, roots): file_hash(path)
        for path in {Path(p).resolve() for p in (*built.inputs, *built.missing)} | {handout.source}
        if not path.is_relative_to(roots["templates"])  # the digest covers those
    }
    editions = {(named.edition, named.sheets): name for name, named in EDITIONS.items()}
    outputs = {output.path: output for output in request.outputs}
    files = []
    for written in built.written:
        output = outputs[written.path]
        files.append(
            {
                "file": _relative(written.path, folder),
                "edition": editions.get((output.edition, output.sheets), written.kind),
                "kind": written.kind,
                "pages": written.pages,
                "size": written.size,
            }
        )
    entry = {
        "key": _key(_options(request, folder), digest, inputs),
        "inputs": dict(sorted(inputs.items())),
        "title": built.title,
        "language": built.language,
        # A language no readability formula measures (Hebrew) has no grade: None, not a crash.
        "grade": None
        if getattr(built.reading, "grade", None) is None
        else round(built.reading.grade, 1),
        "files": files,
    }
    return Result(handout.name, BUILT, warnings=tuple(built.warnings), entry=entry)


_FONTS = None  # one font configuration for every run of this process (--watch, a worker)


def fonts():
    """This process's font configuration: WeasyPrint is imported and fonts configured once."""
    global _FONTS
    from .pipeline import font_configuration

    if _FONTS is None:
        _FONTS = font_configuration()
    return _FONTS


def _build_locally(font_config, handout, request, folder, digest):
    return build_handout(handout, request, folder, digest, font_config)


def _laid_out(stale, folder, digests, jobs, scheduler=None):
    """Build the stale handouts, yielding each result as it comes: nothing piles up."""
    from .workers import map_unordered

    if scheduler:
        from .cluster import on_cluster

        yield from on_cluster(stale, folder, digests, scheduler)
        return
    from .pipeline import parse_stylesheets

    args = [(h, r, folder, digests[r.templates]) for h, r in stale]
    # One handout alone lays its editions out in parallel itself; the fonts and the
    # parsed stylesheets are inherited.
    shared = fonts()
    parse_stylesheets([r for _, r in stale])
    for _, result in map_unordered(_build_locally, args, jobs, shared=shared):
        yield result


# ---------------------------------------------------------------- the run


def build_library(
    handouts, request_for, folder, jobs=None, force=False, quiet=False, scheduler=None
):
    """Build every handout that is not up to date into `folder`; write the record and index.

    `request_for(source, output)` gives one handout's build request, as for a single file;
    with `scheduler`, the handouts are laid out on that Dask cluster.
    """
    folder = Path(folder)
    record_path, index_path = folder / RECORD, folder / INDEX
    before = read_record(record_path)
    entries = {}
    planned = [
        (handout, request_for(handout.source, handout.output(folder))) for handout in handouts
    ]
    _refuse_shared_outputs(planned)
    digests = {}
    for _, request in planned:
        if request.templates not in digests:
            digests[request.templates] = templates_digest(request.templates)
    results, stale = [], []
    for handout, request in planned:
        entry = before.get(handout.name)
        if not force and up_to_date(entry, handout, request, folder, digests[request.templates]):
            results.append(Result(handout.name, UP_TO_DATE, entry=entry))
            entries[handout.name] = entry
        else:
            stale.append((handout, request))
            if entry:
                entries[handout.name] = entry  # a failed rebuild leaves the old files: still listed
    try:
        if stale:
            with Progress(len(stale), quiet) as shown:
                for result in _laid_out(stale, folder, digests, jobs, scheduler):
                    results.append(result)
                    if result.entry:
                        entries[result.name] = result.entry
                    shown(result)
    except BaseException:  # stopped: the workers are gone; a write they had begun is not
        for temporary in folder.rglob(".*.pdf.*.tmp"):
            temporary.unlink(missing_ok=True)
        raise
    finally:  # what was built is recorded, even when the run is interrupted
        entries = {h.name: entries[h.name] for h in handouts if h.name in entries}
        templates = planned[0][1].templates if planned else None
        failures = {r.name: r.error for r in results if r.state == FAILED}
        unwritten = _write_record(entries, record_path, index_path, templates, failures)
    watched = {h.source for h in handouts}
    for handout, request in planned:
        roots = _roots(handout, request)
        entry = entries.get(handout.name) or {"inputs": {}}
        watched.update(_located(name, roots) for name in entry["inputs"])
    for templates in digests:
        watched.update(template_files(templates))
    order = {h.name: n for n, h in enumerate(handouts)}
    results.sort(key=lambda result: order[result.name])
    return Summary(results, record_path, index_path, frozenset(watched), unwritten)


def _write_record(entries, record_path, index_path, templates, failures):
    """Write the record and the index; why not, as one line, when the folder refuses them.

    A folder that takes no record (read-only, a folder in its place) still gets the run's
    summary: the handouts' own results are reported, and this line after them.
    """
    from .errors import BookletError

    try:
        _write_if_changed(record_path, _record_bytes(entries))
        index = render_index(entries, index_path.parent, templates, failures)
        _write_if_changed(index_path, index)
    except BookletError as error:
        return error.format_message()
    return ""


def _refuse_shared_outputs(planned):
    """Two handouts writing one file (guide.md -e print and guide-print.md) is a usage error."""
    writers = {}
    for handout, request in planned:
        for output in request.outputs:
            other = writers.setdefault(Path(output.path).resolve(), handout)
            if other is not handout:
                raise click.UsageError(
                    f"{other.source} and {handout.source} would both write "
                    f"{Path(output.path).name}; rename one of them."
                )


def read_record(path):
    """The record's entries by handout name; empty when there is none or it is unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("program") != f"booklet {__version__}":
        return {}
    handouts = data.get("handouts")
    return handouts if isinstance(handouts, dict) else {}


def _record_bytes(entries):
    record = {"program": f"booklet {__version__}", "handouts": entries}
    return (json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _write_if_changed(path, data):
    """Write atomically, and only when the content differs: an unchanged run writes nothing."""
    from .output import write_files

    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    write_files({path: data})


def render_index(entries, folder, templates=None, failures=None):
    """The front desk's catalogue: each handout's title, language, pages, level and files."""
    # `failures` (name: error line) are listed too, with any files an earlier build left:
    # a handout that failed is never silently missing.
    import jinja2

    from .render import TEMPLATES

    folders = [str(templates)] if templates else []
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*folders, str(TEMPLATES)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    failures = failures or {}
    unbuilt = {"title": "", "language": "", "grade": None, "files": []}
    order = sorted({*entries, *failures})  # the library's order: by name
    handouts = []
    for name in order:
        entry = entries.get(name) or unbuilt
        handouts.append(
            {
                **entry,
                "name": name,
                "pages": next(
                    (f["pages"] for f in entry["files"] if f["kind"] != "print sheets"), ""
                ),
                "files": [{**f, "href": quote(f["file"])} for f in entry["files"]],
                "error": failures.get(name, ""),
            }
        )
    html = environment.get_template(INDEX_TEMPLATE).render(handouts=handouts, version=__version__)
    return html.encode()


# ---------------------------------------------------------------- what the user sees


class Progress:
    """A progress bar on a terminal; one line per handout in a pipe; nothing with --quiet."""

    def __init__(self, total, quiet):
        self.total, self.quiet, self.done, self.bar = total, quiet, 0, None

    def __enter__(self):
        if not self.quiet and sys.stdout.isatty():
            self.bar = click.progressbar(
                length=self.total, label="Laying out", item_show_func=lambda name: name
            ).__enter__()
        return self.show

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def show(self, result):
        self.done += 1
        for warning in result.warnings:
            click.echo(f"Warning: {warning}", err=True)
        if self.bar is not None:
            self.bar.update(1, result.name)
        elif not self.quiet:
            what = result.state
            if result.entry and result.state == BUILT:
                files = ", ".join(Path(f["file"]).name for f in result.entry["files"])
                what = f"built {files}"
            click.echo(f"[{self.done}/{self.total}] {result.name}: {what}")


def report(summary, quiet=False):
    """`built N, up to date M, failed K`, then each failure as its one line."""
    if not quiet:
        click.echo(
            f"built {summary.count(BUILT)}, up to date {summary.count(UP_TO_DATE)}, "
            f"failed {summary.count(FAILED)}"
        )
    for result in summary.results:
        if result.state == FAILED:
            click.echo(f"Error: {result.error}", err=True)
    if summary.unwritten:
        click.echo(f"Error: {summary.unwritten}", err=True)
