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

import re
from typing import Any

from daxa.testing.files import layouts
from daxa.testing.files.base import EmulatorHost, FileTreeBase, tar_bytes
from daxa.testing.files.content import FileSpec, file_bytes, rng_for
from daxa.testing.files.pages import Entry, apache_listing, erodat_listing
from daxa.testing.messages import Request, Response, html_page

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


class FileTree(FileTreeBase):
    """Archive file trees served by an :class:`~daxa.testing.ArchiveEmulator` (see module doc)."""

    # -- set-up --------------------------------------------------------------------------------

    def mount(self) -> FileTree:
        """Mount the routes on the emulator (done by :func:`mount_file_trees`)."""
        self.emulator.mount("/heasarc_ftp", self.heasarc)
        self.emulator.mount("/erosita_dr1/erodat/data/download", self.erodat)
        self.emulator.mount("/erosita_edr/CalPvObs", self.calpv)
        self.emulator.mount("/xsa_aio/data-action-aio", self.aio)
        return self

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
        return tar_bytes(members, hostile, compress=True)

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
        inner_tar = tar_bytes(inner, hostile, compress=False)
        return tar_bytes({f"{rev}_{obs_id}.TAR": inner_tar}, None, compress=True)

    def _pps_tar(self, obs_id: str, hostile: str | None) -> bytes:
        members = {
            f"{obs_id}/pps/{name}": file_bytes(
                FileSpec(name, s.content, "gz"), f"aio-pps/{obs_id}/{name}"
            )
            for name, s in layouts.xmm_pps(obs_id).items()
        }
        return tar_bytes(members, hostile, compress=True)


def _type(spec: FileSpec) -> str:
    if spec.compress == "gz":
        return "application/gzip"
    if spec.compress == "Z":
        return "application/x-compress"
    return "text/plain" if spec.content == "text" else "application/fits"


def mount_file_trees(emulator: EmulatorHost, **kwargs: Any) -> FileTree:
    """Add the archive file trees to ``emulator``; returns the :class:`FileTree` (its faults)."""
    return FileTree(emulator, **kwargs).mount()
