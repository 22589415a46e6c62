"""The downloaders, keyed by mission name.

Each is a plain function ``(obs_ids, instruments, kind, version, session, **options) -> Plan``:
it turns what to fetch (ObsIDs, canonical instrument names, ``"raw"`` or ``"products"``, a
version: the eRASS1 pipeline version or the INTEGRAL science-window version, default the
highest) into remote files and local destinations, reading the archive's
listings through ``session`` (a :class:`~daxa.download.engine.Transport`). Options a mission
understands: ``starts`` (Swift: ObsID → start), ``source`` (XMM: ``"xsa"`` or ``"heasarc"``),
``fields`` (CalPV: ObsID → field name or tarball URL), ``workers`` (planning threads),
``on_planned`` (called with each ObsID once planned).

>>> from daxa.missions import mission_names
>>> sorted(DOWNLOADERS) == sorted(mission_names())
True
"""

from __future__ import annotations

from collections.abc import Callable

from daxa.download import erosita, heasarc, integral, xmm
from daxa.download.plan import Plan

Downloader = Callable[..., Plan]

DOWNLOADERS: dict[str, Downloader] = {
    "xmm_pointed": xmm.plan_xmm,
    "chandra": heasarc.tree_downloader(heasarc.CHANDRA),
    "nustar_pointed": heasarc.tree_downloader(heasarc.NUSTAR),
    "erosita_calpv": erosita.plan_calpv,
    "erosita_all_sky_de_dr1": erosita.plan_erass1,
    "rosat_pointed": heasarc.tree_downloader(heasarc.ROSAT_POINTED),
    "rosat_all_sky": heasarc.tree_downloader(heasarc.ROSAT_ALL_SKY),
    "swift": heasarc.tree_downloader(heasarc.SWIFT),
    "suzaku": heasarc.tree_downloader(heasarc.SUZAKU),
    "asca": heasarc.tree_downloader(heasarc.ASCA),
    "integral_pointed": integral.plan_integral,
    "xrism_pointed": heasarc.tree_downloader(heasarc.XRISM),
}


def downloader(mission: str) -> Downloader:
    """The downloader of ``mission`` (any case; UnknownMissionError for others)."""
    from daxa.missions import get_mission

    return DOWNLOADERS[get_mission(mission).name]
