"""Shared fixtures: small generated mission tables, catalogues with awkward positions, and a
session-wide two-worker Dask cluster (skipped when ``distributed`` is not installed)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from daxa.missions import get_mission


def shared_data() -> Path | None:
    from daxa.testing import shared_data_dir

    return shared_data_dir()


def normalised(mission: str, n: int) -> pl.DataFrame:
    """A generated raw table of about ``n`` rows through the mission's real normaliser."""
    from daxa.testing.tables import generate_table

    spec = get_mission(mission)
    return spec.normalise(generate_table(spec.source.table, n))


@pytest.fixture(scope="session")
def tables() -> dict[str, pl.DataFrame]:
    """Five missions of different field sizes (XMM 15', Chandra per instrument, Swift XRT and
    BAT, RASS 3°, INTEGRAL 2.4-7°), about 600 rows each."""
    return {
        m: normalised(m, 600)
        for m in ("xmm_pointed", "chandra", "swift", "rosat_all_sky", "integral_pointed")
    }


def awkward_positions(n: int, seed: int = 0) -> pl.DataFrame:
    """Random positions plus clumps at both poles and on both sides of RA = 0."""
    rng = np.random.default_rng(seed)
    k = n // 5
    ra = [rng.uniform(0, 360, n - 4 * k)]
    dec = [np.degrees(np.arcsin(rng.uniform(-1, 1, n - 4 * k)))]
    for pole in (89.7, -89.7):
        ra.append(rng.uniform(0, 360, k))
        dec.append(pole + np.sign(pole) * rng.uniform(0, 0.3, k))
    for side in (359.7, 0.0):
        ra.append(side + rng.uniform(0, 0.3, k))
        dec.append(rng.uniform(-2, 2, k))
    return pl.DataFrame(
        {
            "ra": np.concatenate(ra) % 360.0,
            "dec": np.clip(np.concatenate(dec), -90, 90),
            "name": [f"src{i:05d}" for i in range(n)],
        }
    )


def wide_swift_sky(n: int = 20_000) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Four Swift pointings (BAT's 60-degree fields cover most of the sky) and ``n`` positions
    spread evenly over the sky: many rows a position, for the early memory warnings."""
    from daxa.filters._examples import observation_table

    table = observation_table("swift", [10.0, 100.0, 200.0, 300.0], [60.0, 0.0, -60.0, 0.0])
    rng = np.random.default_rng(3)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    return table, pl.DataFrame({"ra": rng.uniform(0, 360, n), "dec": dec})


def check_early_memory_warning(run: Any, what: str, budget: str, match: str, output: Path) -> None:
    """``run(memory_budget=budget)`` kept in memory warns first (``match``), with an estimate of
    the ``what`` within 2x of the rows it returns; with ``output=`` nothing is said."""
    import re
    import warnings

    with pytest.warns(UserWarning, match=match) as w:
        got = run(memory_budget=budget)
    found = re.search(rf"about ([\d,]+) {what}", str(w[0].message))
    assert found is not None
    assert 0.5 < float(found[1].replace(",", "")) / got.height < 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(memory_budget=budget, output=output)


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
