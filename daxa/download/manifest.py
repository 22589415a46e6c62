"""The per-ObsID manifest: what was fetched, what it became, and whether the ObsID is done.

``<dest>/<mission>/<obs_id>/.daxa-manifest.json`` lists, for every remote file, the local files
it produced with their sizes and SHA-256 digests, and the time the ObsID completed. An ObsID is
*downloaded* when its manifest says ``complete`` and every listed file is still there with the
recorded size (and digest, with ``deep=True``) — not when its folder exists. A partial manifest
(``complete: false``) lets a re-run fetch only what is missing. The manifest also keeps the
set of files the archive listing showed (``expected``): an ObsID is never complete while one
of them has no entry, and a later listing that shows more files (the first was cut short, or
the archive added some) makes it incomplete until they are fetched. Manifests are written
through :mod:`daxa.atomic`, so a crash never leaves a half-written one.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> (root / "0123").mkdir()
>>> _ = (root / "0123" / "a.fits").write_bytes(b"SIMPLE")
>>> m = Manifest("chandra", "0123")
>>> m.record("https://h/a.fits", [file_record(root, "0123/a.fits")], remote_size=6)
>>> m.finish(complete=True)
>>> _ = m.save(root / "0123" / MANIFEST_NAME)
>>> again = Manifest.load(root / "0123" / MANIFEST_NAME)
>>> again.complete, again.verify(root)
(True, [])
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from daxa.atomic import atomic_open
from daxa.download.layout import MANIFEST_NAME, inside
from daxa.errors import DownloadError
from daxa.urls import redact

log = logging.getLogger("daxa.download")

MANIFEST_VERSION = 1
_CHUNK = 1 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")

__all__ = ["MANIFEST_NAME", "FileRecord", "Manifest", "file_record", "sha256_file"]


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileRecord:
    """One local file: path relative to the mission folder, size in bytes, SHA-256."""

    path: str
    size: int
    sha256: str


def file_record(mission_root: Path, rel: str, sha256: str | None = None) -> FileRecord:
    """Describe the local file ``mission_root / rel`` (hashing it unless ``sha256`` is given)."""
    path = inside(mission_root, rel)
    return FileRecord(rel, path.stat().st_size, sha256 or sha256_file(path))


@dataclass
class Entry:
    """What one remote file became locally."""

    url: str
    outputs: list[FileRecord]
    remote_size: int | None = None


@dataclass
class Manifest:
    """The record of one ObsID's download (see the module docstring)."""

    mission: str
    obs_id: str
    entries: dict[str, Entry] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    complete: bool = False
    completed_at: str | None = None
    #: What was asked for: kind, instruments, version (so a re-run knows if it is covered).
    request: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Every URL the archive listing showed for this request (what "complete" means), and when
    #: it was listed: a listing that later shows more files makes the ObsID incomplete again.
    expected: list[str] = field(default_factory=list)
    listed_at: str | None = None

    # -- building ---------------------------------------------------------------------------

    def record(self, url: str, outputs: list[FileRecord], remote_size: int | None = None) -> None:
        """Remember that ``url`` (stored without credentials) was fetched and made ``outputs``."""
        url = redact(url)
        self.entries[url] = Entry(url, list(outputs), remote_size)
        self.failed.pop(url, None)

    def fail(self, url: str, reason: str) -> None:
        """Remember that ``url`` could not be fetched, and why."""
        url = redact(url)
        self.entries.pop(url, None)
        self.failed[url] = reason

    def expect(
        self, urls: list[str], when: datetime | None = None, *, same_request: bool = True
    ) -> list[str]:
        """Record the files the listing showed; return those an earlier listing did not show
        (an earlier listing was cut, or the archive added files since).

        For the same request, a file an earlier listing showed that was never fetched and
        that this listing lacks stays expected, marked failed: this listing may be the one
        cut short, and the ObsID must not become complete without the file.
        """
        listed = {redact(u) for u in urls}  # stored and compared as every entry is: no login
        added = sorted(listed - set(self.expected)) if self.expected else []
        vanished = [u for u in self.expected if u not in listed and u not in self.entries]
        for url in vanished if same_request else []:
            self.failed[url] = (
                "an earlier listing of this ObsID showed it but this one does not (a listing "
                "cut short?); run again"
            )
            listed.add(url)
        self.expected = sorted(listed)
        self.listed_at = (when or datetime.now(UTC)).isoformat()
        return added

    @property
    def missing(self) -> list[str]:
        """Expected URLs that have no entry (never fetched, or failed)."""
        return [url for url in self.expected if url not in self.entries]

    def finish(self, *, complete: bool, when: datetime | None = None) -> None:
        """Mark the ObsID complete (with the time) or not: never while a file it expects is
        failed or missing."""
        self.complete = complete and not self.failed and not self.missing
        self.completed_at = (when or datetime.now(UTC)).isoformat() if self.complete else None

    # -- reading ----------------------------------------------------------------------------

    @property
    def files(self) -> list[FileRecord]:
        """Every local file, in the order they were recorded."""
        return [record for entry in self.entries.values() for record in entry.outputs]

    @property
    def total_bytes(self) -> int:
        return sum(record.size for record in self.files)

    def covers(self, kind: str, instruments: tuple[str, ...], version: str | None) -> bool:
        """True when a complete download of this manifest satisfies the given request."""
        if not self.complete or not self.request or self.missing:
            return False
        if self.request.get("kind") != kind:
            return False
        if not set(instruments) <= set(self.request.get("instruments", ())):
            return False
        return version is None or str(self.request.get("version")) == str(version)

    def verify(self, mission_root: Path, *, deep: bool = False) -> list[str]:
        """Problems with the files on disk (missing, wrong size, wrong digest); empty if none."""
        problems: list[str] = []
        for record in self.files:
            try:
                path = inside(mission_root, record.path)
            except DownloadError as exc:
                problems.append(str(exc))
                continue
            if not path.is_file():
                problems.append(f"{record.path} is missing")
                continue
            size = path.stat().st_size
            if size != record.size:
                problems.append(f"{record.path} has {size} bytes, expected {record.size}")
            elif deep and sha256_file(path) != record.sha256:
                problems.append(f"{record.path} does not match its SHA-256 (corrupted)")
        return problems

    def good_entry(self, url: str, mission_root: Path, *, deep: bool = False) -> Entry | None:
        """The entry of ``url`` if all its files are still intact, else ``None``."""
        url = redact(url)
        entry = self.entries.get(url)
        if entry is None:
            return None
        probe = Manifest(self.mission, self.obs_id, {url: entry})
        return entry if not probe.verify(mission_root, deep=deep) else None

    # -- storage ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "manifest_version": MANIFEST_VERSION,
            "mission": self.mission,
            "obs_id": self.obs_id,
            "complete": self.complete,
            "completed_at": self.completed_at,
            "request": self.request,
            "files": [
                {"url": e.url, "remote_size": e.remote_size, **asdict(r)}
                for e in self.entries.values()
                for r in e.outputs
            ],
            "sources": [
                {"url": e.url, "remote_size": e.remote_size, "outputs": len(e.outputs)}
                for e in self.entries.values()
            ],
            "failed": self.failed,
            "notes": self.notes,
            "expected": self.expected,
            "listed_at": self.listed_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        manifest = cls(str(data["mission"]), str(data["obs_id"]))
        for source in data.get("sources", []):
            manifest.entries[source["url"]] = Entry(source["url"], [], source.get("remote_size"))
        for item in data.get("files", []):
            entry = manifest.entries.setdefault(
                item["url"], Entry(item["url"], [], item.get("remote_size"))
            )
            entry.outputs.append(FileRecord(item["path"], int(item["size"]), item["sha256"]))
        manifest.failed = dict(data.get("failed", {}))
        manifest.complete = bool(data.get("complete", False))
        manifest.completed_at = data.get("completed_at")
        manifest.request = dict(data.get("request", {}))
        manifest.notes = list(data.get("notes", []))
        manifest.expected = [str(url) for url in data.get("expected", [])]
        manifest.listed_at = data.get("listed_at")
        manifest.complete = manifest.complete and not manifest.missing  # never trust the flag alone
        for record in manifest.files:
            if record.size < 0 or not _SHA256.fullmatch(record.sha256):
                raise ValueError(f"bad size or SHA-256 for {record.path!r}")
        return manifest

    def save(self, path: Path) -> Path:
        """Write atomically (:mod:`daxa.atomic`: a temporary file in the same folder, renamed)."""
        with atomic_open(Path(path), "w", encoding="utf-8") as handle:
            json.dump(self.to_json(), handle, indent=1)
        return Path(path)

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        """The manifest at ``path``; ``None`` when absent or unreadable (then it is redone)."""
        path = Path(path)
        if not path.is_file():
            return None
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning(
                "ignoring unreadable manifest %s (%s); the ObsID will be re-checked", path, exc
            )
            return None
