"""eROSITA downloads: eRASS1 DE DR1 sky tiles from eRODat, CalPV fields from EDR tarballs.

eRASS1: a tile ``RRRDDD`` lives at ``erodat/data/download/{DDD}/{RRR}/`` with folders
``EXP_<v>/`` (event list, images) and ``DET_<v>/`` (exposure and background maps), ``<v>``
being the pipeline version: the highest with every folder the request needs unless one is asked
for. Raw data are the event list; ``kind="products"`` adds images, exposure and background maps.
eRODat lists exact sizes, which the transfer checks.

CalPV: one tarball per field (``CalPvObs/{Field}.tar.gz``) holds the event lists of all its
ObsIDs; it is fetched once per run and each ObsID's event list extracted into its folder.

Both: when fewer than all seven telescope modules are chosen, a copy of each event list cut to
those modules is written next to it (``..._if_<TMs>.fits``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from daxa.config import service_url
from daxa.download.common import Lister, plan_each, rebase
from daxa.download.plan import Kind, Plan, RemoteFile, TarExtract
from daxa.download.transport import Transport
from daxa.errors import DownloadError

ALL_TMS = tuple(range(1, 8))
#: File-name markers per eRODat folder and kind.
_ERASS_PARTS: dict[str, dict[str, tuple[str, ...]]] = {
    "raw": {"EXP": ("_EventList_",)},
    "products": {"EXP": ("_EventList_", "_Image_"), "DET": ("_ExposureMap_", "_BackgrImage_")},
}


def tms_of(instruments: Sequence[str]) -> tuple[int, ...]:
    """Telescope-module numbers of instrument names ``TM1``..``TM7``.

    >>> tms_of(["TM1", "TM5"])
    (1, 5)
    """
    return tuple(sorted({int(re.sub(r"\D", "", i)) for i in instruments}))


def _cut_for(instruments: Sequence[str]) -> tuple[int, ...] | None:
    tms = tms_of(instruments)
    return None if tms == ALL_TMS else tms


def cut_name(path: Path, tms: Sequence[int]) -> Path:
    """Where the event list ``path`` cut to ``tms`` is written.

    >>> cut_name(Path("em01_134135_020_EventList_c010.fits"), (1, 2)).name
    'em01_134135_020_EventList_c010_if_12.fits'
    """
    stem = path.name[: -len(".fits")] if path.name.endswith(".fits") else path.stem
    return path.with_name(f"{stem}_if_{''.join(str(t) for t in sorted(tms))}.fits")


def cut_event_list(path: Path, tms: Sequence[int]) -> Path:
    """Write the events of ``path`` whose ``TM_NR`` is in ``tms`` to :func:`cut_name`.

    Every other HDU is copied as it is; the file is written under a temporary name and renamed.
    """
    from astropy.io import fits

    target = cut_name(path, tms)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    with fits.open(path, memmap=False) as hdus:
        for hdu in hdus:
            if isinstance(hdu, fits.BinTableHDU) and "TM_NR" in hdu.columns.names:
                keep = np.isin(np.asarray(hdu.data["TM_NR"]), np.asarray(tms))
                hdu.data = hdu.data[keep]
                break
        else:
            raise DownloadError(f"{path.name} has no table with a TM_NR column to cut")
        try:
            hdus.writeto(temp, overwrite=True, checksum=True)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
    return target


# -- eRASS1 ----------------------------------------------------------------------------------


def erass_folder(tile: str) -> str:
    """eRODat folder of sky tile ``RRRDDD`` (relative to the DR1 service).

    >>> erass_folder("134135")
    'erodat/data/download/135/134'
    """
    return f"erodat/data/download/{tile[3:]}/{tile[:3]}"


def _version(tile: str, names: list[str], needed: Sequence[str], requested: str | None) -> str:
    found: dict[str, set[str]] = {}
    for name in names:
        match = re.fullmatch(r"([A-Z]+)_(\d+)", name)
        if match:
            found.setdefault(match.group(2), set()).add(match.group(1))
    complete = sorted((v for v, parts in found.items() if set(needed) <= parts), key=int)
    if requested is not None:
        wanted = str(requested).zfill(3)
        if wanted not in complete:
            have = ", ".join(sorted(found, key=int)) or "none"
            raise DownloadError(
                f"tile {tile} has no pipeline version {wanted} with {'/'.join(needed)} "
                f"folders (versions present: {have})"
            )
        return wanted
    if not complete:
        missing = sorted(set(needed) - set().union(*found.values())) if found else list(needed)
        raise DownloadError(
            f"the archive folder of tile {tile} lacks "
            f"{', '.join(m + '_<version>/' for m in missing)}"
        )
    return complete[-1]


def plan_erass1(
    obs_ids: Sequence[str],
    instruments: Sequence[str],
    kind: Kind,
    version: str | None,
    session: Transport,
    *,
    workers: int = 8,
    **options: Any,
) -> Plan:
    """Plan eRASS1 DE DR1 tile downloads from eRODat listings (see the module docstring)."""
    lister = Lister(session, "erosita_dr1")
    parts = _ERASS_PARTS[kind]
    cut = _cut_for(instruments)

    def one(tile: str) -> tuple[list[RemoteFile], list[str]]:
        folder = erass_folder(tile)
        names = [e.name for e in lister.entries(folder) if e.is_dir]
        chosen = _version(tile, names, list(parts), version)
        files: list[RemoteFile] = []
        for part, markers in parts.items():
            sub = f"{part}_{chosen}"
            for entry in lister.entries(f"{folder}/{sub}"):
                if entry.is_dir or not any(m in entry.name for m in markers):
                    continue
                if f"_{tile}_" not in entry.name:
                    continue
                files.append(
                    lister.file(
                        f"{folder}/{sub}",
                        entry,
                        f"{tile}/{sub}/{entry.name}",
                        tile,
                        unpack="gzip" if entry.name.endswith(".gz") else None,
                        cut_tms=cut if "_EventList_" in entry.name else None,
                    )
                )
        if not any("_EventList_" in f.dest_relpath for f in files):
            raise DownloadError(f"tile {tile} has no event list in EXP_{chosen}/")
        return files, [f"pipeline version {chosen}"]

    return plan_each(
        "erosita_all_sky_de_dr1",
        obs_ids,
        one,
        workers=workers,
        on_planned=options.get("on_planned"),
    )


# -- CalPV -----------------------------------------------------------------------------------


def calpv_urls(obs_ids: Sequence[str], fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tarball URL of each CalPV ObsID (rebased onto the configured ``erosita_edr`` URL).

    ``fields`` maps ObsID → field name or tarball URL; otherwise the cached CalPV table is used,
    else the published list is fetched.
    """
    urls: dict[str, str] = {}
    for obs_id, value in (fields or {}).items():
        if obs_id in obs_ids:
            text = str(value)
            urls[obs_id] = (
                rebase(text, "erosita_edr")
                if "://" in text
                else f"{service_url('erosita_edr')}/CalPvObs/{text}.tar.gz"
            )
    missing = [o for o in obs_ids if o not in urls]
    if missing:
        table = _calpv_table()
        lookup = dict(zip(table["obs_id"].to_list(), table["download_url"].to_list(), strict=True))
        for obs_id in missing:
            if lookup.get(obs_id):
                urls[obs_id] = rebase(str(lookup[obs_id]), "erosita_edr")
    return urls


