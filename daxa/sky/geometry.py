"""Unit vectors, angular separation and coordinate validation.

Everything is in degrees and vectorised. The separation is the half-angle form
``2 * atan2(|a - b|, |a + b|)`` on unit vectors: as accurate as Vincenty's formula at tiny and at
near-antipodal separations, and it needs no trigonometry once the vectors exist, which is what
lets the pair search reuse the vectors of its candidates. :func:`angular_separation` and the pair
search use the very same arithmetic, so a pair search and a brute-force loop over
:func:`angular_separation` agree to the last bit on which pairs are within a radius.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.errors import InputError

FloatArray = npt.NDArray[np.float64]

_HALF_RAD_PER_DEG = np.pi / 360.0  # degrees -> half the angle in radians
_DEG_PER_HALF_RAD = 360.0 / np.pi  # twice an angle in radians -> degrees


def as_float_array(values: Any, name: str) -> FloatArray:
    """``values`` (array-like, polars Series, scalar) as a 1-d float64 array.

    Polars nulls become NaN, so that validation names them instead of crashing on them.
    """
    if hasattr(values, "to_numpy") and not isinstance(values, np.ndarray):
        values = values.to_numpy()
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numbers in degrees; got {values!r:.80}") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"{name} must be one-dimensional; got shape {arr.shape}")
    return arr


def _first_bad(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def check_coordinates(
    ra: Any, dec: Any, *, what: str = "positions"
) -> tuple[FloatArray, FloatArray]:
    """Validate RA/Dec columns and return them as float64 with RA wrapped into [0, 360).

    Raises :class:`~daxa.errors.InputError` naming ``what``, the first bad index and its value
    for NaN/infinite values, |dec| > 90 and columns of different lengths, so a bad row in a
    million-row table can be found.

    >>> ra, dec = check_coordinates([-10.0, 360.0], [0.0, 90.0])
    >>> ra.tolist(), dec.tolist()
    ([350.0, 0.0], [0.0, 90.0])
    >>> check_coordinates([1.0], [91.0], what="pointings")
    Traceback (most recent call last):
    ...
    daxa.errors.InputError: pointings: dec[0] = 91.0 is outside [-90, 90] degrees
    """
    ra_a = as_float_array(ra, f"{what}: ra")
    dec_a = as_float_array(dec, f"{what}: dec")
    if ra_a.shape != dec_a.shape:
        raise InputError(
            f"{what}: ra has {ra_a.size} values but dec has {dec_a.size}; give one dec per ra"
        )
    if ra_a.size == 0:
        return ra_a, dec_a
    # Reductions propagate NaN, so four of them validate everything in the common good case.
    ra_lo, ra_hi = float(ra_a.min()), float(ra_a.max())
    dec_lo, dec_hi = float(dec_a.min()), float(dec_a.max())
    if not (np.isfinite(ra_lo) and np.isfinite(ra_hi)):
        i = _first_bad(~np.isfinite(ra_a))
        raise InputError(f"{what}: ra[{i}] = {ra_a[i]} is not a finite number of degrees")
    if not (np.isfinite(dec_lo) and np.isfinite(dec_hi)):
        i = _first_bad(~np.isfinite(dec_a))
        raise InputError(f"{what}: dec[{i}] = {dec_a[i]} is not a finite number of degrees")
    if dec_lo < -90.0 or dec_hi > 90.0:
        i = _first_bad(np.abs(dec_a) > 90.0)
        raise InputError(f"{what}: dec[{i}] = {dec_a[i]} is outside [-90, 90] degrees")
    if ra_lo < 0.0 or ra_hi >= 360.0:
        ra_a = np.mod(ra_a, 360.0)
        ra_a[ra_a >= 360.0] = 0.0  # -1e-20 % 360 rounds to 360
    return ra_a, dec_a


def check_radius(radius: Any, n: int, *, what: str = "radius_deg") -> FloatArray:
    """Validate a radius in degrees: a scalar (returned with shape (1,)) or one value per row.

    ``n`` is the number of rows a per-row radius must match. Radii must be finite and >= 0;
    180 degrees or more selects the whole sky.

    >>> check_radius(0.5, 3).tolist()
    [0.5]
    >>> check_radius([0.1, -1.0], 2)
    Traceback (most recent call last):
    ...
    daxa.errors.InputError: radius_deg[1] = -1.0 is not a valid radius; give a finite number of degrees >= 0
    """
    scalar = not hasattr(radius, "to_numpy") and np.ndim(radius) == 0
    arr = as_float_array(radius, what)
    if not scalar and arr.size != n:
        raise InputError(
            f"{what} has {arr.size} values but there are {n} rows to apply it to; "
            "give a scalar or one radius per row"
        )
    bad = ~np.isfinite(arr) | (arr < 0.0)
    if bad.any():
        i = _first_bad(bad)
        raise InputError(
            f"{what}[{i}] = {arr[i]} is not a valid radius; give a finite number of degrees >= 0"
        )
    return arr


def _cos_sin_deg(angle_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """cos and sin of angles in degrees from one tangent of the half angle.

    numpy's float64 ``tan`` is vectorised while ``sin``/``cos`` are not, which makes this about
    three times faster than calling both; the result is within a few ulp of them.
    """
    t = np.tan(angle_deg * _HALF_RAD_PER_DEG)
    t2 = t * t
    inv = 1.0 / (1.0 + t2)
    cos = (1.0 - t2) * inv
    sin = (t + t) * inv
    return cos, sin


def xyz(ra_deg: FloatArray, dec_deg: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unit-vector components (x, y, z) as three contiguous arrays (no validation)."""
    cos_ra, sin_ra = _cos_sin_deg(ra_deg)
    cos_dec, sin_dec = _cos_sin_deg(dec_deg)
    return cos_dec * cos_ra, cos_dec * sin_ra, sin_dec


