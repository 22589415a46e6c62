"""Positions as the positions filters hold them: read once by :func:`daxa.inputs.read_positions`
(any input kind), given in a mission's frame on demand, and cut down to the columns used when a
saved selection stores them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl


def _is_frame(value: Any) -> bool:
    """A frame kind a saved selection stores as it is (only the columns used are kept)."""
    if isinstance(value, (pl.DataFrame, dict)):
        return True
    module, name = type(value).__module__, type(value).__name__
    return (module.startswith("pandas") and name == "DataFrame") or (
        module.startswith("astropy") and name in ("Table", "QTable")
    )


def reduce_frame(frame: Any, keep: Iterable[str]) -> Any:
    """``frame`` cut down to the columns ``keep`` (same frame type), so only they are saved."""
    keep = list(keep)
    if isinstance(frame, dict):
        return {k: frame[k] for k in keep}
    if isinstance(frame, pl.DataFrame):
        return frame.select(keep)
    if type(frame).__module__.startswith("pandas"):
        return frame[keep].reset_index(drop=True)
    return frame[keep]


def frame_columns(frame: Any) -> list[str]:
    if isinstance(frame, dict):
        return list(frame)
    if isinstance(frame, pl.DataFrame):
        return frame.columns
    if type(frame).__module__.startswith("pandas"):
        return [str(c) for c in frame.columns]
    return list(frame.colnames)


class ParsedPositions:
    """Positions ready for a mission: read by :func:`daxa.inputs.read_positions` (any input
    kind), plain degrees or a SkyCoord transformed per frame."""

    def __init__(
        self,
        positions: Any,
        *,
        ra_column: str | None = None,
        dec_column: str | None = None,
        id_column: str | bool | None = None,
    ):
        from daxa.inputs import read_positions

        parsed = read_positions(positions, ra=ra_column, dec=dec_column, id=id_column)
        self.read = parsed
        self.skycoord: Any = parsed.skycoord
        self.columns: tuple[str, str] | None = parsed.columns
        self.size = parsed.size

    def in_frame(self, frame: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """RA and Dec (degrees) in ``frame`` ('icrs' or 'fk5' J2000)."""
        return self.read.in_frame(frame)

    def saved_form(self, given: Any) -> Any:
        """What a saved selection keeps of ``given``: a frame cut to the columns used (the
        same frame type when it has them; else a polars frame), or ``given`` itself."""
        if self.columns is None:
            return given
        keep = [*self.columns] + ([self.read.id_column] if self.read.id_column else [])
        if _is_frame(given) and all(c in frame_columns(given) for c in keep):
            return reduce_frame(given, keep)
        return self.read.table.frame.select(keep)
