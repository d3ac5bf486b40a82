"""A library's handouts laid out on a Dask cluster's workers (`--scheduler`).

The command finds the handouts, decides what changed, and writes every PDF and the record,
as for local workers. A worker gets each handout as values — the essay and the files it
names, the settings, SOURCE_DATE_EPOCH — and the templates folder once, as a tar keyed by
its digest, unpacked once per machine. It lays the handout out in a temporary folder that
mirrors the command's paths, and returns the PDFs' bytes and what the build learned, with
its paths the command's again. No shared file system is assumed.
"""

import contextlib
import dataclasses
import io
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .library import (
    FAILED,
    RECORD,
    Result,
    _located,
    _roots,
    read_record,
    template_files,
    templates_digest,
)

_BLOBS = {}  # digest -> the templates folder as a tar (the command's process, --watch)


@dataclass(frozen=True)
class Parcel:
    """One handout's build as values: its request (the command's paths) and its files."""

    name: str
    request: object  # a pipeline.Request, paths absolute as on the command's machine
    files: dict  # absolute path on the command's machine (str) -> bytes
    shown: dict  # a path as the worker resolves it (str) -> as the command shows it
    digest: str  # the templates folder's
    epoch: str | None  # SOURCE_DATE_EPOCH as the command has it
    version: str = __version__  # the command's: a worker with another lays nothing out


@dataclass(frozen=True)
class Back:
    """What a worker returns: the built handout (the command's paths) and its PDFs' bytes."""

    built: object  # a pipeline.Built
    files: dict  # output path (the command's) -> bytes


def templates_blob(templates):
    """The templates folder (as a library build reads it) as one uncompressed tar."""
    digest = templates_digest(templates)
    if digest not in _BLOBS:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for path in template_files(templates):
                tar.add(path, arcname=path.relative_to(templates).as_posix(), recursive=False)
        _BLOBS.clear()  # one templates folder at a time is plenty
        _BLOBS[digest] = buffer.getvalue()
    return _BLOBS[digest]


def _absolute(path):
    return Path(os.path.abspath(path))


def pack(handout, request, entry):
    """The handout's build as a Parcel: the files it will read, read here."""
    from .errors import BookletError
    from .pipeline import _roots as build_roots
    from .pipeline import choose_log

    templates = Path(request.templates).resolve()
    clinic = request.clinic
    shown = {}
    wanted = {Path(handout.source).resolve()}
    if clinic.path is not None:
        wanted.add(clinic.path.resolve())
        shown[str(_absolute(clinic.path))] = str(clinic.path)
        clinic = dataclasses.replace(clinic, path=_absolute(clinic.path))
        if clinic.logo is not None:
            wanted.add(clinic.logo.resolve())
    log = request.log
    if log is not None:
        from .logbook import is_preset_name

        if not is_preset_name(log):  # a definition's path, from the command's folder
            wanted.add(Path(log).resolve())
            shown[str(_absolute(log))] = log
            log = str(_absolute(log))
    request = dataclasses.replace(
        request,
        clinic=clinic,
        log=log,
        templates=templates,
        outputs=tuple(dataclasses.replace(o, path=_absolute(o.path)) for o in request.outputs),
    )
    try:  # the essay names its images and log: read it as the build will (it is cheap)
        from .essay import read_essay

        essay = read_essay(
            request.source,
            request.max_bytes,
            allowed=build_roots(request, request.source),
            toc_depth=clinic.toc_depth,
        )
        wanted.update(essay.images)
        log_pages = request.log_pages or (request.log_if_named if essay.log else 0)
        wanted.update(choose_log(request, essay, log_pages)[1])
    except BookletError:
        pass  # the worker says why, as a local build would
    # What it read last time: an image an SVG shows, say.
    roots = _roots(handout, request)
    wanted.update(_located(name, roots) for name in (entry or {}).get("inputs", {}))
    files = {}
    for path in wanted:
        path = Path(path).resolve()
        if path.is_relative_to(templates):
            continue  # the worker has the templates folder
        try:
            files[str(path)] = path.read_bytes()
        except OSError:
            pass  # not there: nor is it on the worker
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return Parcel(handout.name, request, files, shown, templates_digest(templates), epoch)


# ---------------------------------------------------------------- on the worker


def _scratch():
    """The worker's own folder (Dask removes it when the worker ends), else the temporary one."""
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory)
    except (ImportError, ValueError):
        return Path(tempfile.gettempdir())


def _templates_copy(digest, blob):
    """The templates folder unpacked, once per worker process and digest."""
    folder = _scratch() / f"booklet-templates-{digest}"
    if not folder.is_dir():
        partial = Path(
            tempfile.mkdtemp(prefix=f".booklet-templates-{digest[:12]}-", dir=_scratch())
        )
        with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
            tar.extractall(partial, filter="data")
        try:
            partial.rename(folder)  # atomic: another worker may have done it first
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
    return folder


