"""A pytest plugin that lets DAXA's own test files run against ``daxa.mission``.

Loaded with ``-p _daxa_upstream_plugin`` by :mod:`tests.mission.test_daxa_upstream` in a child
pytest run inside a copy of DAXA's ``tests/`` folder. Before DAXA's modules are imported it
starts the archive emulator, points daxa at it (tables, file trees, Sesame) and fills a
temporary cache with every mission, so the tests fetch nothing from the internet.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

_state: dict[str, Any] = {}


def pytest_configure(config: Any) -> None:
    from daxa import cache
    from daxa.config import use_mirror
    from daxa.missions import mission_names
    from daxa.testing import ArchiveEmulator
    from daxa.testing.files import mount_file_trees

    emulator = ArchiveEmulator()
    emulator.start()
    mount_file_trees(emulator)
    use_mirror(emulator.url)
    folder = tempfile.mkdtemp(prefix="daxa-upstream-cache-")
    for name in mission_names():
        cache.refresh(name, cache_dir=folder)
    os.environ["DAXA_CACHE_DIR"] = folder
    _state.update(emulator=emulator, folder=folder)


def pytest_unconfigure(config: Any) -> None:
    import shutil

    from daxa.config import use_mirror

    emulator = _state.pop("emulator", None)
    if emulator is not None:
        emulator.stop()
    use_mirror(None)
    folder = _state.pop("folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
