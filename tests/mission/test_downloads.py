"""``download``, the product paths and ``delete_raw_data`` through the emulator's file trees
(real HTTP), for every mission class."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import daxa.mission as M
from daxa.errors import DownloadError, ProductNotFoundError
from daxa.missions import mission_names

#: ObsID folder → the event list daxa must find there (file-name patterns of the archives).
EVENT_LISTS = {
    "nustar_pointed": ("FPMA", r"event_cl/nu{o}A01_cl\.evt"),
    "rosat_pointed": (None, r"{l}_bas\.fits"),
    "rosat_all_sky": (None, r"{l}_bas\.fits"),
    "swift": ("XRT", r"xrt/event/sw{o}xpc\w*po_cl\.evt"),
    "suzaku": ("XIS0", r"xis/event_cl/ae{o}xi0_\w+_cl\.evt"),
    "asca": ("SIS0", r"screened/ad{o}s0\w*\.evt"),
    "integral_pointed": ("ISGRI", r"isgri_events\.fits"),
    "xrism_pointed": ("XTEND", r"xtend/event_cl/xa{o}xtd_p\w+_cl\.evt"),
    "chandra": (None, r"primary/\w+f{o5}N\d{3}_evt2\.fits"),
    "erosita_all_sky_de_dr1": (None, r"EXP_\d+/e[a-z]\d{2}_{o}_020_EventList_c\d+\.fits"),
    "erosita_calpv": (None, r"[a-z]{2}\d{2}_{o}_020_EventList_c\d+\.fits"),
    "xmm_pointed": ("PN", r"PPS/P{o}PNS\d{3}PIEVLI0000\.FTZ"),
}


@pytest.mark.parametrize("mission", mission_names())
def test_download_products_paths_and_delete(mission: str, archive, tmp_path: Path) -> None:
    import re

    m = M.MISS_INDEX[mission]()
    info = m.filtered_obs_info
    if "proprietary_usable" in info.columns:
        info = info[info["proprietary_usable"]]
    candidates = [str(o) for o in info["ObsID"]]
    if mission == "nustar_pointed":  # some NuSTAR observations have no event_cl/ folder
        candidates = [o for o in candidates if archive.facts(mission, o).has_event_cl]
    obs_id = candidates[0]
    m.filter_on_obs_ids([obs_id])
    m.top_level_path = tmp_path
    report = m.download(num_cores=2, download_products=True)
    assert report.ok == [obs_id]
    assert m.download_completed is True
    assert m.downloaded_type == "raw+preprocessed"
    folder = Path(m.raw_data_path) / obs_id
    assert folder.is_dir() and any(folder.rglob("*.*"))
    inst, pattern = EVENT_LISTS[mission]
    path = Path(m.get_evt_list_path(obs_id, inst))
    assert path.is_file()
    relative = path.relative_to(folder).as_posix()
    values = {"{o}": re.escape(obs_id), "{l}": re.escape(obs_id.lower()), "{o5}": obs_id.zfill(5)}
    regex = re.sub(r"\{(o|l|o5)\}", lambda hit: values[hit.group(0)], pattern)
    assert re.fullmatch(regex + r"(\.gz)?", relative), relative
    assert m.delete_raw_data(force_del=True) == [obs_id]
    assert not folder.exists()
    assert m.download_completed is False
    with pytest.raises(ProductNotFoundError, match="not downloaded"):
        m.get_evt_list_path(obs_id, inst)


def test_a_nustar_observation_without_cleaned_events(archive, tmp_path: Path) -> None:
    m = M.NuSTARPointed()
    ids = [str(o) for o in m.filtered_obs_info.query("proprietary_usable")["ObsID"]]
    bare = next(o for o in ids if not archive.facts("nustar_pointed", o).has_event_cl)
    m.filter_on_obs_ids(bare)
    m.top_level_path = tmp_path
    m.download()
    assert m.download_completed
    assert (Path(m.raw_data_path) / bare / "event_uf").is_dir()
    with pytest.raises(ProductNotFoundError, match="no events"):
        m.get_evt_list_path(bare, "FPMA")


def test_images_in_a_band_and_the_band_table(archive, tmp_path: Path) -> None:
    import astropy.units as u

    m = M.ROSATPointed(insts="PSPCB")
    obs_id = str(m.filtered_obs_ids[0])
    m.filter_on_obs_ids(obs_id)
    m.top_level_path = tmp_path
    m.download()  # DAXA's default for ROSAT: with products
    assert m.downloaded_type == "raw+preprocessed"
    bands = m.preprocessed_energy_bands
    assert list(bands) == ["PSPCB"]
    assert bands["PSPCB"].to_value(u.keV).tolist() == [[0.07, 0.4], [0.07, 2.4], [0.4, 2.4]]
    image = Path(m.get_image_path(obs_id, 0.4 * u.keV, 2.4 * u.keV))
    assert image.name == f"{obs_id.lower()}_im2.fits"
    assert Path(m.get_expmap_path(obs_id)).name == f"{obs_id.lower()}_mex.fits"
    back = Path(m.get_background_path(obs_id, 0.07 * u.keV, 0.4 * u.keV))
    assert back.name == f"{obs_id.lower()}_bk3.fits"
    with pytest.raises(Exception, match="several bands"):
        m.get_image_path(obs_id)


def test_only_instruments_covering_the_position_are_downloaded(archive, tmp_path: Path) -> None:
    m = M.Swift()
    info = m.filtered_obs_info
    both = info[
        (info["xrt_exposure"].dt.total_seconds() > 0)
        & (info["bat_exposure"].dt.total_seconds() > 0)
    ]
    row = both.iloc[0]
    m.filter_on_obs_ids([row["ObsID"]])
    # 1° away: outside XRT's 14′ search radius, inside BAT's 60°
    m.filter_on_positions([float(row["ra"]), float(row["dec"]) + (1 if row["dec"] < 0 else -1)])
    assert list(m.filtered_obs_ids) == [row["ObsID"]]
    m.top_level_path = tmp_path
    m.download(download_products=False)
    assert m.downloaded_type == "raw"
    folder = Path(m.raw_data_path) / row["ObsID"]
    assert (folder / "bat").is_dir()
    assert not (folder / "xrt").exists()


def test_proprietary_data_are_left_out_without_credentials(archive, tmp_path: Path) -> None:
    m = M.XRISMPointed()
    info = m.filtered_obs_info
    closed = info[~info["proprietary_usable"]].iloc[0]["ObsID"]
    open_ = info[info["proprietary_usable"]].iloc[0]["ObsID"]
    m.filter_on_obs_ids([closed, open_])
    m.top_level_path = tmp_path
    with pytest.warns(UserWarning, match="proprietary"):
        report = m.download(download_products=False)
    assert report.ok == [open_]
    assert list(m.filtered_obs_ids) == [open_]
    assert m.selection.lineage[-1]["name"] == "public"
    assert m.download_completed


def test_a_failed_download_raises_naming_the_obsid(archive, tmp_path: Path) -> None:
    m = M.Suzaku()
    obs_id = str(m.filtered_obs_ids[0])
    m.filter_on_obs_ids(obs_id)
    archive.make_missing("suzaku", obs_id)  # the archive loses the ObsID
    m.top_level_path = tmp_path
    with pytest.raises(DownloadError, match=obs_id):
        m.download(num_cores=1)
    assert m.download_completed is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.asarray(m.filtered_obs_ids).tolist() == [obs_id]
