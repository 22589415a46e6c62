"""Ad-hoc SQL over the cached observation tables, with DuckDB.

``daxa.sql(query, **frames)`` runs a query directly over the cache's Parquet files (nothing is
copied into a database) and returns a polars DataFrame. The views are one per cached mission
(``chandra``, ``swift``, ...), ``observations`` across every cached mission (columns united by
name, with the ``mission`` column) and ``cached_missions``; sky and time helpers
(``ang_sep``, ``in_cone``, ``cone``, ``healpix_index``, ``time_overlap``, ``mjd_to_timestamp``
...) are described in :mod:`daxa.sql.macros`. For several queries keep a connection open with
:func:`connect`.

The module itself is callable, so ``daxa.sql("SELECT ...")`` and ``daxa.sql.connect()`` both
work once ``daxa`` imports it as a module.

>>> import tempfile
>>> sql("SELECT count(*) AS n FROM observations", cache_dir=tempfile.mkdtemp())["n"].item()
0
"""

from __future__ import annotations

import sys
import types
from typing import Any

from daxa.sql.cli import cli_main, register_cli
from daxa.sql.cone import cone_predicate, cone_ranges, expand_cones
from daxa.sql.db import SkyDB, connect, sql
from daxa.sql.macros import HELPER_NAMES


class _CallableModule(types.ModuleType):
    """Lets ``daxa.sql(...)`` call :func:`sql` while ``daxa.sql.connect`` stays reachable."""

    def __call__(self, query: str, **kwargs: Any) -> Any:
        return sql(query, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = [
    "HELPER_NAMES",
    "SkyDB",
    "cli_main",
    "cone_predicate",
    "cone_ranges",
    "connect",
    "expand_cones",
    "register_cli",
    "sql",
]
