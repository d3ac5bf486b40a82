"""The only way rendering reads anything: files inside allowed folders, and data: URIs."""

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

NOT_FOUND = "not found"
OUTSIDE = "outside the folders the build may read (--allow DIR lets it read one more)"
NO_NETWORK = "the booklet never makes a network request"
REFUSED = (OUTSIDE, NO_NETWORK)


class RefusedResource(ValueError):
    """A reference the booklet may not follow."""


class SandboxFetcher(URLFetcher):
    """A URL fetcher that reads files under `roots` and data: URIs, and nothing else."""

    def __init__(self, roots):
        # No redirects, no network handlers are ever reached: fetch() never calls
        # the parent for anything but data: URIs.
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self.roots = tuple(Path(root).resolve() for root in roots if root is not None)
        self.refused = {}  # url: why it was not read
        self.read = []  # the files rendering used, for --watch

    def fetch(self, url, headers=None):
        """Return the resource at `url`, or raise RefusedResource and remember it."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        reason = NO_NETWORK
        if scheme == "file":
            path, reason = self._allowed_path(url)
            if path is not None:
                self.read.append(path)
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": content_type}
                )
        self.refused.setdefault(url, reason)
        raise RefusedResource(f"refused: {url}")

    def _allowed_path(self, url):
        """(real path, None) for a file inside an allowed folder, else (None, why not)."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None, OUTSIDE
        if parts.netloc not in ("", "localhost"):
            return None, OUTSIDE
        # Decode %2e%2e and friends first, then let the OS resolve '..' and symlinks.
        raw = url2pathname(parts.path)
        if "\0" in raw:
            return None, OUTSIDE
        try:
            path = Path(raw).resolve()
        except (OSError, RuntimeError):
            return None, OUTSIDE
        if not any(path.is_relative_to(root) for root in self.roots):
            return None, OUTSIDE
        if not path.is_file():
            return None, NOT_FOUND
        return path, None
