"""Fixtures: every mission's table fetched from the archive emulator into a temporary cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from daxa import cache
from daxa.missions import mission_names

#: The DAXA-style script runs in its own process (test_daxa_style_script); importing it for
#: doctest collection would run it.
collect_ignore = ["daxa_style_script.py"]


@pytest.fixture(scope="session")
def mission_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding all twelve missions, fetched over real HTTP from the emulator
    (a few hundred rows each) through the real normalisers."""
    from daxa.testing import emulated_archives

    folder = tmp_path_factory.mktemp("mission_cache")
    with emulated_archives():
        for name in mission_names():
            cache.refresh(name, cache_dir=folder)
    return folder


@pytest.fixture(autouse=True)
def _cache_env(mission_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mission classes built without ``cache_dir`` read the emulated cache (as a DAXA script
    would, unchanged)."""
    monkeypatch.setenv("DAXA_CACHE_DIR", str(mission_cache))


@pytest.fixture
def archive() -> Iterator[Any]:
    """The emulator's file trees (downloads) and Sesame, for one test; yields the
    :class:`~daxa.testing.files.FileTree` (its fault switches)."""
    from daxa.testing import emulated_archives
    from daxa.testing.files import mount_file_trees

    with emulated_archives() as emu:
        yield mount_file_trees(emu)