def unit_vectors(ra_deg: Any, dec_deg: Any) -> npt.NDArray[np.float64]:
    """(n, 3) unit vectors of positions in degrees.

    >>> unit_vectors([0.0, 90.0], [0.0, 0.0]).round(12).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    ra = as_float_array(ra_deg, "ra")
    dec = as_float_array(dec_deg, "dec")
    if ra.shape != dec.shape:
        raise InputError(f"ra has {ra.size} values but dec has {dec.size}; give one dec per ra")
    x, y, z = xyz(ra, dec)
    return np.column_stack((x, y, z))


def separation_from_xyz(
    ax: FloatArray,
    ay: FloatArray,
    az: FloatArray,
    bx: FloatArray,
    by: FloatArray,
    bz: FloatArray,
    d2: FloatArray | None = None,
) -> FloatArray:
    """Separation in degrees of unit vectors a and b.

    ``2 asin(|a - b| / 2)`` up to 90 degrees and ``180 - 2 asin(|a + b| / 2)`` beyond, so the
    arcsine argument never exceeds sqrt(1/2) and the result is accurate to a few ulp at every
    angle. ``d2`` is |a - b|^2 when the caller already has it from :func:`chord2`.
    """
    if d2 is None:
        d2 = chord2(ax, ay, az, bx, by, bz)
    sep = near_separation(d2)
    far = np.flatnonzero(d2 > 2.0)
    if far.size:
        sx = ax.take(far) + bx.take(far)
        sy = ay.take(far) + by.take(far)
        sz = az.take(far) + bz.take(far)
        sep[far] = far_separation(sx * sx + sy * sy + sz * sz)
    return sep


def near_separation(d2: FloatArray) -> FloatArray:
    """Separation (degrees) from the squared chord; exact to a few ulp while d2 <= 2 (capped,
    so antipodes rounded past d2 = 4 give 180 rather than NaN and a warning)."""
    return np.arcsin(np.minimum(np.sqrt(d2) * 0.5, 1.0)) * _DEG_PER_HALF_RAD


def far_separation(s2: FloatArray) -> FloatArray:
    """Separation (degrees) from |a + b|^2; used beyond 90 degrees (d2 > 2)."""
    return 180.0 - np.arcsin(np.minimum(np.sqrt(s2) * 0.5, 1.0)) * _DEG_PER_HALF_RAD


def chord2(
    ax: FloatArray, ay: FloatArray, az: FloatArray, bx: FloatArray, by: FloatArray, bz: FloatArray
) -> FloatArray:
    """Squared chord |a - b|^2 of unit vectors (exact to rounding even for tiny separations)."""
    dx = ax - bx
    dy = ay - by
    dz = az - bz
    return dx * dx + dy * dy + dz * dz


#: A separation counts as within a radius r when sep <= r * (1 + REL_TOL) + ABS_TOL_DEG: exact
#: boundary cases (a point exactly 0.5 degrees away, radius 0.5) survive rounding. 1e-12 degrees
#: is 4 nano-arcseconds. The rule for radius 0: it matches positions whose separation is at most
#: 1e-12 degrees, i.e. the same point up to the rounding of its unit vector (two positions at a
#: pole with different RA are ~5e-15 degrees apart in floating point). Every path that decides
#: "within" (pair search, cone, nearest, the positions filter) applies this rule.
REL_TOL = 1e-12
ABS_TOL_DEG = 1e-12


def loosen(radius_deg: Any) -> Any:
    """The radius every inclusive comparison uses (see :data:`REL_TOL`)."""
    return radius_deg * (1.0 + REL_TOL) + ABS_TOL_DEG


def chord2_limit(radius_deg: FloatArray | float) -> FloatArray:
    """A squared-chord bound that every pair within ``radius_deg`` satisfies (padded).

    Pairs above it are certainly farther than the radius; pairs below it still need the exact
    separation test. The padding (1e-9 relative) absorbs rounding in the vectors.
    """
    r = np.minimum(np.asarray(radius_deg, dtype=np.float64), 180.0)
    return chord2_limit_from_half_sin(np.sin(r * _HALF_RAD_PER_DEG))


def chord2_limit_from_half_sin(half_sin: FloatArray) -> FloatArray:
    """:func:`chord2_limit` from the sine of half the radius (for callers that have it)."""
    return 4.0 * half_sin * half_sin * (1.0 + 1e-9) + 1e-300


def angular_separation(ra1: Any, dec1: Any, ra2: Any, dec2: Any) -> FloatArray:
    """Angular separation in degrees between (ra1, dec1) and (ra2, dec2), with broadcasting.

    Stable at tiny separations and near 180 degrees, unlike the arccos of a dot product.

    >>> float(angular_separation(0.0, 0.0, 180.0, 0.0))
    180.0
    >>> round(float(angular_separation(10.0, 89.0, 190.0, 89.0)), 12)
    2.0
    >>> round(float(angular_separation(0.0, 0.0, 0.0, 1e-9)) * 3.6e9, 9)  # micro-arcseconds
    3.6
    """
    a_ra, a_dec = np.broadcast_arrays(np.asarray(ra1, np.float64), np.asarray(dec1, np.float64))
    b_ra, b_dec = np.broadcast_arrays(np.asarray(ra2, np.float64), np.asarray(dec2, np.float64))
    parts = np.broadcast_arrays(*xyz(a_ra, a_dec), *xyz(b_ra, b_dec))
    shape = parts[0].shape
    return separation_from_xyz(*(np.ravel(v) for v in parts)).reshape(shape)
