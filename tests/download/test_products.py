"""Product look-ups, their errors, TM cuts, deleting downloads, progress and the selection adapter."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from types import SimpleNamespace

import astropy.units as u
import polars as pl
import pytest
from astropy.io import fits

from daxa.download import (
    bands,
    delete_downloads,
    download,
    download_selection,
    downloaded,
    product_path,
)
from daxa.download.erosita import cut_event_list
from daxa.errors import InputError, ProductNotFoundError
from daxa.progress import TransferProgress
from daxa.testing import shared_data_dir

FAST = {"progress": False, "backoff": 0.01}


def test_bands_follow_the_design() -> None:
    assert bands("erosita_all_sky_de_dr1") == {
        (0.2, 0.6): "1", (0.6, 2.3): "2", (2.3, 5.0): "3", (0.2, 2.3): "4",
        (0.2, 0.5): "5", (0.5, 1.0): "6", (1.0, 2.0): "7",
    }  # fmt: skip
    assert bands("asca", "GIS3") == {(0.7, 2.0): "lo", (0.7, 10.0): "all", (2.0, 10.0): "hi"}
    assert bands("chandra", "HRC") == {(0.06, 10.0): ""}
    assert bands("nustar_pointed") == {(3.0, 78.0): ""}
    assert bands("xrism_pointed", "XTEND") == {(0.4, 20.0): ""}
    assert bands("swift", "XRT") == {(0.01, 10.23): ""}


@pytest.fixture(scope="module")
def downloaded_dir(tmp_path_factory, emulator, tree) -> Path:  # type: ignore[no-untyped-def]
    dest = tmp_path_factory.mktemp("products")
    download(
        "rosat_pointed", ["RP700001N00"], kind="products", dest=dest, **FAST
    ).raise_for_failures()
    download("asca", ["26668040"], kind="raw", dest=dest, **FAST).raise_for_failures()
    download(
        "erosita_all_sky_de_dr1", ["121048"], kind="products", dest=dest, **FAST
    ).raise_for_failures()
    download("suzaku", ["623346030"], kind="products", dest=dest, **FAST).raise_for_failures()
    return dest


def test_band_as_quantities(downloaded_dir: Path) -> None:
    path = product_path(
        "erosita_all_sky_de_dr1",
        "121048",
        "background",
        band=(2.3 * u.keV, 5000 * u.eV),
        dest=downloaded_dir,
    )
    assert path.name == "em01_121048_023_BackgrImage_c010.fits"


def test_unknown_band_lists_the_bands(downloaded_dir: Path) -> None:
    with pytest.raises(
        InputError,
        match=r"no 0.5-2 keV band; the bands are: 0.07-2.4 keV, 0.07-0.4 keV, 0.4-2.4 keV",
    ):
        product_path(
            "rosat_pointed",
            "RP700001N00",
            "image",
            instrument="PSPCB",
            band=(0.5, 2),
            dest=downloaded_dir,
        )
    with pytest.raises(InputError, match="several bands; choose one"):
        product_path("erosita_all_sky_de_dr1", "121048", "image", dest=downloaded_dir)


def test_not_downloaded(downloaded_dir: Path) -> None:
    with pytest.raises(ProductNotFoundError, match="ObsID RP700002N00 is not downloaded"):
        product_path("rosat_pointed", "RP700002N00", dest=downloaded_dir)
    assert not downloaded("rosat_pointed", "RP700002N00", dest=downloaded_dir)
    assert downloaded("rosat_pointed", "RP700001N00", dest=downloaded_dir)


def test_raw_download_has_no_images(downloaded_dir: Path) -> None:
    with pytest.raises(ProductNotFoundError, match="downloaded with kind='raw'"):
        product_path(
            "asca", "26668040", "image", instrument="GIS2", band=(0.7, 10), dest=downloaded_dir
        )


def test_several_matches_are_an_error(downloaded_dir: Path) -> None:
    with pytest.raises(ProductNotFoundError, match="several files match") as caught:
        product_path("suzaku", "623346030", "events", dest=downloaded_dir)
    assert "ae623346030xi0_0_3x3n066a_cl.evt" in str(caught.value)
    one = product_path("suzaku", "623346030", "events", instrument="X1", dest=downloaded_dir)
    assert one.name == "ae623346030xi1_0_3x3n066a_cl.evt"


def test_products_a_mission_lacks(downloaded_dir: Path) -> None:
    with pytest.raises(ProductNotFoundError, match="offers: events, image"):
        product_path("suzaku", "623346030", "background", dest=downloaded_dir)
    with pytest.raises(ProductNotFoundError, match="has no expmap for HRI"):
        product_path(
            "rosat_pointed", "RH701234A01", "expmap", instrument="HRI", dest=downloaded_dir
        )
    with pytest.raises(InputError, match="product must be one of"):
        product_path("suzaku", "623346030", "spectrum", dest=downloaded_dir)  # type: ignore[arg-type]


def test_partial_download_is_not_downloaded(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    tree.make_file_missing(
        "/heasarc_ftp/rosat/data/pspc/processed_data/700000/rp700003n00/rp700003n00_bas.fits.Z"
    )
    download("rosat_pointed", ["RP700003N00"], dest=tmp_path, **FAST)
    with pytest.raises(ProductNotFoundError, match="is only partly downloaded"):
        product_path("rosat_pointed", "RP700003N00", dest=tmp_path)


@pytest.mark.skipif(shared_data_dir() is None, reason="shared data absent")
def test_tm_cut_of_the_shared_event_list(tmp_path: Path) -> None:
    source = shared_data_dir() / "responses" / "erodat" / "inst_filt.fits"  # type: ignore[operator]
    events = tmp_path / "inst_filt.fits"
    shutil.copy(source, events)
    cut = cut_event_list(events, (1,))
    assert cut.name == "inst_filt_if_1.fits"
    with fits.open(cut, checksum=True) as hdus:
        assert hdus[1].data["TM_NR"].tolist() == [1, 1]  # TM_NR = 1, 2, 5, 1, 7
        assert hdus[1].data["events"].tolist() == [1, 4]
    with fits.open(cut_event_list(events, (5, 7))) as hdus:
        assert hdus[1].data["TM_NR"].tolist() == [5, 7]


def test_delete_with_and_without_confirmation(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = ["RS930001N00", "RS930002N00"]
    download("rosat_all_sky", ids, dest=tmp_path, **FAST).raise_for_failures()
    questions: list[str] = []
    kept = delete_downloads(
        "rosat_all_sky", ["RS930001N00"], dest=tmp_path, ask=lambda q: questions.append(q) or "n"
    )
    assert kept == [] and (tmp_path / "rosat_all_sky" / "RS930001N00").is_dir()
    assert (
        "Delete 1 downloaded rosat_all_sky ObsID folder(s)" in questions[0]
        and "[y/N]" in questions[0]
    )

    def eof(_question: str) -> str:
        raise EOFError

    assert delete_downloads("rosat_all_sky", dest=tmp_path, ask=eof) == []
    assert delete_downloads(
        "rosat_all_sky", ["rs930001n00"], dest=tmp_path, ask=lambda q: "yes"
    ) == ["RS930001N00"]
    assert not (tmp_path / "rosat_all_sky" / "RS930001N00").exists()
    assert (tmp_path / "rosat_all_sky" / "RS930002N00").is_dir()
    assert delete_downloads("rosat_all_sky", dest=tmp_path, confirm=False) == ["RS930002N00"]
    assert not (tmp_path / "rosat_all_sky").exists()
    assert delete_downloads("rosat_all_sky", dest=tmp_path, confirm=False) == []


def test_delete_all_removes_shared_folders(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    scw = str(emu.table("intscwpub")["scw_id"][0])
    download("integral_pointed", [scw], dest=tmp_path, **FAST).raise_for_failures()
    assert (tmp_path / "integral_pointed" / "aux").is_dir()
    assert delete_downloads("integral_pointed", dest=tmp_path, confirm=False) == [scw]
    assert not (tmp_path / "integral_pointed").exists()


def test_transfer_progress_counts_files_and_bytes() -> None:
    out = io.StringIO()
    bar = TransferProgress(2, label="chandra", enabled=True, stream=out)
    bar.add_total(2 * 2**20)
    bar.advance_bytes(2**20)
    bar.file_done()
    bar.advance_bytes(2**20)
    bar.file_done(ok=False)
    bar.close()
    assert (bar.files_done, bar.files_failed, bar.bytes_done, bar.bytes_total) == (
        2,
        1,
        2**21,
        2**21,
    )
    text = out.getvalue()
    assert "chandra files" in text and "2/2" in text and "chandra bytes" in text


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from daxa.progress import progress_enabled

    monkeypatch.delenv("DAXA_PROGRESS", raising=False)
    assert not progress_enabled(True, io.StringIO())
    assert not progress_enabled(False, io.StringIO())
    monkeypatch.setenv("DAXA_PROGRESS", "1")
    assert progress_enabled(True, io.StringIO())


def test_selection_adapter(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    ids = [str(o) for o in emu.table("swiftmastr")["obsid"].head(2).to_list()]
    table = pl.DataFrame({"obs_id": ids, "start": [None, None]})
    months = {o: tree.swift_month(o) for o in ids}
    associations = pl.DataFrame(
        {"obs_id": [ids[0], ids[0]], "instruments": [["XRT"], ["BAT", "XRT"]]},
        schema={"obs_id": pl.String, "instruments": pl.List(pl.String)},
    )
    selection = SimpleNamespace(
        mission="swift",
        obs_ids=ids,
        instruments=("XRT", "BAT"),
        table=table,
        associations=associations,
    )
    report = download_selection(selection, dest=tmp_path, starts=months, **FAST)
    assert report.ok == ids
    assert sorted(p.name for p in (tmp_path / "swift" / ids[0]).iterdir()) == [
        ".daxa-manifest.json",
        "auxil",
        "bat",
        "xrt",
    ]
    # an ObsID no position covers keeps the selection's instruments
    assert (tmp_path / "swift" / ids[1] / "bat").is_dir()


def test_selection_adapter_uses_table_facts(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    frame = emu.table("erosita_calpv_info.csv").head(2)
    table = pl.DataFrame(
        {"obs_id": frame["ObsID"].to_list(), "download_url": frame["download"].to_list()}
    )
    selection = SimpleNamespace(
        mission="erosita_calpv", obs_ids=table["obs_id"].to_list(), instruments=(), table=table
    )
    before = emu.requests("/erosita_edr/erosita_calpv_info.csv")
    report = download_selection(selection, dest=tmp_path, **FAST)
    assert report.ok == table["obs_id"].to_list()
    assert emu.requests("/erosita_edr/erosita_calpv_info.csv") == before  # no list fetched


def test_bad_arguments(tmp_path: Path) -> None:
    from daxa.errors import InstrumentError, ObsIDError

    with pytest.raises(ObsIDError):
        download("chandra", ["abc"], dest=tmp_path, progress=False)
    with pytest.raises(InstrumentError):
        download("chandra", ["1234"], instruments=["EPIC"], dest=tmp_path, progress=False)
    with pytest.raises(InputError, match="kind"):
        download("chandra", ["1234"], kind="everything", dest=tmp_path, progress=False)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="verify"):
        download("chandra", ["1234"], verify="md5", dest=tmp_path, progress=False)  # type: ignore[arg-type]


def test_download_draws_listing_files_and_bytes(
    archive, tmp_path: Path, monkeypatch, capsys
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DAXA_PROGRESS", "1")
    download(
        "rosat_all_sky", ["RS930003N00"], dest=tmp_path, progress=True, backoff=0.01
    ).raise_for_failures()
    drawn = capsys.readouterr().err
    assert "rosat_all_sky listing" in drawn
    assert "2/2" in drawn  # the two raw files (anc, bas)
    with_tqdm = "rosat_all_sky files" in drawn and "rosat_all_sky bytes" in drawn
    text_line = "rosat_all_sky: 2/2 files" in drawn and "MiB" in drawn  # without tqdm
    assert with_tqdm or text_line
