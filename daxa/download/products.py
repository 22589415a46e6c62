"""Find downloaded products (event lists, images, exposure and background maps) and delete
downloads.

Products are looked up by ObsID, instrument and energy band, with the archives' own file
names (DESIGN §3.2 bands). An ObsID counts as downloaded only when its manifest is complete.
Errors say what is wrong: not downloaded (and how to fix it), a band the mission does not have
(listing those it has), no file of that kind, or several files matching (listing them).

>>> bands("rosat_pointed", "PSPCB")
{(0.07, 2.4): '1', (0.07, 0.4): '3', (0.4, 2.4): '2'}
"""

from __future__ import annotations

import builtins
import re
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from daxa.download.erosita import ALL_TMS, tms_of
from daxa.download.layout import (
    DEFAULT_DEST,
    MANIFEST_NAME,
    PathLike,
    check_component,
    manifest_path,
    mission_dir,
)
from daxa.download.manifest import Manifest
from daxa.errors import InputError, ProductNotFoundError
from daxa.missions import check_obs_ids, get_mission, normalise_instruments

Product = Literal["events", "image", "expmap", "background"]
PRODUCTS: tuple[str, ...] = ("events", "image", "expmap", "background")
Band = tuple[float, float]

_GZ = r"(\.gz)?"


@dataclass(frozen=True)
class ProductSpec:
    """File-name patterns (regular expressions on the path inside the ObsID folder).

    Placeholders: ``{oi}`` ObsID, ``{ol}`` lower-case ObsID, ``{oi5}`` ObsID padded to five
    digits, ``{i}`` the instrument's code in file names, ``{eb}`` the band's code. ``templates``
    maps product → pattern, or product → instrument → pattern; ``bands`` maps instrument (or
    ``None`` for all) → band (keV) → code; ``codes`` maps instrument → file-name code.
    """

    templates: Mapping[str, Any]
    bands: Mapping[str | None, Mapping[Band, str]] = field(default_factory=dict)
    codes: Mapping[str, str] = field(default_factory=dict)


_ASCA_BANDS_SIS = {(0.4, 2.0): "lo", (0.4, 10.0): "all", (2.0, 10.0): "hi"}
_ASCA_BANDS_GIS = {(0.7, 2.0): "lo", (0.7, 10.0): "all", (2.0, 10.0): "hi"}
_ROSAT_PSPC = {(0.07, 2.4): "1", (0.07, 0.4): "3", (0.4, 2.4): "2"}
_ERASS_BANDS = {
    (0.2, 0.6): "1",
    (0.6, 2.3): "2",
    (2.3, 5.0): "3",
    (0.2, 2.3): "4",
    (0.2, 0.5): "5",
    (0.5, 1.0): "6",
    (1.0, 2.0): "7",
}
#: XMM PPS image bands (the XSA's pipeline products).
_XMM_BANDS = {
    (0.2, 0.5): "1",
    (0.5, 1.0): "2",
    (1.0, 2.0): "3",
    (2.0, 4.5): "4",
    (4.5, 12.0): "5",
    (0.2, 12.0): "8",
}
_ROSAT = ProductSpec(
    {
        "events": r"{ol}_bas\.fits",
        "image": r"{ol}_im{eb}\.fits",
        "expmap": {
            "PSPCB": r"{ol}_mex\.fits",
            "PSPCC": r"{ol}_mex\.fits",
            "PSPC": r"{ol}_mex\.fits",
        },
        "background": r"{ol}_bk{eb}\.fits",
    },
    {"PSPCB": _ROSAT_PSPC, "PSPCC": _ROSAT_PSPC, "PSPC": _ROSAT_PSPC, "HRI": {(0.07, 2.4): "1"}},
)

