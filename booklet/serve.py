"""--serve: a live preview of the booklet's real pages in the browser, on this machine only.

The change loop (watch.py) builds with `pipeline.build`, as --watch does; this module
hears of each build, renders the pages that changed to PNG and tells the open pages by
Server-Sent Events. The server answers a fixed set of routes from memory: the page and its
assets, the state as JSON, the page images and the PDFs the build wrote. No request names
a file on disk, so no request can reach one.
"""

import errno
import hashlib
import io
import ipaddress
import json
import re
import socket
import struct
import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote

import click

ASSETS = Path(__file__).resolve().parent / "preview"
SCALE = 1.5  # pixels a PDF point: sharp on a 1.5× screen, small enough to render fast
KEEP_ALIVE_SECONDS = 15  # an idle event stream says so this often, so a closed tab is seen
WILDCARDS = {"0.0.0.0", "::", ""}


class ServeError(click.ClickException):
    """The preview cannot listen where it was asked to; a usage error, exit 2."""

    exit_code = 2


# ---------------------------------------------------------------- page images


def page_key(page):
    """A hash of what a page draws: its size, content stream and the XObjects it uses."""
    import pikepdf

    digest = hashlib.sha256()
    digest.update(repr([float(v) for v in page.mediabox]).encode())
    digest.update(repr(int(page.obj.get("/Rotate", 0))).encode())
    seen = set()

    def add(holder, contents):
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        for stream in streams:
            if stream is not None:
                digest.update(stream.read_raw_bytes())
        resources = holder.get("/Resources")
        objects = resources.get("/XObject") if resources is not None else None
        for name in sorted(objects.keys()) if objects is not None else ():
            xobject = objects[name]
            digest.update(name.encode())
            if xobject.objgen != (0, 0) and xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            if xobject.get("/Subtype") == "/Form":
                add(xobject, xobject)  # print sheets: each page is a form drawn on a sheet
            else:
                digest.update(xobject.read_raw_bytes())

    add(page.obj, page.obj.get("/Contents"))
    return digest.hexdigest()[:32]


def png(width, height, rgb, stride):
    """An RGB image as PNG bytes (no Pillow at run time: zlib and a few chunks)."""
    rows = b"".join(b"\x00" + rgb[y * stride : y * stride + width * 3] for y in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 3))
        + chunk(b"IEND", b"")
    )


class Pages:
    """Rendered pages by key, in memory: a rebuild renders only the pages whose key is new."""

    def __init__(self):
        self.images = {}
        self.lock = threading.Lock()

    def describe(self, data):
        """[(key, width pt, height pt)] of each page of a PDF, rendering those not seen yet."""
        import pikepdf

        with pikepdf.open(io.BytesIO(data)) as pdf:
            pages = [
                (
                    page_key(page),
                    float(page.mediabox[2] - page.mediabox[0]),
                    float(page.mediabox[3] - page.mediabox[1]),
                )
                for page in pdf.pages
            ]
        new = [n for n, (key, _, _) in enumerate(pages) if key not in self.images]
        if new:
            import pypdfium2 as pdfium

            document = pdfium.PdfDocument(data)
            try:
                for n in new:
                    bitmap = document[n].render(scale=SCALE, rev_byteorder=True)
                    image = png(bitmap.width, bitmap.height, bytes(bitmap.buffer), bitmap.stride)
                    with self.lock:
                        self.images[pages[n][0]] = image
            finally:
                document.close()
        return pages

    def get(self, key):
        with self.lock:
            return self.images.get(key)

    def keep(self, keys):
        """Forget pages no view shows any more: memory stays the size of the booklet."""
        with self.lock:
            self.images = {k: v for k, v in self.images.items() if k in keys}


# ---------------------------------------------------------------- what the page shows


def _read_output(path):
    """The bytes the build wrote, never through a symbolic link put in its place."""
    import os

    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as file:
        return file.read()


def _shown(path):
    from .cli import _shown as shown

    return shown(path)


@dataclass
class View:
    """One handout's preview: what the last good build made, and the last error."""

    name: str = ""
    title: str = ""
    direction: str = "ltr"
    outputs: tuple = ()  # ({label, sheets, pages: [{key, width, height}]}, ...)
    wrote: tuple = ()  # ({line, href, file}, ...)
    warnings: tuple = ()
    reading: str = ""
    problems: tuple = ()  # ({line, message}, ...)
    error: str = ""
    to_print: str = ""

    def as_dict(self):
        return {
            "name": self.name,
            "title": self.title,
            "direction": self.direction,
            "outputs": list(self.outputs),
            "wrote": list(self.wrote),
            "warnings": list(self.warnings),
            "reading": self.reading,
            "problems": list(self.problems),
            "error": self.error,
            "toPrint": self.to_print,
        }


