"""Fixtures for the SQL tests: small normalised tables written into a temporary cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from daxa import cache

from ._tables import EMULATED_MISSIONS, SMALL_MISSIONS, make_table, random_sky


@pytest.fixture(scope="session")
def small_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding :data:`SMALL_MISSIONS` with random skies (RA 0 and poles too)."""
    folder = tmp_path_factory.mktemp("sql_cache")
    for i, (mission, n) in enumerate(SMALL_MISSIONS.items()):
        rng = np.random.default_rng(100 + i)
        ra, dec = random_sky(n, rng)
        cache.write(
            make_table(mission, ra, dec, seed=i), mission, source_url="test", cache_dir=folder
        )
    return folder


@pytest.fixture(scope="session")
def emulated_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache filled through real HTTP from the archive emulator, via the real normalisers."""
    from daxa.testing import emulated_archives

    folder = tmp_path_factory.mktemp("sql_emulated_cache")
    with emulated_archives():
        for mission in EMULATED_MISSIONS:
            try:
                cache.refresh(mission, cache_dir=folder)
            except NotImplementedError:
                pytest.skip(f"the {mission} normaliser is not written yet")
    return folder