SPECS: dict[str, ProductSpec] = {
    "xmm_pointed": ProductSpec(
        {
            "events": {
                "M1": r"PPS/P{oi}M1S\d{3}MIEVLI0000\.FTZ",
                "M2": r"PPS/P{oi}M2S\d{3}MIEVLI0000\.FTZ",
                "PN": r"PPS/P{oi}PNS\d{3}PIEVLI0000\.FTZ",
            },
            "image": r"PPS/P{oi}{i}S\d{3}IMAGE_{eb}000\.FTZ",
            "expmap": r"PPS/P{oi}{i}S\d{3}EXPMAP{eb}000\.FTZ",
        },
        {inst: _XMM_BANDS for inst in ("M1", "M2", "PN")},
        {"M1": "M1", "M2": "M2", "PN": "PN"},
    ),
    "chandra": ProductSpec(
        {
            "events": r"primary/{i}f{oi5}N\d{3}_evt2\.fits",
            "image": r"primary/{i}f{oi5}N\d{3}_full_img2\.fits",
        },
        {"ACIS": {(0.5, 7.0): ""}, "HRC": {(0.06, 10.0): ""}},
        {"ACIS": "acis", "HRC": "hrc"},
    ),
    "nustar_pointed": ProductSpec(
        {"events": r"event_cl/nu{oi}{i}01_cl\.evt", "image": r"event_cl/nu{oi}{i}01_sk\.img"},
        {None: {(3.0, 78.0): ""}},
        {"FPMA": "A", "FPMB": "B"},
    ),
    "rosat_pointed": _ROSAT,
    "rosat_all_sky": _ROSAT,
    "swift": ProductSpec(
        {
            "events": {
                "XRT": r"xrt/event/sw{oi}xpc\w*po_cl\.evt",
                "BAT": r"bat/event/sw{oi}bevshsp_uf\.evt",
            },
            "image": {"XRT": r"xrt/products/sw{oi}xpc_sk\.img"},
            "expmap": {"XRT": r"xrt/products/sw{oi}xpc_ex\.img"},
        },
        {"XRT": {(0.01, 10.23): ""}},
    ),
    "suzaku": ProductSpec(
        {
            "events": r"xis/event_cl/ae{oi}{i}_\w+_cl\.evt",
            "image": r"xis/products/ae{oi}{i}_\w+_sk\.img",
        },
        {None: {(0.2, 12.0): ""}},
        {f"XIS{n}": f"xi{n}" for n in range(4)},
    ),
    "asca": ProductSpec(
        {
            "events": r"screened/ad{oi}{i}\w*\.evt",
            "image": {
                "SIS0": r"images/ad{oi}sis\w*_{eb}\.totsky",
                "SIS1": r"images/ad{oi}sis\w*_{eb}\.totsky",
                "GIS2": r"images/ad{oi}gis\w*_{eb}\.totsky",
                "GIS3": r"images/ad{oi}gis\w*_{eb}\.totsky",
            },
            "expmap": {
                "SIS0": r"images/ad{oi}sis\w*\.totexpo",
                "SIS1": r"images/ad{oi}sis\w*\.totexpo",
                "GIS2": r"images/ad{oi}gis\w*\.totexpo",
                "GIS3": r"images/ad{oi}gis\w*\.totexpo",
            },
        },
        {
            "SIS0": _ASCA_BANDS_SIS,
            "SIS1": _ASCA_BANDS_SIS,
            "GIS2": _ASCA_BANDS_GIS,
            "GIS3": _ASCA_BANDS_GIS,
        },
        {"SIS0": "s0", "SIS1": "s1", "GIS2": "g2", "GIS3": "g3"},
    ),
    "integral_pointed": ProductSpec(
        {"events": r"{i}_events\.fits"},
        {},
        {"JEMX1": "jmx1", "JEMX2": "jmx2", "ISGRI": "isgri", "PICSIT": "picsit", "SPI": "spi"},
    ),
    "xrism_pointed": ProductSpec(
        {
            "events": {
                "RESOLVE": r"resolve/event_cl/xa{oi}rsl_p0px1000_cl\.evt",
                "XTEND": r"xtend/event_cl/xa{oi}xtd_p\w+_cl\.evt",
            },
            "image": {
                "RESOLVE": r"resolve/products/xa{oi}rsl_p0px1000_cl\.sky\.img",
                "XTEND": r"xtend/products/xa{oi}xtd_p\w+_cl\.sky\.img",
            },
        },
        {"RESOLVE": {(1.7, 12.0): ""}, "XTEND": {(0.4, 20.0): ""}},
    ),
    "erosita_all_sky_de_dr1": ProductSpec(
        {
            "events": r"EXP_\d+/e[a-z]\d{2}_{oi}_020_EventList_c\d+{cut}\.fits",
            "image": r"EXP_\d+/e[a-z]\d{2}_{oi}_02{eb}_Image_c\d+\.fits",
            "expmap": r"DET_\d+/e[a-z]\d{2}_{oi}_02{eb}_ExposureMap_c\d+\.fits",
            "background": r"DET_\d+/e[a-z]\d{2}_{oi}_02{eb}_BackgrImage_c\d+\.fits",
        },
        {None: _ERASS_BANDS},
    ),
    "erosita_calpv": ProductSpec(
        {"events": r"[a-z]{2}\d{2}_{oi}_020_EventList_c\d+{cut}\.fits"},
    ),
}

