"""Downloaders for the missions whose data live in the HEASARC tree (DESIGN §3.2).

Each mission is described by a :class:`TreeSpec`: where an ObsID's folder is, which of its
sub-folders raw data and products come from, which instrument a folder or a file belongs to,
and how files are unpacked. :func:`plan_tree` walks the HEASARC listings with that description
and returns the files to fetch, so a choice of instruments only fetches those instruments'
files (plus the shared ones: attitude, orbit, housekeeping common to all).

``kind="products"`` fetches the raw data *and* the archive's pre-processed products (as DAXA
does). Folders a kind needs but the archive lacks fail the ObsID when they hold raw data, and
are only noted when they hold products (some NuSTAR ObsIDs have no ``event_cl/``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from daxa.download.common import Lister, plan_each, unpack_kind
from daxa.download.listing import ListingEntry
from daxa.download.plan import Kind, Plan, RemoteFile
from daxa.download.transport import Transport
from daxa.errors import DownloadError

SERVICE = "heasarc_ftp"
#: Files that belong to no instrument: fetched whatever the choice.
SHARED = None


@dataclass(frozen=True)
class DirRule:
    """One remote sub-folder of an ObsID folder and what to take from it.

    ``path`` is relative to the ObsID folder ("" is the folder itself); ``kind`` is the first
    kind that includes it (raw folders are also part of products); ``owner`` is the instrument
    the whole folder belongs to (None: shared or per file); ``include`` keeps only file names
    matching it; ``raw_exclude`` drops matching names from raw downloads (cleaned event
    lists); ``required`` fails the ObsID when the folder is missing.
    """

    path: str
    kind: Kind = "raw"
    owner: tuple[str, ...] | None = None
    include: str | None = None
    raw_exclude: str | None = None
    required: bool = True
    recursive: bool = False


@dataclass(frozen=True)
class TreeSpec:
    """How one mission's observations are laid out in the HEASARC tree."""

    mission: str
    folder: Callable[[str, Mapping[str, Any]], str]
    rules: tuple[DirRule, ...]
    #: Instruments a file belongs to (by name), or None when it is shared.
    file_owner: Callable[[str, str], tuple[str, ...] | None] = lambda obs_id, name: None
    #: Unpack downloaded compressed files (gzip, and LZW for ROSAT).
    unpack: bool = True


def _wanted(owner: tuple[str, ...] | None, instruments: Sequence[str]) -> bool:
    return owner is None or any(i in instruments for i in owner)


def _files_of(
    lister: Lister, folder: str, rule: DirRule, recursive_prefix: str = ""
) -> list[tuple[str, ListingEntry]] | None:
    """Files of ``folder/rule.path`` as (path relative to the rule folder, entry)."""
    path = f"{folder}/{rule.path}".rstrip("/") + (
        "/" + recursive_prefix if recursive_prefix else ""
    )
    entries = lister.try_list(path.rstrip("/"))
    if entries is None:
        return None
    out: list[tuple[str, ListingEntry]] = []
    for entry in entries:
        rel = f"{recursive_prefix}{entry.name}"
        if entry.is_dir:
            if rule.recursive:
                deeper = _files_of(lister, folder, rule, rel + "/")
                out += deeper or []
            continue
        out.append((rel, entry))
    return out


def plan_tree(
    spec: TreeSpec,
    obs_id: str,
    instruments: Sequence[str],
    kind: Kind,
    lister: Lister,
    context: Mapping[str, Any] | None = None,
) -> tuple[list[RemoteFile], list[str]]:
    """Files to fetch for one ObsID, and notes about optional folders that were missing."""
    context = context or {}
    folder = spec.folder(obs_id, context).strip("/")
    lister.entries(folder)  # NotFoundError when the ObsID is not in the archive
    files: list[RemoteFile] = []
    notes: list[str] = []
    missing_required: list[str] = []
    for rule in spec.rules:
        if rule.kind == "products" and kind == "raw":
            continue
        if not _wanted(rule.owner, instruments):
            continue
        found = _files_of(lister, folder, rule)
        if found is None:
            label = (rule.path or ".") + "/"
            if rule.required and rule.kind == "raw" and rule.owner is None:
                missing_required.append(label)
            else:
                notes.append(f"the archive has no {label} for ObsID {obs_id}")
            continue
        include = re.compile(rule.include) if rule.include else None
        exclude = re.compile(rule.raw_exclude) if rule.raw_exclude and kind == "raw" else None
        for rel, entry in found:
            name = entry.name
            if include is not None and not include.search(name):
                continue
            if exclude is not None and exclude.search(name):
                continue
            if rule.owner is None and not _wanted(spec.file_owner(obs_id, name), instruments):
                continue
            sub = f"{rule.path}/{rel}" if rule.path else rel
            files.append(
                RemoteFile(
                    url=lister.url(f"{folder}/{sub}").rstrip("/"),
                    dest_relpath=f"{obs_id}/{sub}",
                    obs_id=obs_id,
                    service=SERVICE,
                    size=entry.size if entry.size_exact else None,
                    unpack=unpack_kind(name) if spec.unpack else None,  # type: ignore[arg-type]
                )
            )
    if missing_required:
        raise DownloadError(
            f"the archive folder of ObsID {obs_id} lacks {', '.join(missing_required)} "
            f"({lister.url(folder)})"
        )
    if not files:
        raise DownloadError(
            f"nothing to fetch for ObsID {obs_id} with instruments {', '.join(instruments)} "
            f"({lister.url(folder)})"
        )
    return files, notes


