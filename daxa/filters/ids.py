"""The ObsID filter: keep (or drop) listed observations.

>>> import polars as pl
>>> t = pl.DataFrame({"obs_id": ["300007", "300008", "300009"]})
>>> ObsIDs(["300008"]).mask(t, mission="erosita_calpv").to_list()
[False, True, False]
>>> ObsIDs("300008", invert=True).mask(t, mission="erosita_calpv").to_list()
[True, False, True]
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from daxa.errors import InputError
from daxa.filters._base import Filter, FilterWarning, as_mask, require_columns
from daxa.missions import Mission, check_obs_ids, get_mission


def _as_id_list(obs_ids: Any) -> list[str]:
    if isinstance(obs_ids, (str, int, np.integer)):
        return [str(obs_ids)]
    if isinstance(obs_ids, pl.Series):
        return [str(v) for v in obs_ids.to_list()]
    if not isinstance(obs_ids, Iterable):
        raise InputError(f"obs_ids must be an ObsID or a list of them, got {obs_ids!r:.60}")
    return [str(v) for v in obs_ids]


def remap_obs_ids(spec: Mission, obs_ids: list[str]) -> list[str]:
    """``obs_ids`` with the mission's documented misprints replaced by the ObsIDs they mean
    (eROSITA CalPV: 700195 → 700199, 700200), warning once per call when any were.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     remap_obs_ids(get_mission("erosita_calpv"), ["700195", "300007"])
    ['700199', '700200', '300007']
    >>> str(seen[0].message)[:40]
    'ObsID 700195 is misprinted on the eROSIT'
    """
    remaps = dict(spec.obs_id_remaps)
    wrong = [i for i in obs_ids if i in remaps]
    if not wrong:
        return obs_ids
    meant = "; ".join(f"{w} means {', '.join(remaps[w])}" for w in wrong)
    warnings.warn(
        f"ObsID {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} misprinted on the "
        f"{spec.pretty_name} pages: {meant}",
        FilterWarning,
        stacklevel=4,
    )
    return [n for i in obs_ids for n in remaps.get(i, (i,))]


@dataclass(frozen=True, eq=False)
class ObsIDs(Filter):
    """Keep the observations whose ObsID is listed (``invert=True``: drop them).

    Every id must match the mission's ObsID pattern (give ids as strings: an integer loses
    leading zeros); ids that do not raise :class:`~daxa.errors.ObsIDError` naming them.
    ObsIDs an archive's pages misprint are replaced by those they mean, with a warning
    (:func:`remap_obs_ids`).
    """

    obs_ids: Any
    invert: bool = False

    name = "obs_ids"

    def __post_init__(self) -> None:
        ids = _as_id_list(self.obs_ids)
        if not ids:
            raise InputError("no ObsIDs given; pass at least one")
        object.__setattr__(self, "obs_ids", tuple(ids))

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        spec = get_mission(mission)
        require_columns(table, ("obs_id",), what="the ObsID filter")
        ids = check_obs_ids(spec, remap_obs_ids(spec, list(self.obs_ids)))
        column = (
            table["obs_id"].str.to_uppercase() if spec.obs_id_case_insensitive else table["obs_id"]
        )
        keep = column.is_in(ids)
        return as_mask(~keep if self.invert else keep, table)

    def describe(self) -> str:
        n = len(self.obs_ids)
        shown = ", ".join(self.obs_ids[:3]) + (", ..." if n > 3 else "")
        return f"{'not ' if self.invert else ''}ObsID in [{shown}] ({n} id{'s' if n != 1 else ''})"
