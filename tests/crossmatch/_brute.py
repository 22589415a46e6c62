"""Brute-force references: every pair checked with the exact separation, in plain numpy."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from daxa.sky.geometry import angular_separation


def all_pairs(
    lra: npt.ArrayLike, ldec: npt.ArrayLike, rra: npt.ArrayLike, rdec: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """The full (left × right) separation matrix in degrees."""
    return angular_separation(
        np.asarray(lra, float)[:, None],
        np.asarray(ldec, float)[:, None],
        np.asarray(rra, float)[None, :],
        np.asarray(rdec, float)[None, :],
    )


def pairs_within(sep: npt.NDArray[np.float64], radius: npt.ArrayLike) -> set[tuple[int, int]]:
    """(left, right) index pairs with separation <= radius (scalar, per left or per right)."""
    i, j = np.nonzero(sep <= np.asarray(radius, float))
    return set(zip(i.tolist(), j.tolist(), strict=True))
