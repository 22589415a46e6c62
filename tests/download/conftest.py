"""Fixtures for the download tests: one emulator with the archive file trees per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from daxa.testing import ArchiveEmulator, emulated_archives
from daxa.testing.files import FileTree


@pytest.fixture(scope="module")
def emulator() -> Iterator[ArchiveEmulator]:
    with emulated_archives() as emu:
        yield emu


@pytest.fixture(scope="module")
def tree(emulator: ArchiveEmulator) -> FileTree:
    """The emulator's archive file trees (mounted by the emulator itself)."""
    assert isinstance(emulator.files, FileTree)
    return emulator.files


@pytest.fixture
def archive(
    emulator: ArchiveEmulator, tree: FileTree
) -> Iterator[tuple[ArchiveEmulator, FileTree]]:
    """The emulator and its file tree, with every fault cleared before and after the test."""
    emulator.faults.reset()
    tree.reset()
    tree.range_requests.clear()
    yield emulator, tree
    emulator.faults.reset()
    tree.reset()
