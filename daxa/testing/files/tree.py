"""The emulator's archive file trees: HEASARC, eRODat, the CalPV tarballs and the XSA AIO servlet.

:class:`FileTree` answers, over the emulator's HTTP server:

=====================================================  =============================================
``/heasarc_ftp/<mission path>/<obs>/...``               Apache listings and files (Range, ETag)
``/heasarc_ftp/integral/data/scw/<rev>/``               INTEGRAL revolution listing, science windows
``/erosita_dr1/erodat/data/download/<DDD>/<RRR>/...``   eRODat listings and files (exact sizes)
``/erosita_edr/CalPvObs/<Field>.tar.gz``                one tarball per CalPV field
``/xsa_aio/data-action-aio?obsno=...&level=ODF|PPS``    XSA AIO tar (a ``.TAR`` of the ODF inside)
=====================================================  =============================================

Any ObsID matching its mission's pattern exists (its files derived from the ObsID with a seeded
RNG); facts the layout needs (Chandra's detector, Swift's start month, INTEGRAL versions) come
from the emulator's tables when the ObsID is there. The real eRODat pages of tile 134135 are
served when the shared data folder is present (files padded to the listed sizes).

Besides the emulator's own faults (``emu.faults``: failures, delays, cut bodies, HTML pages), a
file tree can make ObsIDs or single files missing (404), corrupt the next answers for a path,
add hostile entries to a listing or a tarball, and require HTTP basic auth under a path.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import re
import tarfile
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

from daxa.testing.files import layouts
from daxa.testing.files.content import FileSpec, file_bytes, rng_for
from daxa.testing.files.layouts import ObsFacts
from daxa.testing.files.pages import Entry, apache_listing, erodat_listing
from daxa.testing.server import ArchiveEmulator, Request, Response, html_page, ranged_response

_MTIME = formatdate(1_700_000_000, usegmt=True)
_OBS_PATTERNS = {
    "chandra": r"^\d{1,5}$",
    "nustar_pointed": r"^\d{11}$",
    "rosat_pointed": r"^(RH|RP|RF|WH|WP|WF)\d{6}([A-Z]\d{2}|)$",
    "rosat_all_sky": r"^RS\d{6}[A-Z]\d{2}$",
    "swift": r"^\d{11}$",
    "suzaku": r"^\d{9}$",
    "asca": r"^\d{8}$",
    "xrism_pointed": r"^\d{9}$",
    "xmm_pointed": r"^\d{10}$",
    "integral_pointed": r"^\d{12}$",
    "erosita_all_sky_de_dr1": r"^\d{6}$",
    "erosita_calpv": r"^\d{6}$",
}


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


class FileTree:
    """Archive file trees served by an :class:`~daxa.testing.ArchiveEmulator` (see module doc)."""

    def __init__(self, emulator: ArchiveEmulator, *, real_erodat: bool | None = None) -> None:
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

    # -- set-up --------------------------------------------------------------------------------

    def mount(self) -> FileTree:
        """Mount the routes on the emulator (done by :func:`mount_file_trees`)."""
        self.emulator.mount("/heasarc_ftp", self.heasarc)
        self.emulator.mount("/erosita_dr1/erodat/data/download", self.erodat)
        self.emulator.mount("/erosita_edr/CalPvObs", self.calpv)
        self.emulator.mount("/xsa_aio/data-action-aio", self.aio)
        return self

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

    # -- HEASARC -------------------------------------------------------------------------------

    def heasarc(self, request: Request) -> Response:
        guard = self._guard(request)
        if guard is not None:
            return guard
        sub = request.subpath.strip("/")
        if sub.startswith("integral/"):
            return self._integral(request, sub)
        found = layouts.heasarc_folder(sub)
        if found is None:
            return html_page(404)
        mission, obs_id, rest = found
        if not re.match(_OBS_PATTERNS[mission], obs_id, re.IGNORECASE):
            return html_page(404)
        if (mission, obs_id.upper()) in self.faults.missing_obs:
            return html_page(404)
        facts = self.facts(mission, obs_id)
        if mission == "swift" and sub.split("/")[3] != facts.month:
            return html_page(404)
        files = layouts.obs_files(mission, obs_id, facts)
        return self._folder_or_file(request, files, rest)

    def _folder_or_file(self, request: Request, files: dict[str, FileSpec], rest: str) -> Response:
        if rest in files:
            spec = files[rest]
            return self._serve(request, lambda: file_bytes(spec, request.path), _type(spec))
        prefix = rest + "/" if rest else ""
        children: dict[str, FileSpec | None] = {}
        for rel, spec in files.items():
            if rel.startswith(prefix):
                head, _, tail = rel[len(prefix) :].partition("/")
                children[head + "/" if tail else head] = None if tail else spec
        if not children:
            return html_page(404)
        folder = request.path.rstrip("/") + "/"
        # Sizes: each file is generated once and cached under the key its own request uses.
        entries: list[Entry] = []
        for name, child in sorted(children.items()):
            size = None
            if child is not None:
                path = folder + name
                size = len(self._bytes(path, lambda s=child, p=path: file_bytes(s, p)))
            entries.append((name, size))
        extra = self.faults.hostile_listings.get(folder, [])
        return self._listing(request, apache_listing(folder, entries, extra_hrefs=extra))

    def _integral(self, request: Request, sub: str) -> Response:
        parts = sub.split("/")
        if (scw := (self._scw_request(parts))) is not None:
            scw_id, version, rest = scw
            if ("integral_pointed", scw_id) in self.faults.missing_obs:
                return html_page(404)
            if version != self.scw_version(scw_id):
                return html_page(404)
            return self._folder_or_file(request, layouts.integral_files(scw_id), rest)
        if len(parts) == 4 and parts[:3] == ["integral", "data", "scw"] and parts[3].isdigit():
            rev = parts[3]
            entries: list[Entry] = [("rev.001/", None)]
            entries += [(f"{s}.{v}/", None) for s, v in self._scws_of(rev)]
            folder = request.path.rstrip("/") + "/"
            return self._listing(request, apache_listing(folder, sorted(entries)))
        match = re.fullmatch(r"integral/data/aux/adp/(\d{4})\.001(?:/(.*))?", sub)
        if match:
            return self._folder_or_file(request, layouts.integral_aux_files(), match.group(2) or "")
        return html_page(404)

    @staticmethod
    def _scw_request(parts: list[str]) -> tuple[str, str, str] | None:
        if len(parts) < 5 or parts[:3] != ["integral", "data", "scw"]:
            return None
        match = re.fullmatch(r"(\d{12})\.(\d{3})", parts[4])
        if not match or match.group(1)[:4] != parts[3]:
            return None
        return match.group(1), match.group(2), "/".join(parts[5:])

    def _scws_of(self, rev: str) -> list[tuple[str, str]]:
        import polars as pl

        frame = self._table("intscwpub")
        found: list[tuple[str, str]] = []
        if frame is not None and "scw_id" in frame.columns:
            rows = frame.filter(pl.col("scw_id").cast(pl.String).str.starts_with(rev))
            found = [
                (str(s), str(v or "001").zfill(3))
                for s, v in zip(rows["scw_id"], rows["scw_ver"], strict=True)
            ]
        if not found:
            found = [(f"{rev}{p:04d}0010", "001") for p in range(1, 11)]
        missing = {o for m, o in self.faults.missing_obs if m == "integral_pointed"}
        return [(s, v) for s, v in found if s not in missing]

    # -- eRODat ----------------------------------------------------------------------------------

    def erodat(self, request: Request) -> Response:
        guard = self._guard(request)
        if guard is not None:
            return guard
        parts = [p for p in request.subpath.split("/") if p]
        if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
            return html_page(404)
        ddd, rrr = parts[0], parts[1]
        tile = rrr + ddd
        if len(tile) != 6 or ("erosita_all_sky_de_dr1", tile) in self.faults.missing_obs:
            return html_page(404)
        files, sizes = self._erass_tree(tile)
        rest = "/".join(parts[2:])
        if rest in files:
            spec = files[rest]
            return self._serve(
                request, lambda: file_bytes(spec, f"erass/{tile}/{rest}"), "application/gzip"
            )
        if (
            self.real_erodat_dir is not None
            and tile == "134135"
            and rest in ("", "EXP_010", "DET_010")
        ):
            name = {"": "134135.html", "EXP_010": "134135_exp.html", "DET_010": "134135_det.html"}
            page = (self.real_erodat_dir / name[rest]).read_text(encoding="utf-8")
            return self._listing(request, page)
        prefix = rest + "/" if rest else ""
        children: dict[str, int | None] = {}
        for rel in files:
            if not rel.startswith(prefix):
                continue
            head, _, tail = rel[len(prefix) :].partition("/")
            children[head + "/" if tail else head] = None if tail else sizes[rel]
        if not rest:
            for version, kinds in self.erass_versions(tile).items():
                for kind in kinds:
                    children.setdefault(f"{kind}_{version}/", None)
        if not children:
            return html_page(404)
        folder = request.path.rstrip("/") + "/"
        extra = self.faults.hostile_listings.get(folder, [])
        entries = sorted(children.items())
        return self._listing(
            request, erodat_listing([ddd, rrr, *parts[2:]], entries, extra_hrefs=extra)
        )

    def _erass_tree(self, tile: str) -> tuple[dict[str, FileSpec], dict[str, int]]:
        if self.real_erodat_dir is not None and tile == "134135":
            return self._real_tile(tile)
        files: dict[str, FileSpec] = {}
        for version, kinds in self.erass_versions(tile).items():
            for rel, spec in layouts.erass_files(tile, version).items():
                if rel.split("_", 1)[0] in kinds:
                    files[rel] = spec
        sizes = {
            rel: len(
                self._bytes(
                    f"erass/{tile}/{rel}", lambda s=s, r=rel: file_bytes(s, f"erass/{tile}/{r}")
                )
            )
            for rel, s in files.items()
        }
        return files, sizes

    def _real_tile(self, tile: str) -> tuple[dict[str, FileSpec], dict[str, int]]:
        from daxa.download.listing import parse_listing

        assert self.real_erodat_dir is not None
        files: dict[str, FileSpec] = {}
        sizes: dict[str, int] = {}
        for folder, page in (("EXP_010", "134135_exp.html"), ("DET_010", "134135_det.html")):
            text = (self.real_erodat_dir / page).read_text(encoding="utf-8")
            for entry in parse_listing(text):
                if entry.is_dir or entry.size is None:
                    continue
                content = "events" if "EventList" in entry.name else "image"
                if "AreaTab" in entry.name:
                    content = "table"
                tms = tuple(range(1, 8)) if content == "events" else ()
                rel = f"{folder}/{entry.name}"
                files[rel] = FileSpec(entry.name, content, "gz", tms, entry.size)  # type: ignore[arg-type]
                sizes[rel] = entry.size
        return files, sizes

    # -- CalPV tarballs --------------------------------------------------------------------------

    def calpv_fields(self) -> dict[str, list[str]]:
        """Tarball name → ObsIDs, from the emulator's CalPV list."""
        frame = self._table("erosita_calpv_info.csv")
        fields: dict[str, list[str]] = {}
        if frame is None:
            return fields
        for obs_id, url in zip(frame["ObsID"], frame["download"], strict=True):
            fields.setdefault(str(url).rsplit("/", 1)[-1], []).append(str(obs_id).zfill(6))
        return fields

    def calpv(self, request: Request) -> Response:
        guard = self._guard(request)
        if guard is not None:
            return guard
        name = request.subpath.strip("/")
        obs_ids = self.calpv_fields().get(name)
        if not name.endswith(".tar.gz") or not obs_ids:
            return html_page(404)
        obs_ids = [o for o in obs_ids if ("erosita_calpv", o) not in self.faults.missing_obs]
        hostile = self.faults.hostile_tars.get(request.path)
        field_name = name[: -len(".tar.gz")]
        return self._serve(
            request, lambda: self._calpv_tar(field_name, obs_ids, hostile), "application/gzip"
        )

    def _calpv_tar(self, field_name: str, obs_ids: list[str], hostile: str | None) -> bytes:
        nested = rng_for("calpv-nesting", field_name).random() < 0.5
        top = f"{field_name}/{field_name}/" if nested else f"{field_name}/"
        members = {
            top + f"fm00_{o}_020_EventList_c001.fits": file_bytes(
                FileSpec(f"fm00_{o}_020_EventList_c001.fits", "events", None, tuple(range(1, 8))),
                f"calpv/{o}",
            )
            for o in obs_ids
        }
        members[top + f"eRO_{field_name}_summary.fits"] = file_bytes(
            FileSpec("summary.fits", "table"), f"calpv/{field_name}"
        )
        return _tar(members, hostile, compress=True)

    # -- XSA AIO ---------------------------------------------------------------------------------

    def aio(self, request: Request) -> Response:
        guard = self._guard(request)
        if guard is not None:
            return guard
        obs_id = request.query.get("obsno", "")
        level = request.query.get("level", "ODF").upper()
        if not re.fullmatch(r"\d{10}", obs_id) or level not in ("ODF", "PPS"):
            return html_page(404)
        if ("xmm_pointed", obs_id) in self.faults.missing_obs:
            return html_page(404)
        rev = self.facts("xmm_pointed", obs_id).revolution
        hostile = self.faults.hostile_tars.get(f"{request.path}?obsno={obs_id}")
        if level == "ODF":
            make = lambda: self._odf_tar(obs_id, rev, hostile)  # noqa: E731
        else:
            make = lambda: self._pps_tar(obs_id, hostile)  # noqa: E731
        return self._serve(request, make, "application/x-tar")

    def _odf_tar(self, obs_id: str, rev: str, hostile: str | None) -> bytes:
        inner = {
            name: file_bytes(spec, f"aio/{obs_id}/{name}")
            for name, spec in (
                (n, FileSpec(n, s.content, None))
                for n, s in layouts.xmm_odf(obs_id, rev, False).items()
            )
        }
        inner_tar = _tar(inner, hostile, compress=False)
        return _tar({f"{rev}_{obs_id}.TAR": inner_tar}, None, compress=True)

    def _pps_tar(self, obs_id: str, hostile: str | None) -> bytes:
        members = {
            f"{obs_id}/pps/{name}": file_bytes(
                FileSpec(name, s.content, "gz"), f"aio-pps/{obs_id}/{name}"
            )
            for name, s in layouts.xmm_pps(obs_id).items()
        }
        return _tar(members, hostile, compress=True)


def _type(spec: FileSpec) -> str:
    if spec.compress == "gz":
        return "application/gzip"
    if spec.compress == "Z":
        return "application/x-compress"
    return "text/plain" if spec.content == "text" else "application/fits"


def _tar(members: dict[str, bytes], hostile: str | None, *, compress: bool) -> bytes:
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
    from daxa.testing import shared_data_dir

    return shared_data_dir()


def mount_file_trees(emulator: ArchiveEmulator, **kwargs: Any) -> FileTree:
    """Add the archive file trees to ``emulator``; returns the :class:`FileTree` (its faults)."""
    return FileTree(emulator, **kwargs).mount()
