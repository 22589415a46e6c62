"""Fixtures for the CLI tests: one archive emulator per test module, one cache per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daxa.testing import ArchiveEmulator


@pytest.fixture(scope="module")
def emulator() -> Iterator[ArchiveEmulator]:
    """One emulator per test module (small generated tables and data files), shared by its
    tests."""
    with ArchiveEmulator(seed=7) as emu:
        yield emu


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cache"
    folder.mkdir()
    return folder
