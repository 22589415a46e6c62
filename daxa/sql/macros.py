"""The sky and time helpers every daxa DuckDB connection carries, as SQL macros and functions.

They exist so that SQL users can ask positional and time questions without the Python API:

========================================  =====================================================
``ang_sep(ra1, dec1, ra2, dec2)``         angular separation in degrees (Vincenty formula,
                                          stable at tiny and large angles; same as daxa.sky)
``in_cone(ra, dec, ra0, dec0, r)``        true when (ra, dec) is within ``r`` degrees of
                                          (ra0, dec0), inclusive (with daxa.sky's 1e-12
                                          tolerance, so points on the circle count)
``in_cone(ra, dec, hpx, ra0, dec0, r)``   the same; when ra0, dec0, r are literals,
                                          :meth:`daxa.sql.SkyDB.query` adds ``_healpix_29``
                                          ranges first so DuckDB skips Parquet row groups
``cone(view, ra0, dec0, r)``              table macro: the rows of ``view`` in the cone, with
                                          ``separation_deg``
``healpix_index(ra, dec, order)``         NESTED HEALPix index at ``order`` (0-29)
``healpix_coarsen(hpx29, order)``         order-``order`` index from a ``_healpix_29`` value
``time_overlap(start, end, w0, w1)``      the observation overlaps the window (inclusive)
``time_inside(start, end, w0, w1)``       the observation lies wholly inside the window
``mjd_to_timestamp(mjd)``                 MJD (UTC) → TIMESTAMP (UTC), rounded to the
                                          millisecond as the normalisers round archive MJDs,
                                          leap-second days 86,401 s long (as daxa.utc and
                                          astropy read them); NULL at or below 0
``timestamp_to_mjd(ts)``                  TIMESTAMP (UTC) or TIMESTAMPTZ → MJD (UTC)
``footprint_status(mission, detector,``   'yes' / 'maybe' / 'no': is (ra, dec) in the
``ra0, dec0, roll, ra, dec)``              detector's real field at that pointing and roll
                                          (roll NULL: unknown; see :mod:`daxa.footprints`)
``in_footprint(mission, detector, ra0,``  ``footprint_status(...) <> 'no'``
``dec0, roll, ra, dec)``
``in_owned_box(ra, dec, ra_min, ra_max,``  (ra, dec) in an eRASS1 tile's owned box
``dec_min, dec_max)``                     (half-open, as daxa.footprints.in_box)
========================================  =====================================================

Macros are plain SQL (a persistent database file keeps them usable from the DuckDB shell); they
put their arguments wherever they use them, so give columns or constants, not a volatile
expression such as ``random()``, which would be drawn once per use;
``healpix_index`` and ``footprint_status`` (hence ``in_footprint``) are vectorised Python
functions and exist only on daxa's connections.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from daxa.sky.healpix import MAX_ORDER, healpix_index
from daxa.utc import LEAP_SECOND_DAYS, MJD_UNIX_EPOCH

_US_PER_DAY = 86_400_000_000
_MS_PER_DAY = 86_400_000


def _sep(ra1: str, dec1: str, ra2: str, dec2: str) -> str:
    """The Vincenty separation formula in SQL (degrees), over SQL expressions in degrees."""
    d_ra = f"radians({ra2} - {ra1})"
    s1, c1 = f"sin(radians({dec1}))", f"cos(radians({dec1}))"
    s2, c2 = f"sin(radians({dec2}))", f"cos(radians({dec2}))"
    num_a = f"({c2} * sin({d_ra}))"
    num_b = f"({c1} * {s2} - {s1} * {c2} * cos({d_ra}))"
    den = f"({s1} * {s2} + {c1} * {c2} * cos({d_ra}))"
    return f"degrees(atan2(sqrt({num_a} * {num_a} + {num_b} * {num_b}), {den}))"


def _day_length(mjd_day: str, per_day: int) -> str:
    """SQL for the length of UTC day ``mjd_day`` (an MJD, whole) in units of ``per_day`` a
    normal day: one second more on the days that end with a leap second."""
    days = ", ".join(f"{d:.1f}" for d in LEAP_SECOND_DAYS)
    leap = per_day + per_day // 86_400
    return f"(CASE WHEN {mjd_day} IN ({days}) THEN {leap}.0 ELSE {per_day}.0 END)"


#: An MJD macro argument in double precision (a FLOAT column's arithmetic would be seconds off,
#: a DECIMAL literal's another type).
_MJD = "CAST(mjd AS DOUBLE)"
#: A timestamp macro argument as microseconds since 1970 (UTC), and its whole days since then.
_TS_US = "epoch_us(CAST(ts AS TIMESTAMP))"
_TS_DAYS = f"floor({_TS_US} / {_US_PER_DAY}.0)"

_LOOSE_R = "(r * (1.0 + 1e-12) + 1e-12)"
_IN_CONE = (
    f"(dec BETWEEN dec0 - {_LOOSE_R} AND dec0 + {_LOOSE_R} "
    f"AND ang_sep(ra, dec, ra0, dec0) <= {_LOOSE_R})"
)

#: (name, CREATE statement) of every macro, in creation order (later ones use earlier ones).
MACROS: tuple[tuple[str, str], ...] = (
    (
        "ang_sep",
        "CREATE OR REPLACE MACRO ang_sep(ra1, dec1, ra2, dec2) AS "
        + _sep("ra1", "dec1", "ra2", "dec2"),
    ),
    (
        "in_cone",
        # Inclusive with daxa.sky's tolerance (r (1 + 1e-12) + 1e-12 degrees), so a point
        # exactly on the circle is in despite rounding. The declination band is exact (a point
        # within r has |dec - dec0| <= r) and lets DuckDB skip row groups on the dec statistics
        # even when no HEALPix ranges are inlined.
        "CREATE OR REPLACE MACRO in_cone"
        f"(ra, dec, ra0, dec0, r) AS {_IN_CONE}, "
        f"(ra, dec, hpx, ra0, dec0, r) AS {_IN_CONE}",
    ),
    (
        "cone",
        "CREATE OR REPLACE MACRO cone(view_name, ra0, dec0, r) AS TABLE "
        "SELECT *, ang_sep(ra, dec, ra0, dec0) AS separation_deg FROM query_table(view_name) "
        "WHERE in_cone(ra, dec, ra0, dec0, r)",
    ),
    (
        "healpix_coarsen",
        f"CREATE OR REPLACE MACRO healpix_coarsen(hpx29, hpx_order) AS "
        f"(hpx29 >> (2 * ({MAX_ORDER} - hpx_order)))",
    ),
    (
        "time_overlap",
        "CREATE OR REPLACE MACRO time_overlap(t_start, t_end, w_start, w_end) AS "
        "(t_start <= w_end AND t_end >= w_start)",
    ),
    (
        "time_inside",
        "CREATE OR REPLACE MACRO time_inside(t_start, t_end, w_start, w_end) AS "
        "(t_start >= w_start AND t_end <= w_end)",
    ),
    (
        "mjd_to_timestamp",
        # as daxa.utc.mjd_to_utc: whole days exact, the fraction over the day's length (86,401 s
        # on leap-second days) rounded half to even as polars rounds; no date at or below 0
        "CREATE OR REPLACE MACRO mjd_to_timestamp(mjd) AS "
        f"(CASE WHEN {_MJD} > 0 AND NOT isnan({_MJD}) THEN make_timestamp(CAST(("
        f"(floor({_MJD}) - {MJD_UNIX_EPOCH}) * {_MS_PER_DAY}.0 "
        f"+ round_even(({_MJD} - floor({_MJD})) * {_day_length(f'floor({_MJD})', _MS_PER_DAY)}, 0)"
        ") AS BIGINT) * 1000) END)",
    ),
    (
        "timestamp_to_mjd",
        # as daxa.utc.utc_to_mjd: the whole day, plus the fraction of that day's length
        "CREATE OR REPLACE MACRO timestamp_to_mjd(ts) AS "
        f"({_TS_DAYS} + {MJD_UNIX_EPOCH} "
        f"+ ({_TS_US} - CAST({_TS_DAYS} AS BIGINT) * {_US_PER_DAY}) / "
        f"{_day_length(f'({_TS_DAYS} + {MJD_UNIX_EPOCH})', _US_PER_DAY)})",
    ),
)

#: Macros over Python functions, created after those functions are registered.
FUNCTION_MACROS: tuple[tuple[str, str], ...] = (
    (
        "in_footprint",
        "CREATE OR REPLACE MACRO in_footprint(mission, detector, ra0, dec0, roll, ra, dec) AS "
        "(footprint_status(mission, detector, ra0, dec0, roll, ra, dec) <> 'no')",
    ),
    (
        "in_owned_box",
        "CREATE OR REPLACE MACRO in_owned_box(ra, dec, ra_min, ra_max, dec_min, dec_max) AS "
        "((CASE WHEN ra_max - ra_min >= 360 THEN true "
        "WHEN ra_min > ra_max THEN (ra >= ra_min OR ra < ra_max) "
        "ELSE (ra >= ra_min AND ra < ra_max) END) "
        "AND dec >= dec_min AND (dec < dec_max OR (dec_max >= 90 AND dec <= 90)))",
    ),
)

#: Names of the helpers, macros and functions, for listings and error messages.
HELPER_NAMES: tuple[str, ...] = (
    *(name for name, _ in MACROS),
    "healpix_index",
    "footprint_status",
    *(name for name, _ in FUNCTION_MACROS),
)


def _healpix_udf(ra: pa.Array, dec: pa.Array, order: pa.Array) -> pa.Array:
    """Vectorised HEALPix index for DuckDB (one call per distinct order in the chunk)."""
    ra_np = np.asarray(ra.to_numpy(zero_copy_only=False), dtype=np.float64)
    dec_np = np.asarray(dec.to_numpy(zero_copy_only=False), dtype=np.float64)
    order_np = np.asarray(order.to_numpy(zero_copy_only=False), dtype=np.float64)
    valid = np.isfinite(ra_np) & np.isfinite(dec_np) & np.isfinite(order_np)
    valid &= (np.abs(dec_np) <= 90) & (order_np >= 0) & (order_np <= MAX_ORDER)
    out = np.zeros(len(ra_np), dtype=np.int64)
    orders = order_np[valid].astype(np.int64)
    for k in np.unique(orders):
        rows = np.flatnonzero(valid)[orders == k]
        out[rows] = healpix_index(ra_np[rows], dec_np[rows], int(k))
    return pa.array(out, mask=~valid)


def install(con: Any) -> None:
    """Create every macro and register ``healpix_index`` on a DuckDB connection."""
    from duckdb.sqltypes import BIGINT, DOUBLE, INTEGER

    for _, statement in MACROS:
        con.execute(statement)
    con.create_function(
        "healpix_index",
        _healpix_udf,
        [DOUBLE, DOUBLE, INTEGER],
        BIGINT,
        type="arrow",
        null_handling="special",
        side_effects=False,
    )
    from daxa.sql.footprints import install as install_footprints

    install_footprints(con)
    for _, statement in FUNCTION_MACROS:
        con.execute(statement)
