"""What the facade adds so DAXA's own code and tests find what DAXA gives them.

DAXA keeps each table in the archive's row order, and exposes a few module-level names
(``daxa.OUTPUT``, ``daxa.config.EROSITA_CALPV_INFO``). daxa's cache is HEALPix-sorted and has
no such globals, so this module restores the order (from the ``_archive_row`` column that each
fetch records) and builds those names on first use.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from daxa import cache
from daxa.download import DEFAULT_DEST
from daxa.errors import NameResolutionError, NoTargetTypeInfoError, UnknownTargetTypeError
from daxa.missions import Mission
from daxa.schema import ARCHIVE_ROW


def archive_ordered(
    spec: Mission, table: pl.DataFrame | None, cache_dir: str | os.PathLike[str] | None
) -> pl.DataFrame:
    """``table`` (default: the cached table of ``spec``) in the archive's row order.

    Tables cached before the order was recorded keep their HEALPix order.
    """
    frame = cache.load(spec.name, cache_dir=cache_dir) if table is None else table
    if ARCHIVE_ROW in frame.columns:
        return frame.sort(ARCHIVE_ROW, maintain_order=True)
    return frame


def output_folder() -> str:
    """DAXA's ``OUTPUT``: the folder raw data are downloaded under, with a trailing separator."""
    return os.path.abspath(DEFAULT_DEST) + os.sep


def erosita_calpv_info() -> Any:
    """DAXA's ``EROSITA_CALPV_INFO``: the CalPV observation list as a pandas frame, in the
    archive's order with DAXA's column names (``ObsID``, ``Field_Name``, ``Field_Type``...)."""
    from daxa.mission._frames import daxa_frame
    from daxa.missions import get_mission

    spec = get_mission("erosita_calpv")
    return daxa_frame(archive_ordered(spec, None, None), spec.name)


@contextlib.contextmanager
def daxa_exceptions() -> Iterator[None]:
    """Raise DAXA's exception classes where DAXA raises them (each subclasses daxa's own, so
    ``except DaxaError`` still works)."""
    from daxa.exceptions import (
        DAXANameResolveError,
        IllegalSourceType,
        NoTargetSourceTypeInfo,
    )

    try:
        yield
    except NameResolutionError as exc:
        if isinstance(exc, DAXANameResolveError):
            raise
        renamed = DAXANameResolveError(str(exc))
        renamed.service = exc.service
        raise renamed from None
    except UnknownTargetTypeError as exc:
        if isinstance(exc, IllegalSourceType):
            raise
        raise IllegalSourceType(str(exc)) from None
    except NoTargetTypeInfoError as exc:
        if isinstance(exc, NoTargetSourceTypeInfo):
            raise
        raise NoTargetSourceTypeInfo(str(exc)) from None


def check_time_windows(positions: Any, start: Any, end: Any) -> None:
    """DAXA's checks of ``filter_on_positions_at_time`` arguments, with DAXA's exception types:
    a single datetime beside an array is a ``TypeError``; windows that do not pair one to one
    with the positions a ``ValueError``. Anything else is left to daxa's input layer."""
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise TypeError(
            "start_datetimes and end_datetimes must both be single datetimes or both be arrays "
            f"of datetimes (one per position); got {type(start).__name__} and "
            f"{type(end).__name__}"
        )
    if isinstance(start, datetime):
        n_start = n_end = 1
    else:
        n_start, n_end = len(start), len(end)
    n_pos = _position_count(positions)
    if n_pos is not None and (n_start != n_pos or n_end != n_pos):
        raise ValueError(
            f"{n_start} start and {n_end} end datetimes given for {n_pos} position(s); give one "
            "window per position"
        )


def _position_count(positions: Any) -> int | None:
    """How many positions DAXA sees in ``positions`` (None when it cannot tell)."""
    from astropy.coordinates import SkyCoord

    if isinstance(positions, SkyCoord):
        return 1 if positions.isscalar else len(positions)
    if isinstance(positions, list | tuple) and positions:
        first = positions[0]
        return len(positions) if isinstance(first, list | tuple | SkyCoord | np.ndarray) else 1
    array = np.asarray(positions) if not hasattr(positions, "columns") else None
    if array is not None and array.ndim == 2:
        return int(array.shape[0])
    if array is not None and array.ndim == 1 and array.size == 2:
        return 1
    return None


#: ObsID patterns as DAXA writes them, where daxa's spec says the same with a flag (ROSAT's
#: case-insensitive prefixes).
DAXA_ID_REGEX = {
    "rosat_pointed": r"^(RH|rh|RP|rp|RF|rf|WH|wh|WP|wp|WF|wf)\d{6}([A-Z]\d{2}|)$",
    "rosat_all_sky": r"^(RS|rs)\d{6}[A-Z]\d{2}$",
}


def warn_on_aliases(spec: Mission, insts: Any) -> None:
    """DAXA's warning when instruments were given by another name (``MOS1`` → ``M1``,
    ``ACIS-I`` → ``ACIS``, ``PSPC-B`` → ``PSPCB``...)."""
    if insts is None:
        return
    given = [insts] if isinstance(insts, str) else list(insts)
    canonical = {i.name.upper(): i.name for i in spec.instruments}
    aliases = {a.upper(): i.name for i in spec.instruments for a in i.aliases}
    converted = [
        f"{name} -> {aliases[str(name).strip().upper()]}"
        for name in given
        if str(name).strip().upper() not in canonical and str(name).strip().upper() in aliases
    ]
    if converted:
        warnings.warn(
            "some instrument names were converted to the names this mission uses: "
            + ", ".join(converted),
            stacklevel=3,
        )
