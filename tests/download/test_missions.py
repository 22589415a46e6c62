"""Every mission: two ObsIDs through the emulator; layout, manifest and product look-up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from daxa.download import download, product_path
from daxa.errors import ProductNotFoundError
from daxa.testing import ArchiveEmulator
from daxa.testing.files import FileTree

from .helpers import leftovers


def table_ids(emu: ArchiveEmulator, table: str, column: str, n: int = 2) -> list[str]:
    return [str(v) for v in emu.table(table)[column].head(n).to_list()]


@dataclass
class Case:
    """ObsIDs, files each must have (relative to its folder, ``{o}`` = ObsID), and look-ups."""

    ids: Callable[[ArchiveEmulator, FileTree], list[str]]
    files: Callable[[str, FileTree], list[str]]
    absent: Callable[[str, FileTree], list[str]]
    lookups: Callable[[str, FileTree], list[tuple[dict, str]]]


def chandra_prefix(o: str, tree: FileTree) -> str:
    return f"{tree.facts('chandra', o).detector}f{o.zfill(5)}"


CASES: dict[str, Case] = {
    "chandra": Case(
        lambda e, t: table_ids(e, "chanmaster", "obsid"),
        lambda o, t: [
            "oif.fits",
            f"secondary/{chandra_prefix(o, t)}_000N004_evt1.fits",
            f"secondary/{chandra_prefix(o, t)}_000N004_msk1.fits",
            f"primary/{chandra_prefix(o, t)}N004_evt2.fits",
        ],
        lambda o, t: ["00README", f"secondary/{chandra_prefix(o, t)}_000N004_eph1.fits"],
        lambda o, t: [
            ({"product": "events"}, f"primary/{chandra_prefix(o, t)}N004_evt2.fits"),
            ({"product": "image"}, f"primary/{chandra_prefix(o, t)}N004_full_img2.fits"),
        ],
    ),
    "nustar_pointed": Case(
        lambda e, t: table_ids(e, "numaster", "obsid"),
        lambda o, t: [f"auxil/nu{o}_att.fits", f"event_uf/nu{o}A_uf.evt", f"hk/nu{o}B_fpm.hk"],
        lambda o, t: [],
        lambda o, t: (
            [({"product": "events", "instrument": "FA"}, f"event_cl/nu{o}A01_cl.evt")]
            if t.facts("nustar_pointed", o).has_event_cl
            else []
        ),
    ),
    "rosat_pointed": Case(
        lambda e, t: ["RP700001N00", "RH701234A01"],
        lambda o, t: [f"{o.lower()}_bas.fits", f"{o.lower()}_anc.fits", f"{o.lower()}_im1.fits"],
        lambda o, t: [f"{o.lower()}_mo.fits"],
        lambda o, t: [
            ({"product": "events"}, f"{o.lower()}_bas.fits"),
            (
                {"product": "image", "band": (0.4, 2.4), "instrument": "PSPCB"}
                if o[1] == "P"
                else {"product": "image", "instrument": "HRI"},
                f"{o.lower()}_im{'2' if o[1] == 'P' else '1'}.fits",
            ),
        ],
    ),
    "rosat_all_sky": Case(
        lambda e, t: table_ids(e, "rassmaster", "seq_id"),
        lambda o, t: [f"{o.lower()}_bas.fits", f"{o.lower()}_mex.fits"],
        lambda o, t: [],
        lambda o, t: [({"product": "background", "band": (0.07, 0.4)}, f"{o.lower()}_bk3.fits")],
    ),
    "swift": Case(
        lambda e, t: table_ids(e, "swiftmastr", "obsid"),
        lambda o, t: [
            f"auxil/sw{o}pat.fits",
            f"xrt/event/sw{o}xpcw3po_cl.evt",
            f"bat/rate/sw{o}brtms.lc",
        ],
        lambda o, t: [f"uvot/hk/sw{o}uac.hk"],  # UVOT is not a default instrument
        lambda o, t: [
            ({"product": "events", "instrument": "XRT"}, f"xrt/event/sw{o}xpcw3po_cl.evt"),
            ({"product": "expmap", "instrument": "XRT"}, f"xrt/products/sw{o}xpc_ex.img"),
        ],
    ),
    "suzaku": Case(
        lambda e, t: table_ids(e, "suzamaster", "obsid"),
        lambda o, t: [
            f"auxil/ae{o}.att",
            f"xis/event_uf/ae{o}xi0_0_3x3n066z_uf.evt",
            f"xis/hk/ae{o}xi_0_tel_uf.gti",
        ],
        lambda o, t: [],
        lambda o, t: [
            ({"product": "image", "instrument": "XIS3"}, f"xis/products/ae{o}xi3_0_3x3n066a_sk.img")
        ],
    ),
    "asca": Case(
        lambda e, t: table_ids(e, "ascamaster", "sequence_number"),
        lambda o, t: [
            f"aux/ad{o}.att",
            f"unscreened/ad{o}g200170h.unf",
            f"screened/ad{o}s100102h.evt",
        ],
        lambda o, t: [],
        lambda o, t: [
            (
                {"product": "image", "instrument": "GIS2", "band": (0.7, 2.0)},
                f"images/ad{o}gis25670_lo.totsky",
            ),
            ({"product": "expmap", "instrument": "SIS0"}, f"images/ad{o}sis32002.totexpo"),
            ({"product": "events", "instrument": "S1"}, f"screened/ad{o}s100102h.evt"),
        ],
    ),
    "integral_pointed": Case(
        lambda e, t: table_ids(e, "intscwpub", "scw_id"),
        lambda o, t: ["swg.fits.gz", "isgri_events.fits.gz", "jmx2_events.fits.gz"],
        lambda o, t: ["spi_oper.fits.gz", "omc_raw_hk.fits.gz", "picsit_events.fits.gz"],
        lambda o, t: [({"product": "events", "instrument": "ISGRI"}, "isgri_events.fits.gz")],
    ),
    "xrism_pointed": Case(
        lambda e, t: table_ids(e, "xrismmastr", "obsid"),
        lambda o, t: [f"auxil/xa{o}.att", f"resolve/event_uf/xa{o}rsl_p0px1000_uf.evt"],
        lambda o, t: [],
        lambda o, t: [
            (
                {"product": "image", "instrument": "RESOLVE"},
                f"resolve/products/xa{o}rsl_p0px1000_cl.sky.img",
            ),
            (
                {"product": "events", "instrument": "XTEND"},
                f"xtend/event_cl/xa{o}xtd_p031300010_cl.evt",
            ),
        ],
    ),
    "xmm_pointed": Case(
        lambda e, t: table_ids(e, "xmmmaster", "obsid"),
        lambda o, t: [
            f"ODF/{t.facts('xmm_pointed', o).revolution}_{o}_PNS00300IME.FIT",
            f"ODF/{t.facts('xmm_pointed', o).revolution}_{o}_SCX00000SUM.SAS",
            f"ODF/MANIFEST.{int(t.facts('xmm_pointed', o).revolution):05d}",
            f"PPS/P{o}M2S002MIEVLI0000.FTZ",
        ],
        lambda o, t: [f"ODF/{t.facts('xmm_pointed', o).revolution}_{o}_OMS00400IME.FIT"],
        lambda o, t: [
            ({"product": "events", "instrument": "PN"}, f"PPS/P{o}PNS003PIEVLI0000.FTZ"),
            (
                {"product": "image", "instrument": "M1", "band": (0.2, 12.0)},
                f"PPS/P{o}M1S001IMAGE_8000.FTZ",
            ),
        ],
    ),
    "erosita_all_sky_de_dr1": Case(
        lambda e, t: ["117048", "121048"],
        lambda o, t: [
            f"EXP_010/em01_{o}_020_EventList_c010.fits",
            f"DET_010/em01_{o}_024_BackgrImage_c010.fits",
        ],
        lambda o, t: [f"DET_010/em01_{o}_020_AreaTab1Blik5_c010.fits"],
        lambda o, t: [
            ({"product": "image", "band": (0.6, 2.3)}, f"EXP_010/em01_{o}_022_Image_c010.fits"),
            ({"product": "expmap", "band": (1, 2)}, f"DET_010/em01_{o}_027_ExposureMap_c010.fits"),
        ],
    ),
    "erosita_calpv": Case(
        lambda e, t: ["300007", "300008"],
        lambda o, t: [f"fm00_{o}_020_EventList_c001.fits"],
        lambda o, t: [],
        lambda o, t: [({"product": "events"}, f"fm00_{o}_020_EventList_c001.fits")],
    ),
}


@pytest.mark.parametrize("mission", sorted(CASES))
def test_two_obs_ids(mission: str, archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    case = CASES[mission]
    ids = case.ids(emu, tree)
    assert len(ids) == 2
    report = download(mission, ids, dest=tmp_path, kind="products", progress=False, backoff=0.01)
    assert report.ok == ids, report.failed
    root = tmp_path / mission
    for obs_id in ids:
        folder = root / obs_id
        for rel in case.files(obs_id, tree):
            assert (folder / rel).is_file(), f"{mission} {obs_id}: {rel} missing"
        for rel in case.absent(obs_id, tree):
            assert not (folder / rel).exists(), f"{mission} {obs_id}: {rel} fetched but not chosen"
        manifest = json.loads((folder / ".daxa-manifest.json").read_text())
        assert manifest["complete"] is True and manifest["obs_id"] == obs_id
        assert manifest["request"]["kind"] == "products"
        listed = {f["path"] for f in manifest["files"]}
        on_disk = {p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert on_disk - listed == {f"{obs_id}/.daxa-manifest.json"}
        for item in manifest["files"]:
            data = (root / item["path"]).read_bytes()
            assert len(data) == item["size"]
            assert hashlib.sha256(data).hexdigest() == item["sha256"]
        assert report.results[obs_id].files == len(manifest["files"])
        for query, expected in case.lookups(obs_id, tree):
            found = product_path(mission, obs_id, dest=tmp_path, **query)
            assert found == folder / expected
            with open(found, "rb") as handle:
                magic = handle.read(9)
            assert magic in (b"SIMPLE  =", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02")
    assert leftovers(tmp_path) == []

    before = emu.requests()
    again = download(mission, ids, dest=tmp_path, kind="products", progress=False)
    assert again.ok == ids
    assert emu.requests() == before, "a complete download must not be fetched again"
    assert again.fetched_bytes == 0


def test_integral_windows_share_their_revolution(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    ids = table_ids(emu, "intscwpub", "scw_id")
    assert ids[0][:4] == ids[1][:4]
    before = emu.requests("/heasarc_ftp/integral/data/aux")
    report = download("integral_pointed", ids, dest=tmp_path, progress=False)
    assert report.ok == ids
    aux = (
        tmp_path
        / "integral_pointed"
        / "aux"
        / "adp"
        / f"{ids[0][:4]}.001"
        / "orbit_historic.fits.gz"
    )
    assert aux.is_file()
    # one listing and three files for the revolution, whatever the number of windows
    assert emu.requests("/heasarc_ftp/integral/data/aux") - before == 4
    for scw in ids:
        manifest = json.loads(
            (tmp_path / "integral_pointed" / scw / ".daxa-manifest.json").read_text()
        )
        assert any(f["path"].startswith("aux/adp/") for f in manifest["files"])


def test_instrument_subsets_fetch_only_their_files(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    nustar = table_ids(emu, "numaster", "obsid", 1)[0]
    report = download(
        "nustar_pointed", [nustar], instruments=["FPMA"], dest=tmp_path, progress=False
    )
    names = {p.name for p in (tmp_path / "nustar_pointed" / nustar).rglob("*") if p.is_file()}
    assert report.ok == [nustar]
    assert f"nu{nustar}A_uf.evt" in names and f"nu{nustar}_att.fits" in names
    assert not any(f"nu{nustar}B" in n for n in names)

    swift = table_ids(emu, "swiftmastr", "obsid", 1)[0]
    download(
        "swift", [swift], instruments="XRT", dest=tmp_path, progress=False
    ).raise_for_failures()
    assert sorted(p.name for p in (tmp_path / "swift" / swift).iterdir()) == [
        ".daxa-manifest.json",
        "auxil",
        "xrt",
    ]

    xmm = table_ids(emu, "xmmmaster", "obsid", 1)[0]
    rev = tree.facts("xmm_pointed", xmm).revolution
    download(
        "xmm_pointed", [xmm], instruments=["PN"], source="heasarc", dest=tmp_path, progress=False
    )
    odf = sorted(p.name for p in (tmp_path / "xmm_pointed" / xmm / "ODF").iterdir())
    assert odf == [
        f"{rev}_{xmm}_PNS00300IME.FIT",
        f"{rev}_{xmm}_PNX00000HBH.FIT",
        f"{rev}_{xmm}_SCX00000ATS.FIT",
        f"{rev}_{xmm}_SCX00000SUM.SAS",
        f"MANIFEST.{int(rev):05d}",
    ]

    # Per-ObsID instruments (what a positional selection's coverage gives).
    a, b = table_ids(emu, "suzamaster", "obsid")
    download(
        "suzaku", [a, b], instruments={a: ["XIS0"], b: ["XIS1"]}, dest=tmp_path, progress=False
    )
    assert {p.name[11:14] for p in (tmp_path / "suzaku" / a / "xis" / "event_uf").iterdir()} == {
        "xi0"
    }
    assert {p.name[11:14] for p in (tmp_path / "suzaku" / b / "xis" / "event_uf").iterdir()} == {
        "xi1"
    }


def test_erosita_event_lists_cut_to_chosen_tms(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = download(
        "erosita_all_sky_de_dr1",
        ["121048"],
        instruments=["TM1", "TM5"],
        dest=tmp_path,
        progress=False,
    )
    assert report.ok == ["121048"]
    full = product_path("erosita_all_sky_de_dr1", "121048", dest=tmp_path)
    cut = product_path("erosita_all_sky_de_dr1", "121048", instrument=["TM5", "TM1"], dest=tmp_path)
    assert cut.name == "em01_121048_020_EventList_c010_if_15.fits"
    with fits.open(full) as whole, fits.open(cut, checksum=True) as part:
        tm = np.asarray(whole["EVENTS"].data["TM_NR"])
        kept = np.asarray(part["EVENTS"].data["TM_NR"])
        assert set(np.unique(kept)) == {1, 5}
        assert len(kept) == int(np.isin(tm, [1, 5]).sum()) > 0

    calpv = download(
        "erosita_calpv", ["300007"], instruments=["TM7"], dest=tmp_path, progress=False
    )
    assert calpv.ok == ["300007"]
    cut = product_path("erosita_calpv", "300007", instrument="TM7", dest=tmp_path)
    with fits.open(cut) as part:
        assert set(np.unique(part[1].data["TM_NR"])) == {7}


def test_erass_pipeline_versions(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _emu, tree = archive
    assert "011" in tree.erass_versions("117048")  # EXP_011 without DET_011
    raw = download("erosita_all_sky_de_dr1", ["117048"], dest=tmp_path, progress=False)
    assert raw.results["117048"].notes == ["pipeline version 011"]
    assert (tmp_path / "erosita_all_sky_de_dr1" / "117048" / "EXP_011").is_dir()
    products = download(
        "erosita_all_sky_de_dr1", ["117048"], kind="products", dest=tmp_path / "p", progress=False
    )
    assert products.results["117048"].notes == ["pipeline version 010"]  # the highest with DET
    pinned = download(
        "erosita_all_sky_de_dr1", ["117048"], version=10, dest=tmp_path / "v", progress=False
    )
    assert pinned.results["117048"].notes == ["pipeline version 010"]
    missing = download(
        "erosita_all_sky_de_dr1", ["117048"], version="012", dest=tmp_path / "x", progress=False
    )
    assert "no pipeline version 012" in missing.failed["117048"]
    assert "versions present: 010, 011" in missing.failed["117048"]


def test_nustar_without_event_cl_is_noted(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    ids = [
        o
        for o in emu.table("numaster")["obsid"].to_list()
        if not tree.facts("nustar_pointed", o).has_event_cl
    ]
    obs_id = ids[0]
    report = download("nustar_pointed", [obs_id], kind="products", dest=tmp_path, progress=False)
    assert report.ok == [obs_id]
    assert report.results[obs_id].notes == [f"the archive has no event_cl/ for ObsID {obs_id}"]
    with pytest.raises(ProductNotFoundError, match="no events"):
        product_path("nustar_pointed", obs_id, instrument="FPMA", dest=tmp_path)


def test_batches_share_what_they_fetched(archive, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import daxa.download.api as api

    emu, _tree = archive
    ids = table_ids(emu, "intscwpub", "scw_id", 4)
    assert len({i[:4] for i in ids}) == 1  # one revolution
    monkeypatch.setattr(api, "BATCH_OBS", 2)
    before = emu.requests("/heasarc_ftp/integral/data/aux")
    report = download("integral_pointed", ids, dest=tmp_path, progress=False, max_workers=1)
    assert report.ok == ids
    # each batch lists the revolution's aux folder once; its three files are fetched once
    assert emu.requests("/heasarc_ftp/integral/data/aux") - before == 2 + 3
    for scw in ids:
        manifest = json.loads(
            (tmp_path / "integral_pointed" / scw / ".daxa-manifest.json").read_text()
        )
        assert sum(f["path"].startswith("aux/") for f in manifest["files"]) == 3
