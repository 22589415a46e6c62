"""The local archive emulator daxa's tests and offline demo talk to over real HTTP.

>>> with emulated_archives(tables=demo_tables) as emu:
...     from daxa.config import service_url
...     service_url("heasarc_tap") == emu.url + "/heasarc_tap"
True
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from daxa.testing.faults import Faults, RemoteFaults
from daxa.testing.server import (
    ArchiveEmulator,
    Request,
    Response,
    bytes_response,
    demo_tables,
    file_response,
    html_page,
    parse_range,
    ranged_response,
)


def shared_data_dir() -> Path | None:
    """The shared real-data folder: ``$DAXA_SHARED_DATA``, else ``<repo>/../shared/data``.

    None when neither exists, so tests that need the files can skip cleanly.
    """
    env = os.environ.get("DAXA_SHARED_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    import daxa

    candidate = Path(daxa.__file__).resolve().parents[2] / "shared" / "data"
    return candidate if candidate.is_dir() else None


@contextmanager
def emulated_archives(**kwargs: Any) -> Iterator[ArchiveEmulator]:
    """Start an :class:`ArchiveEmulator` (same arguments) and point daxa at it meanwhile."""
    from daxa.config import mirror

    with ArchiveEmulator(**kwargs) as emulator, mirror(emulator.url):
        yield emulator


__all__ = [
    "ArchiveEmulator",
    "Faults",
    "RemoteFaults",
    "Request",
    "Response",
    "bytes_response",
    "demo_tables",
    "emulated_archives",
    "file_response",
    "html_page",
    "parse_range",
    "ranged_response",
    "shared_data_dir",
]