def _label(kind, path):
    return f"{Path(path).name} — {kind}"


class Preview:
    """The state every open page shows; the change loop's hooks (building, built, failed)."""

    def __init__(self, library=False, check=None, sources=()):
        self.library = library
        self.check = check  # an essay -> its readability report (--check's)
        self.sources = sources  # the library's SOURCE arguments
        self.pages = Pages()
        self.files = {}  # token -> (file name, bytes): the PDFs the last builds wrote
        self.views = {}  # name -> View ("" for the one essay)
        self.order = []  # the library's handouts, in order
        self.epoch = 0
        self.building_now = False
        self.error = ""  # a failure of the whole run (the library's), shown on top
        self.changed = threading.Condition()
        self.stop = threading.Event()
        self._checks = {}  # source hash -> readability report: a library re-measures edits only

    # -- the hooks the change loop calls (its thread)

    def building(self, changed):
        with self.changed:
            self.building_now = True
            self.epoch += 1
            self.changed.notify_all()

    def failed(self, message):
        with self.changed:
            if self.library:
                self.error = message
            else:
                view = self.views.get("") or View()
                view.error = message
                self.views[""] = view
            self.building_now = False
            self.epoch += 1
            self.changed.notify_all()

    def built(self, request, built):
        """One essay built: describe and render its outputs, then tell the open pages."""
        view = self._view(
            "",
            built.title,
            built.language,
            [(w.path, w.kind, w.pages, w.size) for w in built.written],
            built.warnings,
            self._report(request.source) or built.reading,
        )
        self._publish({"": view})

    def built_library(self, summary):
        """A library run: each handout's view from its record entry and its files."""
        from .library import FAILED, find_handouts

        folder = summary.record.parent
        try:
            sources = {h.name: h.source for h in find_handouts(self.sources)}
        except click.ClickException:
            sources = {}
        views = {}
        for result in summary.results:
            entry = result.entry or {}
            old = self.views.get(result.name)
            if not entry:
                view = old or View(name=result.name, title=result.name)
                view.error = result.error
                views[result.name] = view
                continue
            files = [(folder / f["file"], f["kind"], f["pages"], f["size"]) for f in entry["files"]]
            source = sources.get(result.name)
            report = self._report(source) if source is not None else None
            try:
                view = self._view(
                    result.name,
                    entry.get("title") or result.name,
                    entry.get("language") or "en",
                    files,
                    result.warnings,
                    report,
                )
            except OSError as error:  # an output removed by hand: the old view stays
                view = old or View(name=result.name, title=result.name)
                view.error = f"{result.name}: cannot read what was built ({error.strerror})"
            if result.state == FAILED:
                view.error = result.error
            views[result.name] = view
        self.order = [result.name for result in summary.results]
        self.error = summary.unwritten
        self._publish(views)

    def _report(self, source):
        """--check's report on an essay, measured again only when its file changed."""
        from .library import file_hash

        if self.check is None:
            return None
        stamp = file_hash(source)
        if stamp and stamp not in self._checks:
            try:
                self._checks[stamp] = self.check(source)
            except click.ClickException:
                return None
        return self._checks.get(stamp)

    # -- building the state

    def _view(self, name, title, language, written, warnings, report):
        from .language import direction
        from .readability import reading_level_line

        outputs, wrote, files = [], [], {}
        for path, kind, pages, size in written:
            data = _read_output(path)
            token = hashlib.sha256(data).hexdigest()[:16]
            files[token] = (Path(path).name, data)
            described = self.pages.describe(data)
            outputs.append(
                {
                    "label": _label(kind, path),
                    "sheets": kind == "print sheets",
                    "pages": [{"key": k, "width": w, "height": h} for k, w, h in described],
                }
            )
            unit = "sheet sides" if kind == "print sheets" else "pages"
            wrote.append(
                {
                    "line": f"Wrote {_shown(path)} ({kind}, {pages} {unit}, {_size(size)})",
                    "href": f"/pdf/{token}/{quote(Path(path).name)}",
                }
            )
        problems = ()
        reading = ""
        if report is not None:
            reading = reading_level_line(report)
            problems = tuple(
                {"line": p.line, "message": p.message}
                for p in sorted(report.problems, key=lambda p: p.line)
            )
        to_print = ""
        if any(kind == "print sheets" for _, kind, _, _ in written):
            to_print = (
                "To print: double-sided, flip on short edge, then fold in half and staple "
                "at the fold."
            )
        with self.changed:
            self.files.update(files)
        return View(
            name,
            title,
            direction(language) if language else "ltr",
            tuple(outputs),
            tuple(wrote),
            tuple(warnings),
            reading,
            problems,
            "",
            to_print,
        )

    def _publish(self, views):
        with self.changed:
            self.views.update(views)
            if not self.library:
                self.views = {"": self.views[""]}
            keys = {
                page["key"]
                for view in self.views.values()
                for output in view.outputs
                for page in output["pages"]
            }
            tokens = {
                item["href"].split("/")[2] for view in self.views.values() for item in view.wrote
            }
            self.files = {t: f for t, f in self.files.items() if t in tokens}
            self.building_now = False
            self.epoch += 1
            self.changed.notify_all()
        self.pages.keep(keys)

    # -- what the server asks (its threads)

    def state(self, name=None):
        """The JSON the page renders: one handout's view, or the library's index."""
        with self.changed:
            common = {"epoch": self.epoch, "building": self.building_now}
            if not self.library:
                view = self.views.get("") or View()
                return {**common, "kind": "handout", **view.as_dict()}
            if name is not None:
                view = self.views.get(name)
                if view is None:
                    return None
                return {**common, "kind": "handout", "index": "/", **view.as_dict()}
            handouts = []
            for handout in self.order:
                view = self.views.get(handout) or View(name=handout)
                pages = view.outputs[0]["pages"] if view.outputs else []
                handouts.append(
                    {
                        "name": handout,
                        "title": view.title or handout,
                        "href": "/handout/" + quote(handout),
                        "first": pages[0] if pages else None,
                        "error": view.error,
                        "pages": len(pages),
                    }
                )
            return {**common, "kind": "index", "error": self.error, "handouts": handouts}

    def wait(self, epoch, timeout):
        """The epoch once it is past `epoch` (or after timeout); None when stopping."""
        with self.changed:
            self.changed.wait_for(lambda: self.epoch != epoch or self.stop.is_set(), timeout)
            return None if self.stop.is_set() else self.epoch

    def close(self):
        with self.changed:
            self.stop.set()
            self.changed.notify_all()