def lay_out_remotely(blobs, parcel, handout):
    """On a worker: lay the handout out in a temporary folder; a Back (or a failed Result)."""
    from .library import fonts, try_build

    if parcel.version != __version__:  # the record's key holds the command's version
        return Result(
            parcel.name,
            FAILED,
            error=f"{handout.source}: not built: a worker has booklet {__version__}, the "
            f"command {parcel.version}; install the same wheel on every worker",
        )
    templates = _templates_copy(parcel.digest, blobs[parcel.digest])
    top = Path(tempfile.mkdtemp(prefix="booklet-handout-", dir=_scratch()))

    def moved(path):
        path = _absolute(path)
        return top / path.relative_to(path.anchor)

    # The worker's paths in what it says are the command's again: the files named as the
    # command names them first, then the templates copy, then the temporary folder.
    replaced = [(str(moved(p)), shown) for p, shown in parcel.shown.items()]
    replaced += [(str(templates), str(parcel.request.templates)), (str(top), "")]

    def back(text):
        text = str(text)
        for worker, command in replaced:
            text = text.replace(worker, command)
        return text

    previous = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        for name, data in parcel.files.items():
            path = moved(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        request = parcel.request
        for root in _roots(handout, request).values():
            moved(root).mkdir(parents=True, exist_ok=True)
        linked = moved(request.templates)  # `../templates/x.png` from an essay still works
        linked.parent.mkdir(parents=True, exist_ok=True)
        if not linked.exists():
            linked.symlink_to(templates, target_is_directory=True)
        clinic = request.clinic
        if clinic.path is not None:
            clinic = dataclasses.replace(
                clinic,
                path=moved(clinic.path),
                logo=moved(clinic.logo) if clinic.logo else None,
                allow=tuple(moved(p) for p in clinic.allow),
            )
        here = dataclasses.replace(
            request,
            source=moved(request.source),
            clinic=clinic,
            outputs=tuple(dataclasses.replace(o, path=moved(o.path)) for o in request.outputs),
            templates=templates,
            allow=tuple(moved(p) for p in request.allow),
            log=str(moved(request.log)) if request.log in parcel.shown.values() else request.log,
        )
        _set_epoch(parcel.epoch)
        worked = dataclasses.replace(handout, source=here.source, root=moved(handout.root))
        urls = [(templates.as_uri(), Path(request.templates).as_uri()), (top.as_uri(), "file://")]
        with _image_names(urls):
            built = try_build(worked, here, fonts())
        if isinstance(built, Result):
            return dataclasses.replace(built, error=back(built.error))
        files = [Path(written.path).read_bytes() for written in built.written]
        built = dataclasses.replace(
            built,
            written=[dataclasses.replace(w, path=None) for w in built.written],
            warnings=[back(warning) for warning in built.warnings],
            inputs=frozenset(Path(back(p)) for p in built.inputs),
            missing=tuple(Path(back(p)) for p in built.missing),
        )
        return Back(built, files)
    finally:
        _set_epoch(previous)
        shutil.rmtree(top, ignore_errors=True)


# ---------------------------------------------------------------- on the command's machine


def land(handout, request, folder, digest, back):
    """Write what a worker laid out (atomically, as a local build does); its Result."""
    from .library import built_result
    from .output import write_files

    written = [
        dataclasses.replace(w, path=output.path)
        for w, output in zip(back.built.written, request.outputs, strict=True)
    ]
    write_files({w.path: data for w, data in zip(written, back.files, strict=True)})
    built = dataclasses.replace(back.built, written=written)
    return built_result(handout, request, folder, digest, built)


def on_cluster(stale, folder, digests, scheduler):
    """Lay the stale handouts out on the cluster; yield each Result as it comes."""
    from .workers import map_unordered

    before = read_record(Path(folder) / RECORD)
    blobs = {digest: templates_blob(templates) for templates, digest in digests.items()}

    def parcels():  # read as they are sent, not all at once
        for handout, request in stale:
            yield pack(handout, request, before.get(handout.name)), handout

    def lost(index, error):
        handout = stale[index][0]
        return Result(
            handout.name,
            FAILED,
            error=f"{handout.source}: not built: the worker laying it out died each time it "
            f"was tried ({type(error).__name__}; the scheduler's allowed-failures)",
        )

    for index, back in map_unordered(
        lay_out_remotely, parcels(), shared=blobs, scheduler=scheduler, lost=lost
    ):
        if isinstance(back, Result):
            yield back
        else:
            handout, request = stale[index]
            yield land(handout, request, folder, digests[request.templates], back)


@contextlib.contextmanager
def _image_names(urls):
    """WeasyPrint names a raster image in the PDF by its URL's MD5: the command's URL here,
    so the worker's PDF is the local build's, byte for byte."""
    from weasyprint import images

    real = images.md5

    def md5(data, **options):
        text = data.decode()
        for worker, command in urls:
            if text.startswith(worker):
                text = command + text[len(worker) :]
        return real(text.encode(), **options)

    images.md5 = md5
    try:
        yield
    finally:
        images.md5 = real


def _set_epoch(value):
    if value is None:
        os.environ.pop("SOURCE_DATE_EPOCH", None)
    else:
        os.environ["SOURCE_DATE_EPOCH"] = value
