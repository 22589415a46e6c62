"""The DAXA-style script runs unchanged, in its own process, against the emulator, and prints
the numbers brute force gives on the same tables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from daxa import cache
from daxa.testing import shared_data_dir

from ._truth import separation_deg

SCRIPT = Path(__file__).with_name("daxa_style_script.py")


def figure(output: str, label: str) -> str:
    found = re.search(rf"^{re.escape(label)}:? (.+)$", output, re.MULTILINE)
    assert found, f"the script did not print {label!r}"
    return found.group(1).strip()


def test_daxa_style_script_runs_unchanged(archive, mission_cache: Path, tmp_path: Path) -> None:
    shared = shared_data_dir()
    if shared is None or not (shared / "samples" / "sn1a_samp.csv").is_file():
        pytest.skip("the DAXA case-study samples are in ../shared/data/samples")
    samples = shared / "samples"
    env = dict(os.environ, DAXA_CACHE_DIR=str(mission_cache), DAXA_MIRROR=archive.emulator.url)
    run = subprocess.run(
        [sys.executable, str(SCRIPT), str(samples)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout

    # eFEDS clusters within 1.2 x 4.5 deg of a usable CalPV pointing
    calpv = cache.read("erosita_calpv", mission_cache).filter(pl.col("science_usable"))
    clusters = pl.read_csv(samples / "efeds_xray_cluster_candidates.csv")
    sep = separation_deg(
        clusters["RA"].to_numpy()[:, None],
        clusters["DEC"].to_numpy()[:, None],
        calpv["ra"].to_numpy()[None, :],
        calpv["dec"].to_numpy()[None, :],
    )
    near = sep <= 1.2 * 4.5
    assert int(figure(out, "eFEDS clusters with CalPV data")) == int(near.any(axis=1).sum())
    assert int(figure(out, "CalPV observations of eFEDS clusters")) == int(near.any(axis=0).sum())
    assert "EFEDS" in figure(out, "CalPV fields")

    # a manual filter array replaces the usable-only start: every row but the first
    xmm = cache.read("xmm_pointed", mission_cache)
    assert int(figure(out, "XMM after the manual filter array")) == xmm.height - 1

    # Swift observations wholly inside 2010-2011 (naive times are UTC)
    swift = cache.read("swift", mission_cache).filter(pl.col("science_usable"))
    lo, hi = datetime(2010, 1, 1), datetime(2012, 1, 1)
    inside = swift.filter(
        (pl.col("start").dt.replace_time_zone(None) >= lo)
        & (pl.col("end").dt.replace_time_zone(None) <= hi)
    )
    assert int(figure(out, "Swift observations wholly in 2010-2011")) == inside.height

    # supernovae with a Swift observation within 30 days, searched per observation within
    # 1.2 x FoV of the instruments that observed (BAT 60 deg, else XRT 14.16 arcmin)
    sne = pl.read_csv(samples / "sn1a_samp.csv")
    found = pl.col("discoverydate").str.to_datetime("%Y-%m-%d %H:%M:%S%.f")
    found_at = sne.select(found).to_series().to_numpy()
    radius = np.where(
        swift["exposure_bat"].fill_null(0).to_numpy() > 0,
        60.0,
        np.where(swift["exposure_xrt"].fill_null(0).to_numpy() > 0, 1.2 * 11.8 / 60, -1.0),
    )
    sep = separation_deg(
        sne["ra"].to_numpy()[:, None],
        sne["declination"].to_numpy()[:, None],
        swift["ra"].to_numpy()[None, :],
        swift["dec"].to_numpy()[None, :],
    )
    start = swift["start"].dt.replace_time_zone(None).to_numpy()[None, :]
    end = swift["end"].dt.replace_time_zone(None).to_numpy()[None, :]
    month = np.timedelta64(timedelta(days=30))
    timely = (start <= found_at[:, None] + month) & (end >= found_at[:, None] - month)
    matched = ((sep <= radius[None, :]) & timely).any(axis=1)
    assert int(figure(out, "Swift supernovae observed within 30 days")) == int(matched.sum())

    # Chandra AGN and clusters, every instrument
    chandra = cache.read("chandra", mission_cache).filter(pl.col("science_usable"))
    agn = chandra.filter(pl.col("target_category").is_in(["AGN", "GCL"]))
    assert int(figure(out, "Chandra AGN and cluster observations")) == agn.height

    # XXL-North corners: the 30-39 deg strip between Dec -8 and -2
    for mission, label in (("xmm_pointed", "XMM-Newton Pointed"), ("chandra", "Chandra")):
        table = cache.read(mission, mission_cache).filter(pl.col("science_usable"))
        strip = table.filter(pl.col("ra").is_between(30, 39) & pl.col("dec").is_between(-8, -2))
        assert int(figure(out, f"{label} observations in the patch")) == strip.height

    assert figure(out, "downloaded") == "True raw+preprocessed"
    assert figure(out, "event list").endswith("_bas.fits")
    assert figure(out, "after deletion") == "False"
    assert re.search(r"reinstated: \['(R|W)[HPF]\d{6}", out)