def _size(n):
    from .cli import _size as size

    return size(n)


# ---------------------------------------------------------------- the server

_SAFE_NAME = re.compile(r"[^/\\\x00]+")
PAGE_ROUTE = re.compile(r"/page/([0-9a-f]{32})\.png")
PDF_ROUTE = re.compile(r"/pdf/([0-9a-f]{16})/([^/]+)")
ASSET_FILES = {
    "/assets/preview.js": ("preview.js", "text/javascript; charset=utf-8"),
    "/assets/preview.css": ("preview.css", "text/css; charset=utf-8"),
}
PAGE_POLICY = (
    "default-src 'none'; img-src 'self'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class Handler(BaseHTTPRequestHandler):
    """Fixed routes, answered from memory; anything else is refused."""

    server_version = "booklet-preview"
    sys_version = ""

    def log_message(self, format, *args):  # the terminal shows builds, not requests
        pass

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head=False):
        self.head = head
        server = self.server
        if not server.allowed_host(self.headers.get("Host", "")):
            return self.refuse(403, "Forbidden: this preview answers only at its own address.")
        target = self.path
        if not target.startswith("/") or target.startswith("//"):
            return self.refuse(400, "Bad request.")
        raw, _, query = target.partition("?")
        path = unquote(raw)
        parts = path.split("/")[1:]
        if any(part in (".", "..") or "\\" in part or "\x00" in part for part in parts):
            return self.refuse(400, "Bad request.")
        preview = server.preview
        if path == "/":
            return self.page(None)
        if path.startswith("/handout/") and preview.library:
            name = path[len("/handout/") :]
            if preview.state(name) is None:
                return self.refuse(404, "Not found.")
            return self.page(name)
        if path == "/state.json":
            name = parse_qs(query).get("handout", [None])[0]
            state = preview.state(name)
            if state is None:
                return self.refuse(404, "Not found.")
            return self.send(200, json.dumps(state).encode(), "application/json", cache=False)
        if path == "/events":
            return self.events()
        if path in ASSET_FILES:
            file, kind = ASSET_FILES[path]
            return self.send(200, server.assets[file], kind, cache=False)
        match = PAGE_ROUTE.fullmatch(path)
        if match:
            image = preview.pages.get(match.group(1))
            if image is None:
                return self.refuse(404, "Not found.")
            return self.send(200, image, "image/png", cache=True)
        match = PDF_ROUTE.fullmatch(path)
        if match:
            with preview.changed:
                named = preview.files.get(match.group(1))
            if named is None or named[0] != match.group(2):
                return self.refuse(404, "Not found.")
            return self.send(
                200,
                named[1],
                "application/pdf",
                cache=False,
                extra={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(named[0])}"},
            )
        return self.refuse(404, "Not found.")

    def do_POST(self):
        self.head = False
        self.refuse(405, "Only GET.")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def page(self, name):
        """The HTML shell; the state is inline, so the first paint needs no second request."""
        state = self.server.preview.state(name)
        inline = json.dumps(state).replace("<", "\\u003c")
        html = self.server.assets["page.html"].decode().replace("{{STATE}}", inline)
        self.send(200, html.encode(), "text/html; charset=utf-8", cache=False, policy=True)

    def events(self):
        """Server-Sent Events: one `build` event each time the state changes."""
        preview = self.server.preview
        self.send_response(200)
        self.common_headers("text/event-stream", cache=False)
        self.end_headers()
        epoch = preview.epoch
        try:
            self.wfile.write(f"retry: 1000\nevent: build\ndata: {epoch}\n\n".encode())
            self.wfile.flush()
            while True:
                now = preview.wait(epoch, KEEP_ALIVE_SECONDS)
                if now is None:
                    return
                if now == epoch:
                    self.wfile.write(b": still here\n\n")
                else:
                    epoch = now
                    self.wfile.write(f"event: build\ndata: {epoch}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the page was closed

    def common_headers(self, kind, cache, policy=False):
        self.send_header("Content-Type", kind)
        self.send_header(
            "Cache-Control", "private, max-age=31536000, immutable" if cache else "no-store"
        )
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        if policy:
            self.send_header("Content-Security-Policy", PAGE_POLICY)
            self.send_header("X-Frame-Options", "DENY")

    def send(self, status, body, kind, cache, policy=False, extra=None):
        self.send_response(status)
        self.common_headers(kind, cache, policy)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self.head:
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def refuse(self, status, message):
        self.send(status, (message + "\n").encode(), "text/plain; charset=utf-8", cache=False)


class PreviewServer(ThreadingHTTPServer):
    """The standard library's threaded server: one thread a request, SSE streams included."""

    daemon_threads = True
    block_on_close = False
    # SO_REUSEADDR: the last run's closed connections do not hold the port; on Linux a
    # port another program listens on is still refused. Never SO_REUSEPORT (two listeners).
    allow_reuse_address = True
    allow_reuse_port = False

    def __init__(self, address, family, preview, hosts, any_address):
        self.address_family = family
        self.preview = preview
        self.hosts = hosts
        self.any_address = any_address
        names = ("page.html", "preview.js", "preview.css")
        self.assets = {name: (ASSETS / name).read_bytes() for name in names}
        super().__init__(address, Handler)

    def allowed_host(self, host):
        """The Host header names this server: no DNS-rebound page can read it."""
        host = host.strip().lower()
        if host in self.hosts:
            return True
        if not self.any_address:
            return False
        name, _, port = host.rpartition(":")
        if port != str(self.server_address[1]):
            return False
        try:
            ipaddress.ip_address(name.strip("[]"))
            return True  # an address typed by hand; a rebinding attack needs a name
        except ValueError:
            return name in {socket.gethostname().lower(), socket.getfqdn().lower()}


def _listen(host, port, preview):
    """Bind now, before the first build: a busy port is said at once."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        reason = error.strerror
        raise ServeError(f"--host {host}: not an address of this machine ({reason})") from None
    family, _, _, _, address = infos[0]
    try:
        server = PreviewServer(address[:2], family, preview, set(), host in WILDCARDS)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} is in use (another preview or program); choose another with --port N"
            ) from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise ServeError(f"--host {host}: not an address of this machine") from None
        raise ServeError(f"cannot listen on {host} port {port}: {error.strerror}") from None
    bound = server.server_address[1]
    names = {"127.0.0.1", "localhost", "[::1]", host.lower()}
    if ":" in host:
        names.add(f"[{host.lower()}]")
    server.hosts = {f"{name}:{bound}" for name in names}
    return server, bound


def _loopback(host):
    """An address of this machine alone: 127.0.0.0/8, ::1, localhost."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextmanager
def serving(host, port, library=False, check=None, sources=()):
    """Listen, serve in a thread, yield the Preview the change loop feeds; close on the way out."""
    if not _loopback(host):
        click.echo(
            f"Warning: --host {host}: the preview is on the network, not this machine alone: "
            "anyone who can reach this address can read the patients' documents it shows.",
            err=True,
        )
    preview = Preview(library, check, sources)
    server, bound = _listen(host, port, preview)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    shown = "127.0.0.1" if host in WILDCARDS else shown
    click.echo(f"Serving the preview on http://{shown}:{bound}/ (Ctrl-C to stop)")
    try:
        yield preview
    finally:
        preview.close()
        server.shutdown()
        server.server_close()
        thread.join(5)
        click.echo("Stopped serving.")
