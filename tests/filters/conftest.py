"""Shared fixtures: the real eROSITA CalPV table (skipped when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest


def shared_data() -> Path | None:
    try:
        from daxa.testing import shared_data_dir

        return shared_data_dir()
    except ImportError:  # pragma: no cover - the emulator package is part of daxa
        candidate = Path(__file__).resolve().parents[3] / "shared" / "data"
        return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def calpv() -> pl.DataFrame:
    """The 170 real CalPV observations through the real normaliser (strings in)."""
    folder = shared_data()
    path = folder / "erosita" / "erosita_calpv_info.csv" if folder else None
    if path is None or not path.is_file():
        pytest.skip("../shared/data/erosita is not present")
    from daxa.missions.erosita import normalise_calpv

    return normalise_calpv(pl.read_csv(path, infer_schema=False))


@pytest.fixture(scope="session")
def erass1() -> pl.DataFrame:
    """The 2,447 real eRASS1 DE tiles through the real normaliser."""
    folder = shared_data()
    path = folder / "erosita" / "erass_de_dr1_info.csv" if folder else None
    if path is None or not path.is_file():
        pytest.skip("../shared/data/erosita is not present")
    from daxa.missions.erosita import normalise_erass1_de

    return normalise_erass1_de(pl.read_csv(path, infer_schema=False))