_EROSITA = ("erosita_all_sky_de_dr1", "erosita_calpv")


def _band_key(band: Any) -> Band:
    """``band`` as a (low, high) pair of keV floats (numbers or astropy Quantities)."""
    try:
        low, high = band
    except (TypeError, ValueError):
        raise InputError(f"band must be a (low, high) pair in keV, not {band!r}") from None

    def kev(value: Any) -> float:
        if hasattr(value, "to_value"):
            return float(value.to_value("keV"))
        return float(value)

    return kev(low), kev(high)


def bands(mission: str, instrument: str | None = None) -> dict[Band, str]:
    """The pre-processed energy bands (keV) of ``mission`` (and instrument) → file code."""
    spec = SPECS[get_mission(mission).name]
    if instrument is not None and instrument in spec.bands:
        return dict(spec.bands[instrument])
    if None in spec.bands:
        return dict(spec.bands[None])
    if instrument is None and spec.bands:
        merged: dict[Band, str] = {}
        for table in spec.bands.values():
            merged.update(table)
        return merged
    return {}


def _band_code(mission: str, instrument: str | None, band: Any) -> str:
    table = bands(mission, instrument)
    if not table:
        raise InputError(f"{mission} has no pre-processed energy bands")
    if band is None:
        if len(table) == 1:
            return next(iter(table.values()))
        raise InputError(
            f"{mission} {instrument or ''} products come in several bands; choose one with "
            f"band=(low, high) keV: {_band_list(table)}"
        )
    low, high = _band_key(band)
    for (lo, hi), code in table.items():
        if abs(lo - low) <= 1e-6 * max(1, lo) and abs(hi - high) <= 1e-6 * max(1, hi):
            return code
    raise InputError(
        f"{mission}{' ' + instrument if instrument else ''} has no {low:g}-{high:g} keV band; "
        f"the bands are: {_band_list(table)}"
    )


def _band_list(table: Mapping[Band, str]) -> str:
    return ", ".join(f"{lo:g}-{hi:g} keV" for lo, hi in table)


def _template(mission: str, product: str, instrument: str | None) -> str | None:
    template = SPECS[mission].templates.get(product)
    if isinstance(template, Mapping):
        template = template.get(instrument) if instrument is not None else None
    return template


def _pattern(
    mission: str, product: str, obs_id: str, instrument: str | None, band_code: str, cut: str
) -> str | None:
    spec = SPECS[mission]
    template = _template(mission, product, instrument)
    if template is None:
        return None
    code = spec.codes.get(instrument or "", "")
    values = {
        "oi": re.escape(obs_id),
        "ol": re.escape(obs_id.lower()),
        "oi5": re.escape(obs_id.zfill(5)),
        "i": re.escape(code),
        "eb": re.escape(band_code),
        "cut": cut,
    }
    return re.sub(r"\{([a-z]\w*)\}", lambda m: values[m.group(1)], template) + _GZ


def _instrument_options(mission: str, product: str) -> list[str | None]:
    spec = SPECS[mission]
    template = spec.templates.get(product)
    if isinstance(template, Mapping):
        return list(template)
    if "{i}" in str(template) and spec.codes:
        return list(spec.codes)
    return [None]


def downloaded(mission: str, obs_id: str, dest: PathLike = DEFAULT_DEST) -> bool:
    """True when ``obs_id`` has a complete manifest whose files are all present."""
    name = get_mission(mission).name
    manifest = Manifest.load(manifest_path(dest, name, obs_id))
    return (
        manifest is not None and manifest.complete and not manifest.verify(mission_dir(dest, name))
    )