def tree_downloader(spec: TreeSpec) -> Callable[..., Plan]:
    """A registry function ``(obs_ids, instruments, kind, version, session, **options)``."""

    def download_plan(
        obs_ids: Sequence[str],
        instruments: Sequence[str],
        kind: Kind,
        version: str | None,
        session: Transport,
        *,
        workers: int = 8,
        **options: Any,
    ) -> Plan:
        lister = Lister(session, SERVICE)
        context = _context(spec.mission, list(obs_ids), options, session)
        return plan_each(
            spec.mission,
            obs_ids,
            lambda o: plan_tree(spec, o, instruments, kind, lister, context.get(o, {})),
            workers=workers,
            on_planned=options.get("on_planned"),
        )

    download_plan.__name__ = f"plan_{spec.mission}"
    download_plan.__doc__ = f"Plan {spec.mission} downloads from the HEASARC tree."
    return download_plan


# -- per-ObsID context (Swift start months) --------------------------------------------------


def _context(
    mission: str, obs_ids: list[str], options: Mapping[str, Any], session: Transport
) -> dict[str, dict[str, Any]]:
    if mission != "swift":
        return {}
    months = swift_months(obs_ids, options.get("starts"))
    return {o: {"month": m} for o, m in months.items()}


def _month(value: Any) -> str | None:
    """``YYYY_MM`` of a start given as datetime, date, ISO string or MJD number."""
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}_\d{2}", value):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        when = dt.datetime(1858, 11, 17) + dt.timedelta(days=float(value))
        return f"{when.year:04d}_{when.month:02d}"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, (dt.datetime, dt.date)):
        return f"{value.year:04d}_{value.month:02d}"
    return None


def swift_months(obs_ids: Sequence[str], starts: Mapping[str, Any] | None) -> dict[str, str]:
    """``YYYY_MM`` of each Swift ObsID's start, the folder its data live in.

    From ``starts`` (ObsID → datetime, ISO string, MJD or ``YYYY_MM``) when given, else from the
    cached Swift table, else from a HEASARC TAP query for just these ObsIDs. ObsIDs whose start
    cannot be found are left out (their planning then fails with a clear message).
    """
    months: dict[str, str] = {}
    for obs_id in obs_ids:
        month = _month((starts or {}).get(obs_id))
        if month:
            months[obs_id] = month
    missing = [o for o in obs_ids if o not in months]
    if missing:
        months.update(_months_from_cache(missing))
    missing = [o for o in obs_ids if o not in months]
    if missing:
        months.update(_months_from_tap(missing))
    return months


def _months_from_cache(obs_ids: list[str]) -> dict[str, str]:
    try:
        import polars as pl

        from daxa import cache

        table = cache.read("swift").filter(pl.col("obs_id").is_in(obs_ids))
    except Exception:  # no cache, or an unreadable one: fall through to the TAP service
        return {}
    return {
        str(o): f"{s.year:04d}_{s.month:02d}"
        for o, s in zip(table["obs_id"], table["start"], strict=True)
        if s is not None
    }


def _months_from_tap(obs_ids: list[str]) -> dict[str, str]:
    from daxa.services.tap import run_query

    months: dict[str, str] = {}
    for start in range(0, len(obs_ids), 500):
        chunk = obs_ids[start : start + 500]
        quoted = ", ".join(f"'{o}'" for o in chunk if o.isdigit())
        try:
            rows = run_query(
                "heasarc_tap",
                f"SELECT obsid, start_time FROM swiftmastr WHERE obsid IN ({quoted})",
                table="swiftmastr",
            )
        except Exception:  # the service is down: report the ObsIDs as unplannable
            return months
        for obs_id, mjd in zip(rows["obsid"], rows["start_time"], strict=True):
            month = _month(float(mjd)) if mjd is not None else None
            if month:
                months[str(obs_id).zfill(11)] = month
    return months


def _swift_folder(obs_id: str, context: Mapping[str, Any]) -> str:
    month = context.get("month")
    if not month:
        raise DownloadError(
            f"the start month of Swift ObsID {obs_id} is unknown, so its folder cannot be "
            "found; pass starts={obs_id: start} or fetch the Swift table first (daxa fetch swift)"
        )
    return f"swift/data/obs/{month}/{obs_id}"


