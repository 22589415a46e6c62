"""Brute-force references and hypothesis strategies shared by the sky tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from daxa.sky.geometry import angular_separation, check_coordinates, loosen

# RA/Dec with the awkward values drawn often: RA = 0/360 and just below, the poles.
ra_values = st.one_of(
    st.floats(0.0, 360.0, allow_nan=False),
    st.sampled_from([0.0, 360.0, 359.99999999, 1e-9, 180.0, 90.0]),
)
dec_values = st.one_of(
    st.floats(-90.0, 90.0, allow_nan=False),
    st.sampled_from([90.0, -90.0, 89.9999999, -89.99999, 0.0]),
)
# Radii from 1 arcsec to 60 degrees, log-uniform, plus 0 and 180.
radius_values = st.one_of(
    st.floats(np.log10(1 / 3600), np.log10(60.0)).map(lambda e: float(10.0**e)),
    st.sampled_from([0.0, 180.0]),
)


@st.composite
def skies(draw: st.DrawFn, max_size: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """A small list of positions, sometimes clustered (duplicates and near-duplicates)."""
    n = draw(st.integers(0, max_size))
    ra = np.array(draw(st.lists(ra_values, min_size=n, max_size=n)), dtype=float)
    dec = np.array(draw(st.lists(dec_values, min_size=n, max_size=n)), dtype=float)
    if n > 1 and draw(st.booleans()):  # clustered: copy some rows, nudge some of the copies
        src = np.array(draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)))
        nudge = draw(st.floats(0.0, 1e-3))
        ra, dec = ra[src] + nudge * (src % 2), dec[src]
        ra = np.clip(ra, 0.0, 360.0)
    return ra, dec


def brute_pairs(lra, ldec, rra, rdec, radius, radius_of="left"):
    """(left, right, sep) of every pair within the radius, by checking all of them."""
    lra, ldec = check_coordinates(lra, ldec)
    rra, rdec = check_coordinates(rra, rdec)
    if lra.size == 0 or rra.size == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0)
    sep = angular_separation(lra[:, None], ldec[:, None], rra[None, :], rdec[None, :])
    r = np.asarray(radius, dtype=float)
    if r.ndim:
        r = r[:, None] if radius_of == "left" else r[None, :]
    left, right = np.nonzero(sep <= loosen(r))
    return left, right, sep[left, right]


def brute_nearest(left, right, sep):
    """Per left row, the right row with the smallest separation (lowest index on ties)."""
    best: dict[int, tuple[float, int]] = {}
    for i, j, s in zip(left.tolist(), right.tolist(), sep.tolist(), strict=True):
        if i not in best or (s, j) < best[i]:
            best[i] = (s, j)
    return {i: j for i, (s, j) in best.items()}
