"""The local archive emulator daxa's tests and offline demo talk to over real HTTP.

>>> with emulated_archives(tables=demo_tables) as emu:
...     from daxa.config import service_url
...     service_url("heasarc_tap") == emu.url + "/heasarc_tap"
True
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
from daxa.testing.shared import shared_data_dir


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
