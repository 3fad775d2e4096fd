"""HTTP responses captured to disk, and capturing them (only when asked).

A capture directory holds, for each host, the files as served: `HOST/robots.txt`,
`HOST/.well-known/tdmrep.json`, `HOST/tracks/a.html`; a path ending in `/` is
`…/index.html`. Beside a file, `FILE.headers` holds the response's status line and
header fields, as received. A port is written `HOST_PORT`. Nothing outside the capture
directory is ever read or written.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from ..errors import ClausulaError
from .signals import MAX_SIGNAL_BYTES

FETCH_TIMEOUT_SECONDS: Final = 10.0
USER_AGENT: Final = "Clausula-TDM (reads TDM reservations; https://clausula.dev)"
_HOST = re.compile(r"^[a-z0-9.-]{1,253}(_[0-9]{1,5})?$")


class CaptureError(ClausulaError, ValueError):
    """A URL that cannot name a capture (not http(s), a bad host, a path leaving the dir)."""


@dataclass(frozen=True)
class Response:
    """A captured response: its header fields (may be empty) and body."""

    fields_text: str
    body: bytes
    path: Path


def capture_path(root: Path, url: str) -> Path:
    """Where the response for `url` is kept under `root`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CaptureError(f"`{url}` is not an http(s) URL")
    host = parts.hostname.lower() + (f"_{parts.port}" if parts.port else "")
    if not _HOST.match(host):
        raise CaptureError(f"`{url}` has a host that cannot name a directory")
    path = unquote(parts.path or "/")
    if path.endswith("/"):
        path += "index.html"
    segments = [s for s in path.split("/") if s]
    if any(s in (".", "..") or "\\" in s or "\x00" in s for s in segments):
        raise CaptureError(f"`{url}` has a path that leaves its site")
    target = root.joinpath(host, *segments)
    base = root.resolve()
    if not target.resolve().is_relative_to(base):
        raise CaptureError(f"`{url}` has a path that leaves the capture directory")
    return target


def read(root: Path, url: str) -> Response | None:
    """The captured response for `url`, or None when it was not captured."""
    path = capture_path(root, url)
    if not path.is_file() or path.stat().st_size > MAX_SIGNAL_BYTES:
        return None
    headers = path.with_name(path.name + ".headers")
    fields = headers.read_text(encoding="utf-8", errors="replace") if headers.is_file() else ""
    return Response(fields, path.read_bytes(), path)


def fetch(root: Path, url: str) -> Response | None:
    """GET `url` and capture the response under `root` (a 404 is captured as absent).

    Called only for `clausula catalogue tdm --fetch`. The body is cut at MAX_SIGNAL_BYTES.
    """
    path = capture_path(root, url)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as reply:
            status = f"HTTP/1.1 {reply.status} {reply.reason}"
            fields = "\n".join(f"{k}: {v}" for k, v in reply.headers.items())
            body = reply.read(MAX_SIGNAL_BYTES + 1)[:MAX_SIGNAL_BYTES]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise CaptureError(f"{url}: HTTP {error.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise CaptureError(f"{url}: {getattr(error, 'reason', error)}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    text = f"{status}\n{fields}\n"
    path.with_name(path.name + ".headers").write_text(text, encoding="utf-8")
    return Response(text, body, path)
