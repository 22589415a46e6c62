"""Where each mission keeps an observation's files, and what they are called (DESIGN §3.2).

:func:`heasarc_folder` maps a HEASARC path to ``(mission, obs_id)``; :func:`obs_files` lists the
files of one observation folder (paths relative to it). Facts that vary between observations
(Chandra's detector, Swift's start month, whether a NuSTAR ObsID has ``event_cl/``) come from
an :class:`ObsFacts`, which the file tree fills from the emulator's tables or derives from the
ObsID.

>>> heasarc_folder("chandra/data/byobsid/4/1234/primary")
('chandra', '1234', 'primary')
>>> sorted(obs_files("rosat_all_sky", "RS930001N00", ObsFacts()))[:2]
['rs930001n00_anc.fits.Z', 'rs930001n00_bas.fits.Z']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from daxa.testing.files.content import Compression, FileSpec

ERASS_BANDS = tuple(range(1, 8))
XMM_INSTRUMENTS = ("M1", "M2", "PN", "OM", "R1", "R2")
XMM_PPS_BANDS = (1, 2, 3, 4, 5, 8)


@dataclass(frozen=True)
class ObsFacts:
    """Per-observation facts the layout depends on."""

    detector: str = "acis"  # Chandra: acis or hrc
    month: str = "2010_01"  # Swift: YYYY_MM of the start
    has_event_cl: bool = True  # NuSTAR
    has_xi2: bool = True  # Suzaku: XIS2 died in 2006
    revolution: str = "0123"  # XMM
    scw_version: str = "001"  # INTEGRAL


# -- HEASARC paths -> (mission, obs_id, rest) ------------------------------------------------

_HEASARC = (
    ("chandra", re.compile(r"chandra/data/byobsid/(?P<d>\d)/(?P<o>\d{1,5})(?:/(?P<rest>.*))?")),
    (
        "nustar_pointed",
        re.compile(r"nustar/data/obs/(?P<a>\d\d)/(?P<b>\d)/(?P<o>\d{11})(?:/(?P<rest>.*))?"),
    ),
    (
        "rosat_all_sky",
        re.compile(
            r"rosat/data/pspc/processed_data/900000/(?P<o>rs\d{6}[a-z]\d{2})(?:/(?P<rest>.*))?"
        ),
    ),
    (
        "rosat_pointed",
        re.compile(
            r"rosat/data/(?P<det>pspc|hri)/processed_data/(?P<c>\d)00000/"
            r"(?P<o>(?:rh|rp|rf|wh|wp|wf)\d{6}(?:[a-z]\d{2})?)(?:/(?P<rest>.*))?"
        ),
    ),
    (
        "swift",
        re.compile(r"swift/data/obs/(?P<month>\d{4}_\d{2})/(?P<o>\d{11})(?:/(?P<rest>.*))?"),
    ),
    ("suzaku", re.compile(r"suzaku/data/obs/(?P<d>\d)/(?P<o>\d{9})(?:/(?P<rest>.*))?")),
    ("asca", re.compile(r"asca/data/rev2/(?P<o>\d{8})(?:/(?P<rest>.*))?")),
    ("xrism_pointed", re.compile(r"xrism/data/obs/(?P<d>\d)/(?P<o>\d{9})(?:/(?P<rest>.*))?")),
    ("xmm_pointed", re.compile(r"xmm/data/rev0/(?P<o>\d{10})(?:/(?P<rest>.*))?")),
)


def heasarc_folder(path: str) -> tuple[str, str, str] | None:
    """``(mission, obs_id, rest)`` for a path inside an observation folder, else None.

    The folder's own parts (Chandra's last digit, NuSTAR's ``{o[1:3]}/{o[0]}``, ROSAT's detector
    and hundred-thousands folder) must agree with the ObsID, as in the real tree.
    """
    path = path.strip("/")
    for mission, pattern in _HEASARC:
        match = pattern.fullmatch(path)
        if not match:
            continue
        parts = match.groupdict()
        obs_id = parts["o"]
        rest = (parts.get("rest") or "").strip("/")
        if mission == "chandra" and parts["d"] != obs_id[-1]:
            return None
        if mission == "nustar_pointed" and (parts["a"], parts["b"]) != (obs_id[1:3], obs_id[0]):
            return None
        if mission in ("suzaku", "xrism_pointed") and parts["d"] != obs_id[0]:
            return None
        if mission == "rosat_pointed":
            det = "hri" if obs_id[1] == "h" else "pspc"
            if parts["det"] != det or parts["c"] != obs_id[2]:
                return None
        if mission.startswith("rosat"):
            obs_id = obs_id.upper()
        return mission, obs_id, rest
    return None


# -- files of one observation ----------------------------------------------------------------


def _chandra(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    d, p = f.detector, o.zfill(5)
    files = {
        "oif.fits": FileSpec("oif.fits"),
        "00README": FileSpec("00README", "text"),
        f"primary/{d}f{p}N004_evt2.fits.gz": FileSpec("", "events", "gz"),
        f"primary/{d}f{p}N004_full_img2.fits.gz": FileSpec("", "image", "gz"),
        f"primary/{d}f{p}_000N004_fov1.fits.gz": FileSpec("", "table", "gz"),
        f"primary/pcadf{p}_000N001_asol1.fits.gz": FileSpec("", "table", "gz"),
        f"secondary/{d}f{p}_000N004_evt1.fits.gz": FileSpec("", "events", "gz"),
        f"secondary/{d}f{p}_000N004_eph1.fits.gz": FileSpec("", "table", "gz"),
    }
    kinds = ("mtl1", "flt1", "bpix1", "msk1") + (("stat1", "bias0", "pbk0") if d == "acis" else ())
    for k in kinds:
        files[f"secondary/{d}f{p}_000N004_{k}.fits.gz"] = FileSpec("", "table", "gz")
    return files


def _nustar(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    files = {
        f"auxil/nu{o}_att.fits.gz": FileSpec("", "table", "gz"),
        f"auxil/nu{o}_orb.fits.gz": FileSpec("", "table", "gz"),
        f"hk/nu{o}A_fpm.hk.gz": FileSpec("", "table", "gz"),
        f"hk/nu{o}B_fpm.hk.gz": FileSpec("", "table", "gz"),
        f"hk/nu{o}_eng.hk.gz": FileSpec("", "table", "gz"),
        f"event_uf/nu{o}A_uf.evt.gz": FileSpec("", "events", "gz"),
        f"event_uf/nu{o}B_uf.evt.gz": FileSpec("", "events", "gz"),
    }
    if f.has_event_cl:
        for m in "AB":
            files[f"event_cl/nu{o}{m}01_cl.evt.gz"] = FileSpec("", "events", "gz")
            files[f"event_cl/nu{o}{m}01_sk.img.gz"] = FileSpec("", "image", "gz")
    return files


def _rosat(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    ol = o.lower()
    files = {
        f"{ol}_anc.fits.Z": FileSpec("", "table", "Z"),
        f"{ol}_bas.fits.Z": FileSpec("", "events", "Z"),
        f"{ol}_mo.fits.Z": FileSpec("", "table", "Z"),
    }
    bands = (1,) if ol[1] == "h" else (1, 2, 3)
    for b in bands:
        files[f"{ol}_im{b}.fits.Z"] = FileSpec("", "image", "Z")
        files[f"{ol}_bk{b}.fits.Z"] = FileSpec("", "image", "Z")
    if ol[1] != "h":
        files[f"{ol}_mex.fits.Z"] = FileSpec("", "image", "Z")
    return files


def _swift(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    return {
        f"auxil/sw{o}pat.fits.gz": FileSpec("", "table", "gz"),
        f"auxil/sw{o}sat.fits.gz": FileSpec("", "table", "gz"),
        f"xrt/event/sw{o}xpcw3po_uf.evt.gz": FileSpec("", "events", "gz"),
        f"xrt/event/sw{o}xpcw3po_cl.evt.gz": FileSpec("", "events", "gz"),
        f"xrt/hk/sw{o}xhd.hk.gz": FileSpec("", "table", "gz"),
        f"xrt/products/sw{o}xpc_sk.img.gz": FileSpec("", "image", "gz"),
        f"xrt/products/sw{o}xpc_ex.img.gz": FileSpec("", "image", "gz"),
        f"bat/event/sw{o}bevshsp_uf.evt.gz": FileSpec("", "events", "gz"),
        f"bat/hk/sw{o}bdecb.hk.gz": FileSpec("", "table", "gz"),
        f"bat/rate/sw{o}brtms.lc.gz": FileSpec("", "table", "gz"),
        f"bat/survey/sw{o}bsvpbo00gp.dph.gz": FileSpec("", "table", "gz"),
        f"uvot/hk/sw{o}uac.hk.gz": FileSpec("", "table", "gz"),
        f"uvot/image/sw{o}uw1_rw.img.gz": FileSpec("", "image", "gz"),
        f"uvot/products/sw{o}u_sk.img.gz": FileSpec("", "image", "gz"),
        f"uvot/products/sw{o}u_ex.img.gz": FileSpec("", "image", "gz"),
    }


def _suzaku(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    files = {
        f"auxil/ae{o}.att.gz": FileSpec("", "table", "gz"),
        f"auxil/ae{o}.orb.gz": FileSpec("", "table", "gz"),
        f"xis/hk/ae{o}xi_0_tel_uf.gti.gz": FileSpec("", "table", "gz"),
    }
    for n in (0, 1, 2, 3) if f.has_xi2 else (0, 1, 3):
        files[f"xis/event_uf/ae{o}xi{n}_0_3x3n066z_uf.evt.gz"] = FileSpec("", "events", "gz")
        files[f"xis/event_cl/ae{o}xi{n}_0_3x3n066a_cl.evt.gz"] = FileSpec("", "events", "gz")
        files[f"xis/hk/ae{o}xi{n}_0.hk.gz"] = FileSpec("", "table", "gz")
        files[f"xis/products/ae{o}xi{n}_0_3x3n066a_sk.img.gz"] = FileSpec("", "image", "gz")
    return files


def _asca(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    files = {
        f"aux/ad{o}.att.gz": FileSpec("", "table", "gz"),
        f"aux/ad{o}.orb.gz": FileSpec("", "table", "gz"),
        f"spectra/ad{o}gis.pha.gz": FileSpec("", "table", "gz"),
        f"lcurves/ad{o}sis.lc.gz": FileSpec("", "table", "gz"),
    }
    for det, mode in (("g2", "00170"), ("g3", "00170"), ("s0", "00102"), ("s1", "00102")):
        files[f"unscreened/ad{o}{det}{mode}h.unf.gz"] = FileSpec("", "events", "gz")
        files[f"screened/ad{o}{det}{mode}h.evt.gz"] = FileSpec("", "events", "gz")
    for kind, code in (("gis", "25670"), ("sis", "32002")):
        for band in ("lo", "all", "hi"):
            files[f"images/ad{o}{kind}{code}_{band}.totsky.gz"] = FileSpec("", "image", "gz")
        files[f"images/ad{o}{kind}{code}.totexpo.gz"] = FileSpec("", "image", "gz")
    return files


def _xrism(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    files = {
        f"auxil/xa{o}.att.gz": FileSpec("", "table", "gz"),
        f"auxil/xa{o}.orb.gz": FileSpec("", "table", "gz"),
    }
    for inst, code in (("resolve", "rsl_p0px1000"), ("xtend", "xtd_p031300010")):
        files[f"{inst}/event_uf/xa{o}{code}_uf.evt.gz"] = FileSpec("", "events", "gz")
        files[f"{inst}/event_cl/xa{o}{code}_cl.evt.gz"] = FileSpec("", "events", "gz")
        files[f"{inst}/hk/xa{o}{code[:3]}_a0.hk1.gz"] = FileSpec("", "table", "gz")
        files[f"{inst}/products/xa{o}{code}_cl.sky.img.gz"] = FileSpec("", "image", "gz")
    return files


def xmm_odf(o: str, rev: str, compress: bool) -> dict[str, FileSpec]:
    """ODF files of an XMM ObsID (gzipped on HEASARC, plain inside the XSA's tar)."""
    z: Compression = "gz" if compress else None
    suffix = ".gz" if compress else ""
    files = {
        f"{rev}_{o}_SCX00000ATS.FIT{suffix}": FileSpec("", "table", z),
        f"{rev}_{o}_SCX00000SUM.SAS{suffix}": FileSpec("", "text", z),
        f"MANIFEST.{int(rev):05d}": FileSpec("", "text"),
    }
    for n, inst in enumerate(XMM_INSTRUMENTS, start=1):
        files[f"{rev}_{o}_{inst}S00{n}00IME.FIT{suffix}"] = FileSpec("", "events", z)
        files[f"{rev}_{o}_{inst}X00000HBH.FIT{suffix}"] = FileSpec("", "table", z)
    return files


def xmm_pps(o: str) -> dict[str, FileSpec]:
    """PPS files of an XMM ObsID (gzipped FITS, ``.FTZ``)."""
    files = {f"P{o}EPX000OIMAGE8000.FTZ": FileSpec("", "image", "gz")}
    for n, (inst, ev) in enumerate((("M1", "MI"), ("M2", "MI"), ("PN", "PI")), start=1):
        files[f"P{o}{inst}S00{n}{ev}EVLI0000.FTZ"] = FileSpec("", "events", "gz")
        for band in XMM_PPS_BANDS:
            files[f"P{o}{inst}S00{n}IMAGE_{band}000.FTZ"] = FileSpec("", "image", "gz")
            files[f"P{o}{inst}S00{n}EXPMAP{band}000.FTZ"] = FileSpec("", "image", "gz")
    return files


def _xmm(o: str, f: ObsFacts) -> dict[str, FileSpec]:
    files = {f"ODF/{k}": v for k, v in xmm_odf(o, f.revolution, True).items()}
    files.update({f"PPS/{k}": v for k, v in xmm_pps(o).items()})
    return files


_LAYOUTS = {
    "chandra": _chandra,
    "nustar_pointed": _nustar,
    "rosat_pointed": _rosat,
    "rosat_all_sky": _rosat,
    "swift": _swift,
    "suzaku": _suzaku,
    "asca": _asca,
    "xrism_pointed": _xrism,
    "xmm_pointed": _xmm,
}


def obs_files(mission: str, obs_id: str, facts: ObsFacts) -> dict[str, FileSpec]:
    """Files of one HEASARC observation folder, by path relative to it (names filled in)."""
    files = _LAYOUTS[mission](obs_id, facts)
    return {
        rel: FileSpec(
            rel.rsplit("/", 1)[-1], spec.content, spec.compress, spec.tms, spec.size, spec.header
        )
        for rel, spec in files.items()
    }


def integral_files(scw: str) -> dict[str, FileSpec]:
    """Files of one INTEGRAL science window folder (kept gzipped, as OSA reads them)."""
    names = {
        "swg.fits.gz": "table",
        "swg_prp.fits.gz": "table",
        "sc_raw_hk.fits.gz": "table",
        "jmx1_events.fits.gz": "events",
        "jmx1_raw_hk.fits.gz": "table",
        "jmx2_events.fits.gz": "events",
        "jmx2_raw_hk.fits.gz": "table",
        "isgri_events.fits.gz": "events",
        "ibis_raw_hk.fits.gz": "table",
        "picsit_events.fits.gz": "events",
        "compton_events.fits.gz": "events",
        "spi_oper.fits.gz": "events",
        "spi_raw_hk.fits.gz": "table",
        "omc_raw_hk.fits.gz": "table",
    }
    return {n: FileSpec(n, c, "gz") for n, c in names.items()}  # type: ignore[arg-type]


def integral_aux_files() -> dict[str, FileSpec]:
    """Auxiliary data of one INTEGRAL revolution (``aux/adp/{rev}.001/``)."""
    names = ("attitude_historic.fits.gz", "orbit_historic.fits.gz", "time_correlation.fits.gz")
    return {n: FileSpec(n, "table", "gz") for n in names}


def erass_files(tile: str, version: str) -> dict[str, FileSpec]:
    """Files of one eRASS1 tile and pipeline version, by ``EXP_<v>/name`` or ``DET_<v>/name``."""
    tms = tuple(range(1, 8))
    files = {
        f"EXP_{version}/em01_{tile}_020_EventList_c{version}.fits.gz": FileSpec(
            "", "events", "gz", tms
        )
    }
    for band in ERASS_BANDS:
        files[f"EXP_{version}/em01_{tile}_02{band}_Image_c{version}.fits.gz"] = FileSpec(
            "", "image", "gz"
        )
        files[f"DET_{version}/em01_{tile}_02{band}_ExposureMap_c{version}.fits.gz"] = FileSpec(
            "", "image", "gz"
        )
        if band <= 4:
            files[f"DET_{version}/em01_{tile}_02{band}_BackgrImage_c{version}.fits.gz"] = FileSpec(
                "", "image", "gz"
            )
    files[f"DET_{version}/em01_{tile}_020_AreaTab1Blik5_c{version}.fits.gz"] = FileSpec(
        "", "table", "gz"
    )
    return {
        rel: FileSpec(rel.rsplit("/", 1)[-1], s.content, s.compress, s.tms)
        for rel, s in files.items()
    }
