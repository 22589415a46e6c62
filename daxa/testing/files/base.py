"""What every archive file tree shares: its faults, byte cache, per-observation facts, answers.

:class:`FileTreeBase` holds the state behind :class:`~daxa.testing.files.FileTree` (which adds
the archives' routes): the file-tree faults and their switches, the facts a layout depends on
(read from the emulator's tables when the ObsID is there), and the steps of every answer (auth
and missing-file guard, cached bytes, corruption, ``Range``). It needs of the emulator only
what :class:`EmulatorHost` names, so it imports nothing from the server.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import tarfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

from daxa.testing.files.content import rng_for
from daxa.testing.files.layouts import ObsFacts
from daxa.testing.messages import Handler, Request, Response, html_page, ranged_response
from daxa.testing.shared import shared_data_dir

_MTIME = formatdate(1_700_000_000, usegmt=True)


class EmulatorHost(Protocol):
    """What a file tree needs of the emulator (an :class:`~daxa.testing.ArchiveEmulator`)."""

    def mount(self, prefix: str, handler: Handler) -> None: ...

    def table(self, name: str) -> Any: ...


@dataclass
class _Counted:
    path: str
    times: int | None


@dataclass
class TreeFaults:
    """File-tree faults (the emulator's ``faults`` handle failures, delays and cut bodies)."""

    missing_obs: set[tuple[str, str]] = field(default_factory=set)
    missing_files: set[str] = field(default_factory=set)
    corrupt: list[_Counted] = field(default_factory=list)
    hostile_listings: dict[str, list[str]] = field(default_factory=dict)
    hostile_tars: dict[str, str] = field(default_factory=dict)
    protected: dict[str, tuple[str, str]] = field(default_factory=dict)


class FileTreeBase:
    """Faults, byte cache and per-observation facts of the archive file trees (see module doc)."""

    def __init__(self, emulator: EmulatorHost, *, real_erodat: bool | None = None) -> None:
        self.emulator = emulator
        self.faults = TreeFaults()
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes = 0
        self.cache_limit = 256 * 2**20
        shared = _shared()
        erodat = shared / "responses" / "erodat" if shared is not None else None
        if real_erodat is None:
            real_erodat = erodat is not None and (erodat / "134135.html").is_file()
        self.real_erodat_dir = erodat if real_erodat else None
        #: (path, Range header) of every file request that asked for a range.
        self.range_requests: list[tuple[str, str]] = []

    # -- faults ----------------------------------------------------------------------------------

    def make_missing(self, mission: str, obs_id: str) -> None:
        """Every request for this observation gets a 404 (as if it were not archived)."""
        with self._lock:
            self.faults.missing_obs.add((mission, obs_id.upper()))

    def make_file_missing(self, path: str) -> None:
        """The file at URL path ``path`` is listed but answers 404."""
        with self._lock:
            self.faults.missing_files.add("/" + path.strip("/"))

    def corrupt(self, path: str, times: int | None = 1) -> None:
        """The next ``times`` answers under ``path`` have bytes flipped (same length, headers)."""
        with self._lock:
            self.faults.corrupt.append(_Counted("/" + path.strip("/"), times))

    def hostile_listing(self, folder: str, hrefs: Iterable[str]) -> None:
        """The listing of URL path ``folder`` also shows ``hrefs`` (e.g. ``../../etc/passwd``)."""
        with self._lock:
            self.faults.hostile_listings["/" + folder.strip("/") + "/"] = list(hrefs)

    def hostile_tar(self, path: str, kind: str = "dotdot") -> None:
        """The tarball at ``path`` also holds a hostile member: ``dotdot``, ``absolute``,
        ``symlink`` or ``hardlink``."""
        with self._lock:
            self.faults.hostile_tars["/" + path.strip("/")] = kind
            self._forget()

    def protect(self, path: str, user: str, password: str) -> None:
        """Requests under ``path`` need HTTP basic auth with these credentials (else 401)."""
        with self._lock:
            self.faults.protected["/" + path.strip("/")] = (user, password)

    def reset(self) -> None:
        """Remove every file-tree fault (and forget tarballs built with hostile members)."""
        with self._lock:
            self.faults = TreeFaults()
            self._forget()

    def _forget(self) -> None:
        for key in [k for k in self._cache if "CalPvObs" in k or "data-action-aio" in k]:
            self._cache_bytes -= len(self._cache.pop(key))

    # -- facts -----------------------------------------------------------------------------------

    def _table(self, name: str) -> Any:
        try:
            return self.emulator.table(name)
        except Exception:  # a table source without this table: derive facts instead
            return None

    def _row(self, table: str, column: str, value: str) -> dict[str, Any] | None:
        import polars as pl

        frame = self._table(table)
        if frame is None or column not in frame.columns:
            return None
        found = frame.filter(pl.col(column).cast(pl.String) == value)
        return found.row(0, named=True) if found.height else None

    def swift_month(self, obs_id: str) -> str:
        """``YYYY_MM`` folder of a Swift ObsID: from the Swift table, else derived from the ID."""
        row = self._row("swiftmastr", "obsid", obs_id)
        if row is not None and row.get("start_time") is not None:
            import datetime as dt

            when = dt.datetime(1858, 11, 17) + dt.timedelta(days=float(row["start_time"]))
            return f"{when.year:04d}_{when.month:02d}"
        rng = rng_for("swift-month", obs_id)
        return f"{int(rng.integers(2005, 2025)):04d}_{int(rng.integers(1, 13)):02d}"

    def facts(self, mission: str, obs_id: str) -> ObsFacts:
        """The per-observation facts the layout of ``obs_id`` depends on."""
        rng = rng_for("facts", mission, obs_id)
        detector = "acis" if rng.random() < 0.8 else "hrc"
        if mission == "chandra":
            row = self._row("chanmaster", "obsid", obs_id)
            if row is not None and row.get("detector"):
                detector = "hrc" if str(row["detector"]).upper().startswith("HRC") else "acis"
        return ObsFacts(
            detector=detector,
            month=self.swift_month(obs_id) if mission == "swift" else "2010_01",
            has_event_cl=rng.random() >= 0.2,
            has_xi2=rng.random() >= 0.5,
            revolution=f"{int(obs_id[:9]) % 3900 if obs_id.isdigit() else 123:04d}",
        )

    def scw_version(self, scw: str) -> str:
        row = self._row("intscwpub", "scw_id", scw)
        if row is not None and row.get("scw_ver"):
            return str(row["scw_ver"]).zfill(3)
        return "001"

    def erass_versions(self, tile: str) -> dict[str, tuple[str, ...]]:
        """Pipeline versions of a tile's folders: every tile has EXP/DET/SOU/UPP ``010``;
        tiles whose RA part is a multiple of 3 also have ``EXP_011`` (without ``DET_011``)."""
        versions: dict[str, tuple[str, ...]] = {"010": ("DET", "EXP", "SOU", "UPP")}
        if int(tile[:3]) % 3 == 0:
            versions["011"] = ("EXP",)
        return versions

    # -- answering -------------------------------------------------------------------------------

    def _guard(self, request: Request) -> Response | None:
        for prefix, (user, password) in self.faults.protected.items():
            if request.path == prefix or request.path.startswith(prefix.rstrip("/") + "/"):
                expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
                if request.header("authorization") != expected:
                    page = html_page(401, "This data is proprietary: log in to get it.")
                    page.headers["WWW-Authenticate"] = 'Basic realm="archive"'
                    return page
        if request.path in self.faults.missing_files:
            return html_page(404)
        return None

    def _serve(self, request: Request, make: Any, content_type: str) -> Response:
        key = request.path + ("?" + request.query_string if request.query_string else "")
        if request.header("range"):
            with self._lock:
                self.range_requests.append((request.path, str(request.header("range"))))
        data = self._bytes(key, make)
        etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
        data = self._maybe_corrupt(request.path, data)
        return ranged_response(
            request,
            len(data),
            lambda start, n: [data[start : start + n]],
            content_type,
            {"Last-Modified": _MTIME},
            etag=etag,
        )

    def _bytes(self, key: str, make: Any) -> bytes:
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        data = bytes(make())
        with self._lock:
            if key not in self._cache:
                self._cache[key] = data
                self._cache_bytes += len(data)
                while self._cache_bytes > self.cache_limit and len(self._cache) > 1:
                    _, old = self._cache.popitem(last=False)
                    self._cache_bytes -= len(old)
            return self._cache[key]

    def _maybe_corrupt(self, path: str, data: bytes) -> bytes:
        with self._lock:
            rule = next(
                (r for r in self.faults.corrupt if path == r.path or path.startswith(r.path + "/")),
                None,
            )
            if rule is None:
                return data
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self.faults.corrupt.remove(rule)
        damaged = bytearray(data)
        for i in range(len(damaged) // 3, len(damaged), max(1, len(damaged) // 7)):
            damaged[i] ^= 0x5A
        return bytes(damaged)

    def _listing(self, request: Request, page: str) -> Response:
        return Response(200, page.encode(), "text/html; charset=UTF-8")


def tar_bytes(members: dict[str, bytes], hostile: str | None, *, compress: bool) -> bytes:
    """A tar (gzipped when ``compress``) of ``members``; ``hostile`` adds one bad member."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
        if hostile is not None:
            info = tarfile.TarInfo(
                {
                    "dotdot": "../../evil_0000000000_M1.fits",
                    "absolute": "/tmp/evil_0000000000_M1.fits",
                    "symlink": "link_0000000000_M1.fits",
                    "hardlink": "hard_0000000000_M1.fits",
                }[hostile]
            )
            info.mtime = 1_700_000_000
            if hostile == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
                archive.addfile(info)
            elif hostile == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, "/etc/passwd"
                archive.addfile(info)
            else:
                payload = b"evil"
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))
    data = out.getvalue()
    return gzip.compress(data, mtime=0) if compress else data


def _shared() -> Path | None:
    return shared_data_dir()
