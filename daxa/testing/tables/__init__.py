"""Generated raw archive tables for the local archive emulator.

:func:`generate_table` returns a mission's observation table the way its service delivers it:
the service's own column names (lower-case for HEASARC and XSA, the CSV header for the
eROSITA lists) and the types a VOTable parse gives (MJD floats, string or integer ObsIDs as
the archive types them, Y/N and status strings, nulls where the real tables have them).
Content is generated (vectorised, deterministic per seed) to look like the real tables:
repeated pointings on popular targets, survey tilings, INTEGRAL dithering, Swift snapshots,
times within each mission's life. Every edge case a normaliser rule handles (slews, bad
positions, non-processed statuses, placeholder dates, zero exposures, unknown categories...)
is present at every size. The eROSITA lists are the real files when the shared data folder
is there (see :func:`shared_data_dir`), else stand-ins with the same header.

>>> t = generate_table("chanmaster", 300)
>>> t.height, t.schema["obsid"]
(300, Int32)
>>> (t["obsid"] == 6616).any()
True
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.testing.tables import (
    asca,
    chandra,
    erosita,
    integral,
    nustar,
    rosat,
    suzaku,
    swift,
    xmm,
    xrism,
)
from daxa.testing.tables._common import heasarc_extras, rng_for

__all__ = ["SMALL_SIZES", "TABLES", "generate_table", "shared_data_dir"]

#: Raw table name → its real size (early 2025; the eROSITA lists are fixed).
TABLES: dict[str, int] = {
    "chanmaster": 24786,
    "numaster": 4784,
    "xmmmaster": 17986,
    "v_all_observations": 18210,
    "rosmaster": 11431,
    "rassmaster": 1378,
    "swiftmastr": 373182,
    "suzamaster": 3041,
    "ascamaster": 3074,
    "intscwpub": 214000,
    "xrismmastr": 216,
    erosita.CALPV: 170,
    erosita.ERASS1_DE: 2447,
}

#: The default (test) size of each table: a few hundred rows, every edge row included.
SMALL_SIZES: dict[str, int] = {
    **{name: 300 for name in TABLES},
    "xrismmastr": 216,
    erosita.CALPV: 170,
    erosita.ERASS1_DE: 400,
}

_Generator = Callable[[int, np.random.Generator], pl.DataFrame]

_GENERATORS: dict[str, _Generator] = {
    "chanmaster": chandra.chanmaster,
    "numaster": nustar.numaster,
    "xmmmaster": xmm.heasarc,
    "v_all_observations": xmm.xsa,
    "rosmaster": rosat.rosmaster,
    "rassmaster": rosat.rassmaster,
    "swiftmastr": swift.swiftmastr,
    "suzamaster": suzaku.suzamaster,
    "ascamaster": asca.ascamaster,
    "intscwpub": integral.intscwpub,
    "xrismmastr": xrism.xrismmastr,
}


def shared_data_dir() -> Path | None:
    """The shared real-data folder, as :func:`daxa.testing.shared_data_dir` finds it."""
    from daxa.testing.shared import shared_data_dir as find

    return find()


def generate_table(table: str, n_rows: int | None = None, seed: int = 0) -> pl.DataFrame:
    """The raw table ``table`` with ``n_rows`` rows (default :data:`SMALL_SIZES`).

    Deterministic for a given ``(table, n_rows, seed)``. The eROSITA lists have a natural
    size: more rows than that gives the whole list. Raises :class:`~daxa.errors.InputError`
    for an unknown table or a non-positive size.
    """
    if table not in TABLES:
        raise InputError(f"no generator for table {table!r}; known tables: {', '.join(TABLES)}")
    n = SMALL_SIZES[table] if n_rows is None else int(n_rows)
    if n < 1:
        raise InputError(f"n_rows must be at least 1 for table {table!r}, got {n_rows!r}")
    rng = rng_for(table, seed)
    if table == erosita.CALPV:
        return erosita.calpv(n, rng, shared_data_dir())
    if table == erosita.ERASS1_DE:
        return erosita.erass1(n, rng, shared_data_dir())
    frame = _GENERATORS[table](n, rng)
    if table in _XSA_TABLES:
        return frame
    return heasarc_extras(frame, rng)


_XSA_TABLES = frozenset({"v_all_observations"})
