"""Pair search on the sky: every (left, right) pair within a radius, and best matches.

The radius is a scalar, one value per left row or one per right row (per-row field-of-view
radii). Internally the smaller side's cones are covered by declination-zone cells and the other
side looks its cells up (see :mod:`daxa.sky._join`); radii spanning more than a factor of
:data:`RADIUS_SPREAD` are split into groups so that a 50-degree Swift BAT field does not set the
cell size for 10-arcminute XRT fields. Every separation is tested exactly, inclusively
(``separation <= radius``), with the arithmetic of :func:`~daxa.sky.geometry.angular_separation`.

>>> p = pair_search([10.0, 200.0], [20.0, -30.0], [10.0, 10.1, 200.0], [20.0, 20.0, -29.0], 0.5)
>>> p.left.tolist(), p.right.tolist(), p.separation.round(4).tolist()
([0, 0], [0, 1], [0.0, 0.094])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from daxa.errors import InputError
from daxa.sky import _cell_table
from daxa.sky._cell_table import build_table, cell_size, footprint
from daxa.sky._join import count_candidates, join, stable_argsort_int
from daxa.sky._parallel import map_parts, threads_for
from daxa.sky.geometry import check_coordinates, check_radius, loosen

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: Pairs below which best_match_symmetric's numpy path finds each side's best on one thread
#: (measured: each side of 5e4 pairs takes 1.4-2 ms, a hand-off to a helper ~0.06 ms).
MIN_PAIRS_PER_THREAD = 50_000
#: Per-row radii whose largest/smallest ratio exceeds this are searched in groups.
RADIUS_SPREAD = 4.0


@dataclass(frozen=True, eq=False)
class Pairs:
    """Matched pairs, sorted by (left, right): int64 row indices and separations in degrees.

    (No ``==``: compare the arrays, e.g. with ``np.array_equal``.)
    """

    left: IntArray
    right: IntArray
    separation: FloatArray

    def __len__(self) -> int:
        return int(self.left.size)

    @classmethod
    def empty(cls) -> Pairs:
        """No pairs."""
        e = np.zeros(0, dtype=np.int64)
        return cls(e, e.copy(), np.zeros(0, dtype=np.float64))

    def take(self, index: Any) -> Pairs:
        """The pairs at ``index`` (a mask or positions, which must keep the sort order)."""
        return Pairs(self.left[index], self.right[index], self.separation[index])


def check_hpx29(values: Any, n: int, name: str) -> IntArray | None:
    """Validate an optional precomputed ``_healpix_29`` column (length and range)."""
    if values is None:
        return None
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise InputError(f"{name} has shape {arr.shape} but there are {n} positions")
    if arr.size and (arr.dtype.kind not in "iu" or arr.min() < 0 or arr.max() >= 12 << 58):
        raise InputError(f"{name} must hold order-29 NESTED HEALPix indices (0 <= i < 12*4**29)")
    return arr.astype(np.int64, copy=False)


def _radius_groups(radius: FloatArray) -> list[IntArray] | None:
    """Rows grouped by radius scale (factor RADIUS_SPREAD per group), or None for one group."""
    positive = radius[radius > 0]
    if positive.size == 0:
        return None
    r_max = float(positive.max())
    if r_max <= RADIUS_SPREAD * float(positive.min()):
        return None
    scale = np.floor(np.log(r_max / np.maximum(radius, positive.min())) / np.log(RADIUS_SPREAD))
    scale = scale.astype(np.int64)
    order = np.argsort(scale, kind="stable")
    bounds = np.flatnonzero(np.diff(scale[order])) + 1
    return [np.sort(g) for g in np.split(order, bounds)]


def _one_group(
    lra: FloatArray,
    ldec: FloatArray,
    rra: FloatArray,
    rdec: FloatArray,
    r_left: FloatArray | None,
    r_right: FloatArray | None,
    r_scalar: float | None,
) -> tuple[IntArray, IntArray, FloatArray]:
    """Pairs for one radius group; the smaller side is covered, the larger one probes."""
    build_is_right = rra.size <= lra.size
    if build_is_right:
        b_ra, b_dec, p_ra, p_dec, r_build, r_probe = rra, rdec, lra, ldec, r_right, r_left
    else:
        b_ra, b_dec, p_ra, p_dec, r_build, r_probe = lra, ldec, rra, rdec, r_left, r_right
    if r_build is not None:
        cover: FloatArray = r_build
    elif r_probe is not None:
        cover = np.array([r_probe.max()])
    else:
        cover = np.array([r_scalar])
    size = cell_size(float(cover.max()), b_ra.size, p_ra.size, _footprint(b_ra, b_dec, p_ra))
    table = build_table(b_ra, b_dec, cover, size, r_build)
    probe, build, sep = join(table, p_ra, p_dec, r_probe, r_scalar)
    if build_is_right:
        return probe, build, sep
    order = stable_argsort_int(build, lra.size)  # (right, left) order -> (left, right)
    return build[order], probe[order], sep[order]


def _footprint(b_ra: FloatArray, b_dec: FloatArray, p_ra: FloatArray) -> float:
    """The build side's sky fraction, measured only when it could change the cell size (many
    probes per build row); else the whole sky."""
    if p_ra.size < 4 * b_ra.size or b_ra.size < 1000:
        return 1.0
    return footprint(b_ra, b_dec)


def _search(
    lra: FloatArray,
    ldec: FloatArray,
    rra: FloatArray,
    rdec: FloatArray,
    radius: FloatArray,
    radius_of: str,
) -> Pairs:
    """Pair search on validated columns; ``radius`` has one value or one per owner row."""
    if lra.size == 0 or rra.size == 0:
        return Pairs.empty()
    radius = loosen(radius)
    if radius.size == 1:
        return Pairs(*_one_group(lra, ldec, rra, rdec, None, None, float(radius[0])))
    groups = _radius_groups(radius)
    if groups is None:
        if radius_of == "left":
            return Pairs(*_one_group(lra, ldec, rra, rdec, radius, None, None))
        return Pairs(*_one_group(lra, ldec, rra, rdec, None, radius, None))
    parts = []
    for g in groups:
        if radius_of == "left":
            li, ri, s = _one_group(lra[g], ldec[g], rra, rdec, radius[g], None, None)
            parts.append((g[li], ri, s))
        else:
            li, ri, s = _one_group(lra, ldec, rra[g], rdec[g], None, radius[g], None)
            parts.append((li, g[ri], s))
    left = np.concatenate([p[0] for p in parts])
    right = np.concatenate([p[1] for p in parts])
    sep = np.concatenate([p[2] for p in parts])
    # Groups split the owner's rows: per left row, pairs are in order unless the owner is right.
    order = stable_argsort_int(left, lra.size) if radius_of == "left" else np.lexsort((right, left))
    return Pairs(left[order], right[order], sep[order])


def _validated(
    left_ra: Any,
    left_dec: Any,
    right_ra: Any,
    right_dec: Any,
    radius_deg: Any,
    radius_of: str,
    left_hpx29: Any,
    right_hpx29: Any,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    lra, ldec = check_coordinates(left_ra, left_dec, what="left positions")
    rra, rdec = check_coordinates(right_ra, right_dec, what="right positions")
    if radius_of not in ("left", "right"):
        raise InputError(f"radius_of must be 'left' or 'right', not {radius_of!r}")
    n_owner = lra.size if radius_of == "left" else rra.size
    radius = check_radius(radius_deg, n_owner, what=f"radius_deg (per {radius_of} row)")
    check_hpx29(left_hpx29, lra.size, "left_hpx29")
    check_hpx29(right_hpx29, rra.size, "right_hpx29")
    return lra, ldec, rra, rdec, radius


def pair_search(
    left_ra: Any,
    left_dec: Any,
    right_ra: Any,
    right_dec: Any,
    radius_deg: Any,
    *,
    radius_of: Literal["left", "right"] = "left",
    left_hpx29: Any = None,
    right_hpx29: Any = None,
) -> Pairs:
    """Every (left, right) pair with ``separation <= radius`` (degrees), sorted by (left, right).

    ``radius_deg`` is a scalar, or one radius per left row (``radius_of="left"``) or per right
    row (``radius_of="right"``), e.g. each observation's field-of-view radius. Any radius from 0
    to 180 degrees works; duplicates and empty inputs are fine. Inclusive to within rounding:
    see :data:`daxa.sky.geometry.REL_TOL`. ``left_hpx29``/``right_hpx29``
    (a cached table's ``_healpix_29`` column) are accepted and checked for length; the zone join
    derives its cells from RA/Dec faster than it could use them.

    Raises InputError for NaN or |dec| > 90 coordinates, negative or NaN radii and columns of
    different lengths, naming the first bad row.

    >>> p = pair_search([0.0, 359.9], [0.0, 0.0], [0.05], [0.0], [0.1, 0.2])
    >>> p.left.tolist(), p.right.tolist(), p.separation.round(6).tolist()
    ([0, 1], [0, 0], [0.05, 0.15])
    """
    lra, ldec, rra, rdec, radius = _validated(
        left_ra, left_dec, right_ra, right_dec, radius_deg, radius_of, left_hpx29, right_hpx29
    )
    return _search(lra, ldec, rra, rdec, radius, radius_of)


def estimate_candidates(
    lra: FloatArray, ldec: FloatArray, rra: FloatArray, rdec: FloatArray, max_radius: float
) -> int:
    """Candidate pairs a search with ``max_radius`` would test (an upper bound on its pairs)."""
    if lra.size == 0 or rra.size == 0:
        return 0
    if rra.size <= lra.size:
        b_ra, b_dec, p_ra, p_dec = rra, rdec, lra, ldec
    else:
        b_ra, b_dec, p_ra, p_dec = lra, ldec, rra, rdec
    cover = np.array([max_radius])
    table = build_table(b_ra, b_dec, cover, cell_size(max_radius, b_ra.size), None)
    return count_candidates(table, p_ra, p_dec)


def _first_minimum(keys: IntArray, sep: FloatArray) -> IntArray:
    """Positions of the smallest ``sep`` in each run of equal ``keys`` (first one on ties)."""
    if keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    lengths = np.diff(np.append(starts, keys.size))
    smallest = np.repeat(np.minimum.reduceat(sep, starts), lengths)
    at_min = np.flatnonzero(sep == smallest)
    first = np.concatenate(([True], keys[at_min][1:] != keys[at_min][:-1]))
    return at_min[first]


def nearest(
    left_ra: Any,
    left_dec: Any,
    right_ra: Any,
    right_dec: Any,
    radius_deg: Any,
    *,
    radius_of: Literal["left", "right"] = "left",
    left_hpx29: Any = None,
    right_hpx29: Any = None,
) -> Pairs:
    """For each left row, its nearest right row within the radius (rows with none are absent).

    Ties go to the lowest right index. A right row may be the nearest of several left rows; use
    :func:`best_match_symmetric` when each row may be used once.

    >>> p = nearest([0.0, 0.0], [0.0, 5.0], [0.0, 0.0, 0.0], [0.3, 0.1, 0.2], 1.0)
    >>> p.left.tolist(), p.right.tolist()
    ([0], [1])
    """
    pairs = pair_search(
        left_ra,
        left_dec,
        right_ra,
        right_dec,
        radius_deg,
        radius_of=radius_of,
        left_hpx29=left_hpx29,
        right_hpx29=right_hpx29,
    )
    kernels = _cell_table.compiled_kernels()
    if kernels is None:
        return pairs.take(_first_minimum(pairs.left, pairs.separation))
    keep = np.zeros(len(pairs), dtype=bool)
    kernels.first_minimum(pairs.left, pairs.separation, keep)
    return pairs.take(keep)


def best_match_symmetric(
    left_ra: Any,
    left_dec: Any,
    right_ra: Any,
    right_dec: Any,
    radius_deg: Any,
    *,
    radius_of: Literal["left", "right"] = "left",
    left_hpx29: Any = None,
    right_hpx29: Any = None,
) -> Pairs:
    """Pairs that are each other's nearest within the radius: every row is used at most once.

    Ties go to the lowest index on either side.

    >>> p = best_match_symmetric([0.0, 0.0], [0.0, 0.05], [0.0], [0.04], 1.0)
    >>> p.left.tolist(), p.right.tolist()
    ([1], [0])
    """
    pairs = pair_search(
        left_ra,
        left_dec,
        right_ra,
        right_dec,
        radius_deg,
        radius_of=radius_of,
        left_hpx29=left_hpx29,
        right_hpx29=right_hpx29,
    )
    kernels = _cell_table.compiled_kernels()
    if kernels is not None:  # one pass, no sort of the pairs by right row
        keep = np.zeros(len(pairs), dtype=bool)
        n_right = int(pairs.right.max(initial=-1)) + 1
        kernels.mutual_best(pairs.left, pairs.right, pairs.separation, n_right, keep)
        return pairs.take(keep)
    # each side's best is independent of the other's: two threads when there are many pairs
    left_best, right_best = map_parts(
        lambda i: _best_of(pairs, i == 1), 2, threads_for(len(pairs), MIN_PAIRS_PER_THREAD)
    )
    return pairs.take(left_best & right_best)


def _best_of(pairs: Pairs, right: bool) -> npt.NDArray[np.bool_]:
    """Which pairs hold the nearest partner of their left (or right) row, lowest index first."""
    best = np.zeros(len(pairs), dtype=bool)
    if not right:
        best[_first_minimum(pairs.left, pairs.separation)] = True
        return best
    by_right = stable_argsort_int(pairs.right, int(pairs.right.max(initial=0)) + 1)
    best[by_right[_first_minimum(pairs.right[by_right], pairs.separation[by_right])]] = True
    return best
