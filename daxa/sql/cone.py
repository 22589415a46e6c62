"""Cone pruning on ``_healpix_29`` ranges, inlined into SQL before DuckDB sees it.

The cache files are sorted by ``_healpix_29`` and written in row groups, so a predicate like
``_healpix_29 BETWEEN lo AND hi`` lets DuckDB skip every row group whose min/max statistics lie
outside the cone. DuckDB cannot compute such ranges itself, so :func:`expand_cones` rewrites
calls whose centre and radius are literal numbers:

* ``in_cone(ra, dec, hpx, ra0, dec0, r)`` → ``((hpx BETWEEN ...) AND in_cone(ra, dec, ra0, dec0, r))``
* ``cone('view', ra0, dec0, r)`` (the table macro) → the same as a sub-query over the view.

Other calls are left alone: the macros still give the exact answer, only without the ranges.

The ranges come from the sky engine (:func:`daxa.sky.cone.healpix_ranges_for_cone`, which is
conservative), so pruning never loses a row. The 3 × 3 neighbour blocks below
(:func:`neighbour_cells`, :func:`orders_for_radii`) are for the positions join in
:mod:`daxa.sql.match`, which needs one cell block per position rather than one cone's ranges.

>>> print(expand_cones("SELECT * FROM chandra WHERE in_cone(ra, dec, _healpix_29, 0, 90, 1)"))
... # doctest: +ELLIPSIS
SELECT * FROM chandra WHERE ((_healpix_29 BETWEEN ... AND in_cone(ra, dec, 0, 90, 1))
"""

from __future__ import annotations

import math
import re

import numpy as np
import numpy.typing as npt

from daxa.errors import InputError
from daxa.sky.cone import healpix_ranges_for_cone
from daxa.sky.healpix import MAX_ORDER, healpix_index
from daxa.sql.views import quote_ident

#: Side of an order-0 HEALPix cell in degrees (sqrt of its area); order k is this / 2**k.
CELL_SIZE_0_DEG = math.degrees(math.sqrt(4 * math.pi / 12))
#: A 3 × 3 block of cells contains every point within this fraction of a cell's side of any
#: point of the central cell. Measured by bisection on circles (180 directions) around 6,000
#: points per order, half of them next to cell vertices, at orders 0-20: the smallest reach
#: was 0.822 (order 0), 0.737 (1), 0.712 (2), 0.688 (4), settling at 0.676 from order 10 on
#: (near the polar caps). 0.6 keeps an 11 % margin.
BLOCK_REACH = 0.6
#: :func:`cone_ranges` uses cells about radius / this wide.
SQL_CELLS_PER_RADIUS = 4
#: Cones this wide (degrees) or wider are not narrowed by cells (as in daxa.sky.cone_mask).
WHOLE_SKY_RADIUS = 30.0


#: Largest radius each order 0..29 can serve (ascending, i.e. order 29 first).
_REACH_ASC = (BLOCK_REACH * CELL_SIZE_0_DEG / 2.0 ** np.arange(MAX_ORDER, -1, -1)).astype(
    np.float64
)


