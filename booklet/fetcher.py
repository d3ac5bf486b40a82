"""The only way rendering reads anything: files inside allowed folders, and data: URIs."""

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedResource(ValueError):
    """A reference the booklet may not follow."""


class SandboxFetcher(URLFetcher):
    """A URL fetcher that reads files under `roots` and data: URIs, and nothing else."""

    def __init__(self, roots):
        # No redirects, no network handlers are ever reached: fetch() never calls
        # the parent for anything but data: URIs.
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False, timeout=1)
        self.roots = tuple(Path(root).resolve() for root in roots if root is not None)
        self.refused = []
        self.read = []  # the files rendering used, for --watch

    def fetch(self, url, headers=None):
        """Return the resource at `url`, or raise RefusedResource and remember it."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._allowed_path(url)
            if path is not None:
                self.read.append(path)
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    path.as_uri(), path.read_bytes(), {"Content-Type": content_type}
                )
        self.refused.append(url)
        raise RefusedResource(f"refused: {url}")

    def _allowed_path(self, url):
        """The real path a file: URL names, if it is a file inside an allowed folder."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if parts.netloc not in ("", "localhost"):
            return None
        # Decode %2e%2e and friends first, then let the OS resolve '..' and symlinks.
        raw = url2pathname(parts.path)
        if "\0" in raw:
            return None
        try:
            path = Path(raw).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not path.is_file():
            return None
        if any(path.is_relative_to(root) for root in self.roots):
            return path
        return None