# -- the missions ----------------------------------------------------------------------------

_CHANDRA_SECONDARY = r"(evt1|mtl1|bias0|pbk0|flt1|bpix1|msk1|stat1)\.fits"

CHANDRA = TreeSpec(
    "chandra",
    lambda o, c: f"chandra/data/byobsid/{o[-1]}/{o}",
    (
        DirRule("", include=r"^oif\.fits"),
        DirRule("secondary", include=_CHANDRA_SECONDARY),
        DirRule("primary", kind="products", include=r"\.fits(\.gz)?$"),
    ),
)


def _nustar_owner(obs_id: str, name: str) -> tuple[str, ...] | None:
    match = re.match(rf"^nu{obs_id}([AB])", name)
    return (f"FPM{match.group(1)}",) if match else None


NUSTAR = TreeSpec(
    "nustar_pointed",
    lambda o, c: f"nustar/data/obs/{o[1:3]}/{o[0]}/{o}",
    (
        DirRule("auxil"),
        DirRule("hk"),
        DirRule("event_uf"),
        DirRule("event_cl", kind="products", required=False),
    ),
    file_owner=_nustar_owner,
)


def _rosat_folder(obs_id: str, context: Mapping[str, Any]) -> str:
    detector = "hri" if obs_id[1].upper() == "H" else "pspc"
    return f"rosat/data/{detector}/processed_data/{obs_id[2]}00000/{obs_id.lower()}"


ROSAT_POINTED = TreeSpec(
    "rosat_pointed",
    _rosat_folder,
    (
        DirRule("", include=r"_(anc|bas)\.fits"),
        DirRule("", kind="products", include=r"_(im\d|bk\d|mex)\.fits"),
    ),
)

ROSAT_ALL_SKY = TreeSpec(
    "rosat_all_sky",
    lambda o, c: f"rosat/data/pspc/processed_data/900000/{o.lower()}",
    ROSAT_POINTED.rules,
)

_SWIFT_RAW = {
    "xrt": ("event", "hk"),
    "bat": ("event", "hk", "rate", "survey"),
    "uvot": ("event", "hk", "image"),
}

SWIFT = TreeSpec(
    "swift",
    _swift_folder,
    (
        DirRule("auxil"),
        *(
            DirRule(f"{inst}/{sub}", owner=(inst.upper(),), raw_exclude=r"_cl\.evt", required=False)
            for inst, subs in _SWIFT_RAW.items()
            for sub in subs
        ),
        *(
            DirRule(f"{inst}/products", kind="products", owner=(inst.upper(),), required=False)
            for inst in ("xrt", "bat", "uvot")
        ),
    ),
)


def _suzaku_owner(obs_id: str, name: str) -> tuple[str, ...] | None:
    match = re.match(rf"^ae{obs_id}xi(\d)", name)
    return (f"XIS{match.group(1)}",) if match else None


SUZAKU = TreeSpec(
    "suzaku",
    lambda o, c: f"suzaku/data/obs/{o[0]}/{o}",
    (
        DirRule("auxil"),
        DirRule("xis/event_uf"),
        DirRule("xis/hk"),
        DirRule("xis/products", required=False),
        DirRule("xis/event_cl", kind="products", required=False),
    ),
    file_owner=_suzaku_owner,
)


def _asca_owner(obs_id: str, name: str) -> tuple[str, ...] | None:
    match = re.match(rf"^ad{obs_id}(gis|sis|[gs]\d)", name)
    if not match:
        return None
    tag = match.group(1)
    if tag == "gis":
        return ("GIS2", "GIS3")
    if tag == "sis":
        return ("SIS0", "SIS1")
    return (("GIS" if tag[0] == "g" else "SIS") + tag[1],)


ASCA = TreeSpec(
    "asca",
    lambda o, c: f"asca/data/rev2/{o}",
    (
        DirRule("aux"),
        DirRule("unscreened"),
        DirRule("screened", kind="products"),
        DirRule("images", kind="products", required=False),
        DirRule("spectra", kind="products", required=False),
        DirRule("lcurves", kind="products", required=False),
    ),
    file_owner=_asca_owner,
)

XRISM = TreeSpec(
    "xrism_pointed",
    lambda o, c: f"xrism/data/obs/{o[0]}/{o}",
    (
        DirRule("auxil"),
        *(
            DirRule(f"{inst}/{sub}", owner=(inst.upper(),), required=False)
            for inst in ("resolve", "xtend")
            for sub in ("event_uf", "hk", "products")
        ),
        *(
            DirRule(f"{inst}/event_cl", kind="products", owner=(inst.upper(),), required=False)
            for inst in ("resolve", "xtend")
        ),
    ),
)

TREES = {
    s.mission: s
    for s in (CHANDRA, NUSTAR, ROSAT_POINTED, ROSAT_ALL_SKY, SWIFT, SUZAKU, ASCA, XRISM)
}