def product_path(
    mission: str,
    obs_id: str,
    product: Product = "events",
    *,
    instrument: str | Sequence[str] | None = None,
    band: Any = None,
    dest: PathLike = DEFAULT_DEST,
) -> Path:
    """The path of a downloaded product of ``obs_id``.

    ``product`` is ``"events"``, ``"image"``, ``"expmap"`` or ``"background"``; ``band`` a
    ``(low, high)`` keV pair (numbers or Quantities) from :func:`bands`, needed when a product
    comes in several bands. For eROSITA event lists, ``instrument`` may name telescope modules
    (``"TM1"`` or a list) to get the copy cut to them.
    """
    spec = get_mission(mission)
    name = spec.name
    (obs_id,) = check_obs_ids(spec, [obs_id])
    if product not in PRODUCTS:
        raise InputError(f"product must be one of {', '.join(PRODUCTS)}, not {product!r}")
    if name not in SPECS or product not in SPECS[name].templates:
        offered = [p for p in PRODUCTS if p in SPECS.get(name, ProductSpec({})).templates]
        raise ProductNotFoundError(
            f"{spec.pretty_name} has no pre-processed {product} daxa knows of; "
            f"it offers: {', '.join(offered) or 'none'}"
        )
    cut = ""
    instruments: list[str | None]
    if name in _EROSITA:
        if instrument is not None and product == "events":
            chosen = tms_of(normalise_instruments(spec, instrument))
            if chosen != ALL_TMS:
                cut = "_if_" + "".join(str(t) for t in chosen)
        instruments = [None]
    elif instrument is not None:
        instruments = [normalise_instruments(spec, instrument)[0]]
    else:
        instruments = _instrument_options(name, product)

    patterns: list[str] = []
    for inst in instruments:
        template = _template(name, product, inst)
        code = ""
        if template is not None and ("{eb}" in template or band is not None):
            code = _band_code(name, inst, band)  # checks the band even when names omit it
        pattern = _pattern(name, product, obs_id, inst, code, re.escape(cut))
        if pattern is not None:
            patterns.append(pattern)
    if not patterns:
        raise ProductNotFoundError(
            f"{spec.pretty_name} has no {product} for {instruments[0] or instrument}"
        )

    root = mission_dir(dest, name)
    manifest = Manifest.load(manifest_path(dest, name, obs_id))
    if manifest is None or not manifest.complete:
        state = "is not downloaded" if manifest is None else "is only partly downloaded"
        raise ProductNotFoundError(
            f"{spec.pretty_name} ObsID {obs_id} {state} under {root}; download it first "
            f"(daxa.download.download({name!r}, [{obs_id!r}], dest=..., kind='products'))"
        )
    folder = root / obs_id
    files = _files_under(folder)
    found: list[Path] = []
    for pattern in patterns:
        regex = re.compile(pattern)
        found += [p for p in files if regex.fullmatch(p.relative_to(folder).as_posix())]
    found = sorted(set(found))
    what = f"{product} of {spec.pretty_name} ObsID {obs_id}" + (
        f" ({instrument})" if instrument else ""
    )
    if not found:
        hint = ""
        if manifest.request.get("kind") == "raw" and product != "events":
            hint = "; it was downloaded with kind='raw': products need kind='products'"
        raise ProductNotFoundError(
            f"no {what} under {folder} (looked for {' or '.join(patterns)}){hint}"
        )
    if len(found) > 1:
        listed = ", ".join(p.relative_to(folder).as_posix() for p in found[:10])
        raise ProductNotFoundError(
            f"several files match the {what}: {listed}; name the instrument (or band) to choose"
        )
    return found[0]


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST_NAME]


# -- deleting downloads ----------------------------------------------------------------------


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def delete_downloads(
    mission: str,
    obs_ids: Iterable[str] | None = None,
    *,
    dest: PathLike = DEFAULT_DEST,
    confirm: bool = True,
    ask: Callable[[str], str] = builtins.input,
) -> list[str]:
    """Delete downloaded data of ``obs_ids`` (all of the mission's when ``None``).

    Asks ``Delete ...? [y/N]`` first unless ``confirm=False``; anything but yes (or no answer
    at all) deletes nothing. Returns the ObsIDs whose folders were removed. Only folders inside
    ``<dest>/<mission>/`` are ever touched.
    """
    spec = get_mission(mission)
    root = mission_dir(dest, spec.name)
    if obs_ids is None:
        folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        names = [p.name for p in folders if spec.obs_id_pattern.match(p.name)]
        shared = [p for p in folders if p.name not in names]  # INTEGRAL aux/, CalPV tarballs
    else:
        names = [check_component(o, what="ObsID") for o in check_obs_ids(spec, obs_ids)]
        shared = []
    existing = [n for n in names if (root / n).is_dir()]
    paths = [root / n for n in existing] + shared
    if not paths:
        return []
    if confirm:
        total = sum(_size(p) for p in paths)
        scope = "every" if obs_ids is None else f"{len(existing)}"
        question = (
            f"Delete {scope} downloaded {spec.name} ObsID folder(s) "
            f"({len(existing)}, {total / 2**20:.1f} MiB) under {root}? [y/N] "
        )
        try:
            answer = ask(question)
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            return []
    for path in paths:
        shutil.rmtree(path, ignore_errors=False)
    if obs_ids is None and root.is_dir() and not any(root.iterdir()):
        root.rmdir()
    return existing
