"""The sky engine: pure functions over coordinate and time columns.

Angles are degrees, times int64 microseconds since the Unix epoch (or any numbers, both sides
alike). Everything is vectorised over numpy arrays, polars Series or array-likes.

- geometry: :func:`unit_vectors`, :func:`angular_separation`, :func:`check_coordinates`
- HEALPix: :func:`healpix_index`, :func:`coarsen`
- pairs: :func:`pair_search`, :func:`nearest`, :func:`best_match_symmetric` (:class:`Pairs`)
- time: :func:`interval_pairs`, :func:`sky_time_pairs`
- tables: :func:`cone_mask`, :func:`box_mask`, :func:`healpix_ranges_for_cone`
- coverage totals without the pairs: :mod:`daxa.sky.cap_cover` (``build_tree``,
  ``prepare_fields``, ``cap_totals``; compiled with numba, imported on use)
"""

from daxa.sky.cone import box_mask, cone_mask, healpix_ranges_for_cone
from daxa.sky.geometry import angular_separation, check_coordinates, unit_vectors
from daxa.sky.healpix import MAX_ORDER, coarsen, healpix_index
from daxa.sky.intervals import interval_pairs, sky_time_pairs
from daxa.sky.pairs import Pairs, best_match_symmetric, nearest, pair_search

__all__ = [
    "MAX_ORDER",
    "Pairs",
    "angular_separation",
    "best_match_symmetric",
    "box_mask",
    "check_coordinates",
    "coarsen",
    "cone_mask",
    "healpix_index",
    "healpix_ranges_for_cone",
    "interval_pairs",
    "nearest",
    "pair_search",
    "sky_time_pairs",
    "unit_vectors",
]
