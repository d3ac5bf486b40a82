"""Links, images and addresses in the essay: what a mailed booklet may carry, and what not."""

import html
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from xml.etree import ElementTree as etree

from markdown.util import AMP_SUBSTITUTE

LINK_SCHEMES = ("http", "https", "mailto", "tel")
HEADINGS = {f"h{n}" for n in range(1, 7)}
FOLD_AFTER = 5  # problems of one family said one by one; the rest in one line
# Web and e-mail addresses in running text; \x02 \x03 delimit Markdown's placeholders.
ADDRESS = re.compile(
    r"(?:https?://|www\.)[^\s<>()\x02\x03\"]*[^\s<>()\x02\x03\"'.,;:!?]"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
BREAK_AFTER = re.compile(r"(?<=[/.])(?=[^/.])")  # after / and ., not inside // or ...
NOT_PROSE = {"code", "pre", "kbd", "a"}
FOOTNOTE_BACK = re.compile(r"fnref\d*:(.+)")  # Python-Markdown's id for a note's mark
ALLOW_HINT = (
    'let the build read its folder with --allow {folder} (or allow = ["{folder}"] in the settings)'
)


def loose(text):
    """A heading id or link target reduced to lower-case words joined by '-'."""
    return re.sub(r"[\W_]+", "-", unquote(text).lower()).strip("-")


def plain(text):
    """Element text without Markdown's placeholders, escapes decoded."""
    text = re.sub(r"\x02(\d+)\x03", lambda m: chr(int(m[1])), text)
    return html.unescape(re.sub(r"\x02[^\x03]*\x03", "", text)).strip()


class References:
    """Checks every link and image, dropping what cannot go in the PDF; notes each with its line."""

    def __init__(self, text, body_start, folder, roots):
        self.text = text  # the whole source file: line numbers include the front matter
        self.body_start = body_start
        self.folder = Path(folder).resolve()
        self.roots = tuple(Path(root).resolve() for root in roots)
        self.notes = {}  # (kind, target): (line, message)
        self.missing = set()  # files looked for in an allowed folder and not there
        self.found = set()  # image files it names that are there (a cluster's worker needs them)

    def line(self, *needles):
        """The source line where one of `needles` first appears in the body, else None."""
        for needle in needles:
            if needle:
                at = self.text.find(needle, self.body_start)
                if at >= 0:
                    return self.text.count("\n", 0, at) + 1
        return None

    def note(self, kind, target, message, *needles):
        """Remember one problem per target, with the line it is written on."""
        if (kind, target) not in self.notes:
            self.notes[kind, target] = (self.line(*needles), message)

    def check(self, root):
        """Check links and images in the element tree, changing it in place."""
        ids = {element.get("id") for element in root.iter() if element.get("id")}
        aliases = {}
        for element in root.iter():
            if element.tag in HEADINGS and element.get("id"):
                aliases.setdefault(loose(plain("".join(element.itertext()))), element.get("id"))
        aliases.update({loose(anchor): anchor for anchor in ids})
        for link in list(root.iter("a")):
            self._link(link, ids, aliases)
        for image in list(root.iter("img")):
            self._image(image)

    def _link(self, link, ids, aliases):
        written = link.get("href", "")
        href = html.unescape(written.replace(AMP_SUBSTITUTE, "&")).strip()
        scheme = urlsplit(href).scheme.lower() if ":" in href else ""
        address = re.split(r"[?#]", href[len(scheme) + 1 :])[0].strip()
        if scheme in ("mailto", "tel") and not address:
            what = "e-mail address" if scheme == "mailto" else "phone number"
            self.note(
                "link",
                href,
                f"link {href} has no {what}: printed as plain text; write one after '{scheme}:'",
                f"({href})",
                f"({href}",
                f"<{href}",
                f": {href}",
            )
            _unwrap(link)
            return
        if scheme in LINK_SCHEMES:
            return
        needles = (f"({href}", f"<{href}", f": {href}", href)
        if href.startswith("#") and len(href) > 1:
            anchor = unquote(href[1:])
            if anchor in ids:
                return
            if note := FOOTNOTE_BACK.fullmatch(anchor):
                # A note the text never refers to: its way back leads nowhere.
                name = note[1]
                self.note(
                    "footnote",
                    name,
                    f"footnote [^{name}] is never referred to in the text: its note is "
                    "printed with the others, with no mark pointing to it",
                    f"[^{name}]:",
                )
                link.text = ""
                _unwrap(link)
                return
            if loose(anchor) in aliases:
                link.set("href", "#" + aliases[loose(anchor)])
                return
            self.note(
                "link",
                href,
                f"link to {href}: no heading has that id; printed as plain text",
                *needles,
            )
        elif not href or href == "#":
            self.note("link", href, "link with no address; printed as plain text", "]()", "](#)")
        else:
            self.note(
                "link",
                href,
                f"link to {href} printed as plain text: a booklet links only to web and e-mail "
                "addresses (https://…, mailto:) and its own headings, never to files or site paths",
                *needles,
            )
        _unwrap(link)

    def _image(self, image):
        src = image.get("src", "").strip()
        problem = self._image_problem(src)
        if problem:
            self.note("image", src, problem, f"({src}", f": {src}", src)
            alt = image.get("alt", "")
            image.attrib.clear()
            image.tag = "span"
            image.set("class", "missing-image")
            image.text = alt

    def _image_problem(self, src):
        """Why the image at `src` cannot be used, or None when the build may read it."""
        parts = urlsplit(src)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return None
        if scheme in ("http", "https") or src.startswith("//"):
            from .fetcher import NO_NETWORK  # imports WeasyPrint: only when it is needed

            return f"refused to read {src}: {NO_NETWORK}"
        if scheme == "file":
            raw = url2pathname(parts.path)
        elif len(scheme) > 1:
            return f"image {src} cannot be used: write the path of a file beside the essay"
        else:
            raw = unquote(parts.path)
        if not raw:
            return "image with no file name"
        try:
            path = (self.folder / raw).resolve()  # an absolute `raw` replaces the folder
        except (OSError, RuntimeError, ValueError):
            return f"image {src} cannot be read"
        inside = any(path.is_relative_to(root) for root in self.roots)
        if inside:
            if path.is_file():
                self.found.add(path)
                return _too_large(path, src)
            self.missing.add(path)  # when it appears, the booklet changes
            return f"image not found: {src}"
        if path.is_file():
            from .fetcher import OUTSIDE

            return f"refused to read {src}: {OUTSIDE}; {ALLOW_HINT.format(folder=path.parent)}"
        if raw.startswith("/") and scheme != "file":
            hint = ALLOW_HINT.format(folder="DIR")
            return (
                f"image not found: {src} is a path from a website's root; save the image beside "
                f"the essay and write {raw.lstrip('/')}, or {hint}"
            )
        return f"image not found: {src}"

    def warnings(self, path):
        """Each problem as "path:line: message", in the order of the file.

        Problems of one family (the same message but for its target: 48 links to headings
        a web page had) are said one by one up to FOLD_AFTER, then once more for the rest,
        with their lines: a build's warnings stay readable.
        """
        families = {}
        for (kind, target), (line, message) in self.notes.items():
            family = (kind, message.replace(str(target), "…") if target else message)
            families.setdefault(family, []).append((line or 0, message))
        notes = []
        for found in families.values():
            found.sort()
            notes += found[:FOLD_AFTER] if len(found) > FOLD_AFTER + 1 else found
            if len(found) > FOLD_AFTER + 1:  # folding one line into one saves nothing
                rest = found[FOLD_AFTER:]
                lines = ", ".join(dict.fromkeys(str(line) for line, _ in rest if line))
                notes.append(
                    (rest[0][0], f"and {len(rest)} more like that (lines {lines}): {rest[0][1]}")
                )
        return [
            f"{path}:{line}: {message}" if line else f"{path}: {message}"
            for line, message in sorted(notes, key=lambda note: note[0])
        ]


def _too_large(path, src):
    """Why an image has too many pixels to print (Pillow refuses it as a bomb), else None."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.size  # noqa: B018 - the header is all that is read
    except Image.DecompressionBombError as error:
        size = re.search(r"\((\d+) pixels\)", str(error))
        pixels = f"{int(size[1]):,} pixels" if size else "too many pixels"
        width, height = _header_size(path)
        shape = f"{width:,} × {height:,} pixels, " if width else ""
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0)
        return (
            f"image {src} is too large to print: {shape or pixels + ', '}over the "
            f"{limit:,}-pixel limit; save it smaller (3,000 pixels across is plenty for a page)"
        )
    except Exception:  # noqa: BLE001 - not Pillow's to read (SVG …): layout says why
        return None
    return None


def _header_size(path):
    """(width, height) from a PNG's or GIF's header, without decoding; (0, 0) otherwise."""
    import struct

    with open(path, "rb") as file:
        head = file.read(32)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", head[6:10])
    return 0, 0


def _unwrap(link):
    """A link becomes its text."""
    link.tag = "span"
    for name in ("href", "title"):
        link.attrib.pop(name, None)


def _address(text, tag="span"):
    """An address that may break after / and . with no hyphen, and never hyphenates."""
    element = etree.Element(tag, {"class": "address"})
    _breakable(element, text)
    return element


def _breakable(element, text):
    parts = BREAK_AFTER.split(text)
    element.text = parts[0]
    for part in parts[1:]:
        etree.SubElement(element, "wbr").tail = part


def _split(text):
    """[text, address element, text, …] for the addresses in `text`."""
    pieces, at = [], 0
    for match in ADDRESS.finditer(text):
        pieces += [text[at : match.start()], _address(match[0])]
        at = match.end()
    return pieces + [text[at:]]


def _place(parent, index, pieces):
    """Insert the address elements of `pieces` at `index`; return how many went in."""
    for n in range(1, len(pieces), 2):
        pieces[n].tail = pieces[n + 1]
        parent.insert(index, pieces[n])
        index += 1
    return len(pieces) // 2


def mark_addresses(element):
    """Wrap web and e-mail addresses in prose so they never hyphenate and break after / or ."""
    if element.tag == "a":
        text = element.text or ""
        if len(element) == 0 and ADDRESS.fullmatch(text.strip()):
            element.set("class", (element.get("class", "") + " address").strip())
            _breakable(element, text)
        return
    if element.tag in NOT_PROSE:
        return
    if element.text and ADDRESS.search(element.text):
        pieces = _split(element.text)
        element.text = pieces[0]
        _place(element, 0, pieces)
    index = 0
    while index < len(element):
        child = element[index]
        if child.get("class") != "address":
            mark_addresses(child)
        if child.tail and ADDRESS.search(child.tail):
            pieces = _split(child.tail)
            child.tail = pieces[0]
            index += _place(element, index + 1, pieces)
        index += 1
