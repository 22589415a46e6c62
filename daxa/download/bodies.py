"""What one download answer's body is: where it starts, whether it is whole, its digest.

Helpers of :mod:`daxa.download.transport`: the span a 200/206 answer covers (``Content-Range``),
whether an HTML page came where a file was expected, whether a file sent without any length is
whole (FITS structure, :mod:`daxa.services.completeness`), and the running SHA-256 of a
``.part`` file kept up to date while it is written.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import requests

from daxa.services import completeness

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


@dataclass
class TransferState:
    """What one file's attempts share: the validator for If-Range, the running digest."""

    validator: str | None = None
    hashed: Digest = field(default_factory=lambda: Digest())
    announced: bool = False
    received: int = 0
    resumed: bool = False


class Digest:
    """SHA-256 of a ``.part`` file kept up to date while it is written (no second read)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.bytes = 0

    def restart(self, part: Path, upto: int) -> None:
        """Hash the first ``upto`` bytes already on disk (after an unexpected resume point)."""
        self._hash = hashlib.sha256()
        self.bytes = 0
        if upto:
            with open(part, "rb") as handle:
                while self.bytes < upto and (chunk := handle.read(min(1 << 20, upto - self.bytes))):
                    self.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.bytes += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def is_html(answer: requests.Response, url: str) -> bool:
    kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    name = urllib.parse.urlsplit(url).path.lower()
    return kind in ("text/html", "application/xhtml+xml") and not name.endswith((".html", ".htm"))


def span(answer: requests.Response, offset: int) -> tuple[int, int | None]:
    """Where this answer's body starts in the file, and the file's full size when known."""
    if answer.status_code == 206:
        match = _CONTENT_RANGE.match(answer.headers.get("Content-Range", ""))
        if match:
            total = None if match.group(3) == "*" else int(match.group(3))
            return int(match.group(1)), total
        return -1, None  # a 206 we cannot place: start again
    length = answer.headers.get("Content-Length")
    return 0, int(length) if length and length.isdigit() else None


def looks_html(answer: requests.Response, body: bytes) -> bool:
    kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return completeness.kind_of(kind, body[: completeness.TAIL]) == "html"


def unannounced_problem(part: Path, url: str) -> str | None:
    """For a file whose size nobody announced: what is missing from it, when its kind has an
    end to check (FITS: blocks, ``END`` cards, the data the headers announce)."""
    size = part.stat().st_size
    with open(part, "rb") as handle:
        head = handle.read(16)
        if completeness.kind_of("", head, urllib.parse.urlsplit(url).path) != "fits":
            return None

        def read(offset: int, n: int) -> bytes:
            handle.seek(offset)
            return handle.read(n)

        return completeness.fits_problem(read, size)