def orders_for_radii(radii_deg: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The finest HEALPix order whose 3 × 3 neighbour blocks contain every cone of each radius.

    -1 means no order does (radius above ~35°): such searches cannot be narrowed by cells.

    >>> orders_for_radii([0.25, 36.0, 0.0]).tolist()
    [7, -1, 29]
    """
    radii = np.asarray(radii_deg, dtype=np.float64)
    return (MAX_ORDER - np.searchsorted(_REACH_ASC, radii, side="left")).astype(np.int64)


def order_for_radius(radius_deg: float) -> int:
    """:func:`orders_for_radii` for one radius."""
    return int(orders_for_radii([radius_deg])[0])


def neighbour_cells(
    ra_deg: npt.ArrayLike,
    dec_deg: npt.ArrayLike,
    order: int,
    *,
    hpx29: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int64]:
    """(n, 9) NESTED indices of each position's cell and its neighbours at ``order`` (-1 = none).

    ``hpx29``: the positions' order-29 indices, when known (saves indexing again).
    """
    if hpx29 is None:
        cells = healpix_index(
            np.asarray(ra_deg, np.float64), np.asarray(dec_deg, np.float64), order
        )
    else:
        cells = np.asarray(hpx29, dtype=np.int64) >> (2 * (MAX_ORDER - order))
    if cells.size == 0:
        return np.empty((0, 9), dtype=np.int64)
    try:
        from cdshealpix import nested

        return np.asarray(nested.neighbours(cells.astype(np.uint64), order), dtype=np.int64)
    except ImportError:  # pragma: no cover - cdshealpix is the optional "fast" extra
        from astropy_healpix import core

        around = np.asarray(core.neighbours(cells, 1 << order, order="nested"), dtype=np.int64)
        return np.column_stack([cells, around.T])


def sql_order_for_radius(radius_deg: float) -> int:
    """The finest order :func:`cone_ranges` asks the sky engine for: cells about a quarter of
    the radius wide, so a cone is a few dozen ranges (a short predicate) yet tight.

    >>> sql_order_for_radius(0.5), sql_order_for_radius(0.0)
    (8, 29)
    """
    if radius_deg <= 0:
        return MAX_ORDER
    return max(
        0,
        min(MAX_ORDER, math.floor(math.log2(CELL_SIZE_0_DEG * SQL_CELLS_PER_RADIUS / radius_deg))),
    )


def cone_ranges(ra_deg: float, dec_deg: float, radius_deg: float) -> npt.NDArray[np.int64] | None:
    """[lo, hi) ranges of ``_healpix_29`` values that contain the cone; None for the whole sky.

    The sky engine's :func:`daxa.sky.cone.healpix_ranges_for_cone` (so the SQL cone and
    :func:`daxa.sky.cone_mask` prune alike); radii of :data:`WHOLE_SKY_RADIUS` and more are not
    narrowed, as in ``cone_mask``.

    >>> cone_ranges(10.0, 20.0, 0.5).shape[1]
    2
    """
    for name, value in (("ra", ra_deg), ("dec", dec_deg), ("radius", radius_deg)):
        if not math.isfinite(value):
            raise InputError(f"cone {name} must be a finite number of degrees, got {value!r}")
    if abs(dec_deg) > 90:
        raise InputError(f"cone dec must lie in [-90, 90] degrees, got {dec_deg!r}")
    if radius_deg < 0:
        raise InputError(f"cone radius must be >= 0 degrees, got {radius_deg!r}")
    if radius_deg >= WHOLE_SKY_RADIUS:
        return None
    return healpix_ranges_for_cone(ra_deg, dec_deg, radius_deg, sql_order_for_radius(radius_deg))


def ranges_predicate(ranges: npt.NDArray[np.int64] | None, column: str = "_healpix_29") -> str:
    """SQL: ``column`` lies in one of the [lo, hi) ranges (``true`` when there are none)."""
    if ranges is None:
        return "true"
    terms = [f"{column} BETWEEN {lo} AND {hi - 1}" for lo, hi in ranges.tolist()]
    return "(" + " OR ".join(terms) + ")"


def cone_predicate(
    ra0: float,
    dec0: float,
    radius_deg: float,
    *,
    ra: str = "ra",
    dec: str = "dec",
    hpx: str = "_healpix_29",
) -> str:
    """SQL: the row's (ra, dec) lies within ``radius_deg`` of (ra0, dec0), pruned on ``hpx``.

    >>> cone_predicate(10, 20, 0.5).endswith("in_cone(ra, dec, 10.0, 20.0, 0.5))")
    True
    """
    ranges = cone_ranges(float(ra0), float(dec0), float(radius_deg))
    exact = f"in_cone({ra}, {dec}, {float(ra0)!r}, {float(dec0)!r}, {float(radius_deg)!r})"
    return f"({ranges_predicate(ranges, hpx)} AND {exact})"


# --- rewriting calls with literal arguments -------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_STRING = re.compile(r"^'((?:[^']|'')*)'$")
_CALL = re.compile(r"(?<![\w.\"$])(in_cone|cone)\s*\(", re.IGNORECASE)


def _skip_spans(sql: str) -> list[tuple[int, int]]:
    """Spans of string literals, quoted identifiers and comments (never rewritten inside)."""
    spans = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            spans.append((i, j + 1))
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            spans.append((i, j))
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            spans.append((i, j))
            i = j
        else:
            i += 1
    return spans


def _split_args(sql: str, start: int, skip: list[tuple[int, int]]) -> tuple[list[str], int] | None:
    """Arguments of the call whose '(' is just before ``start``; and the index after ')'."""
    depth, args, arg_start, i = 0, [], start, start
    while i < len(sql):
        inside = next((e for s, e in skip if s <= i < e), None)
        if inside is not None:
            i = inside
            continue
        c = sql[i]
        if c == "(":
            depth += 1
        elif c == ")":
            if depth == 0:
                args.append(sql[arg_start:i].strip())
                return args, i + 1
            depth -= 1
        elif c == "," and depth == 0:
            args.append(sql[arg_start:i].strip())
            arg_start = i + 1
        i += 1
    return None


def _rewrite(name: str, args: list[str]) -> str | None:
    if name == "in_cone" and len(args) == 6 and all(_NUMBER.match(a) for a in args[3:]):
        ra, dec, hpx, ra0, dec0, r = args
        ranges = cone_ranges(float(ra0), float(dec0), float(r))
        return f"({ranges_predicate(ranges, hpx)} AND in_cone({ra}, {dec}, {ra0}, {dec0}, {r}))"
    if name == "cone" and len(args) == 4 and all(_NUMBER.match(a) for a in args[1:]):
        view = _STRING.match(args[0])
        if view is None:
            return None
        ra0, dec0, r = args[1:]
        ranges = cone_ranges(float(ra0), float(dec0), float(r))
        return (
            f"(SELECT *, ang_sep(ra, dec, {ra0}, {dec0}) AS separation_deg "
            f"FROM {quote_ident(view.group(1).replace(chr(39) * 2, chr(39)))} "
            f"WHERE {ranges_predicate(ranges)} AND in_cone(ra, dec, {ra0}, {dec0}, {r}))"
        )
    return None


def expand_cones(sql: str) -> str:
    """``sql`` with literal ``in_cone``/``cone`` calls given their ``_healpix_29`` ranges."""
    if "cone" not in sql.lower():
        return sql
    skip = _skip_spans(sql)
    out: list[str] = []
    pos = 0
    for match in _CALL.finditer(sql):
        if match.start() < pos or any(s <= match.start() < e for s, e in skip):
            continue
        parsed = _split_args(sql, match.end(), skip)
        if parsed is None:
            continue
        args, end = parsed
        replacement = _rewrite(match.group(1).lower(), args)
        if replacement is None:
            continue
        out.append(sql[pos : match.start()])
        out.append(replacement)
        pos = end
    out.append(sql[pos:])
    return "".join(out)
