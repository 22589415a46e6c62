"""``footprint_status`` for DuckDB: the footprint decision of :mod:`daxa.footprints` in SQL.

``footprint_status(mission, detector, ra0, dec0, roll, ra, dec)`` is ``'yes'``, ``'maybe'``
or ``'no'``: is (ra, dec) inside the field of ``detector`` (daxa instrument name; Chandra's
``detector`` column, e.g. ``'ACIS-I'``) pointed at (ra0, dec0) with roll angle ``roll``
(degrees; NULL = unknown, so between the inscribed and circumscribed circles gives
``'maybe'``)? Unknown missions or detectors give NULL. eRASS1 tiles are boxes: use
``in_owned_box`` instead. The ``in_footprint`` macro is ``footprint_status(...) <> 'no'``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from daxa.footprints.contain import LABELS, classify
from daxa.footprints.shapes import SHAPES


def _np(values: pa.Array) -> np.ndarray:
    return np.asarray(values.to_numpy(zero_copy_only=False))


def footprint_status_udf(
    mission: pa.Array,
    detector: pa.Array,
    ra0: pa.Array,
    dec0: pa.Array,
    roll: pa.Array,
    ra: pa.Array,
    dec: pa.Array,
) -> pa.Array:
    """Vectorised: one :func:`classify` call per distinct (mission, detector) in the chunk."""
    m = np.asarray(mission.to_pylist(), dtype=object)
    d = np.asarray(
        [None if x is None else str(x).upper() for x in detector.to_pylist()], dtype=object
    )
    nums = [np.asarray(_np(a), dtype=np.float64) for a in (ra0, dec0, ra, dec)]
    angle = np.asarray(pa.array(roll).to_numpy(zero_copy_only=False), dtype=np.float64)
    out = np.full(len(m), None, dtype=object)
    finite = np.logical_and.reduce([np.isfinite(a) for a in nums])
    key = np.char.add(np.asarray(m, dtype=str), np.char.add("|", np.asarray(d, dtype=str)))
    for k in np.unique(key[finite]):
        mission_name, det = k.split("|")
        shape = SHAPES.get((mission_name, det))
        if shape is None or shape.kind == "box":
            continue
        rows = np.flatnonzero(finite & (key == k))
        status, _ = classify(
            shape, nums[2][rows], nums[3][rows], nums[0][rows], nums[1][rows], angle[rows]
        )
        out[rows] = np.asarray(LABELS, dtype=object)[status]
    return pa.array(out.tolist(), type=pa.string())


def install(con: object) -> None:
    """Register ``footprint_status`` on a DuckDB connection."""
    from duckdb.sqltypes import DOUBLE, VARCHAR

    con.create_function(  # type: ignore[attr-defined]
        "footprint_status",
        footprint_status_udf,
        [VARCHAR, VARCHAR, DOUBLE, DOUBLE, DOUBLE, DOUBLE, DOUBLE],
        VARCHAR,
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