def _calpv_table() -> Any:
    import polars as pl

    from daxa import cache

    try:
        table = cache.read("erosita_calpv")
        if "download_url" in table.columns:
            return table.select("obs_id", "download_url")
    except Exception:  # no usable cache: fetch the published list
        pass
    from daxa.fetch import fetch_mission

    table = fetch_mission("erosita_calpv").table
    return table.select(pl.col("obs_id"), pl.col("download_url"))


def plan_calpv(
    obs_ids: Sequence[str],
    instruments: Sequence[str],
    kind: Kind,
    version: str | None,
    session: Transport,
    *,
    workers: int = 8,
    fields: Mapping[str, str] | None = None,
    **options: Any,
) -> Plan:
    """Plan CalPV downloads: each ObsID's field tarball, fetched once per field and run."""
    urls = calpv_urls(list(obs_ids), fields)
    cut = _cut_for(instruments)

    def one(obs_id: str) -> tuple[list[RemoteFile], list[str]]:
        url = urls.get(obs_id)
        if url is None:
            raise DownloadError(f"CalPV ObsID {obs_id} is not in the CalPV observation list")
        tarball = url.rsplit("/", 1)[-1]
        remote = RemoteFile(
            url,
            f".calpv/{tarball}",
            obs_id,
            "erosita_edr",
            extract=TarExtract(obs_id, keep=(rf"(?<!\d){obs_id}(?!\d)",), drop=(r"eRO",)),
            cut_tms=cut,
        )
        notes = [f"field tarball {tarball}"]
        if kind == "products":
            notes.append("CalPV has no pre-processed products; fetched the event lists")
        return [remote], notes

    return plan_each(
        "erosita_calpv", obs_ids, one, workers=workers, on_planned=options.get("on_planned")
    )
