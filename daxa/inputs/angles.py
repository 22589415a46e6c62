"""Angles as users write them: degrees, ``Quantity``/``Angle``, or strings with a unit.

Every radius argument of daxa (filters, search, cross-match, SQL, the CLI) goes through
:func:`angle_deg` (one value) or :func:`angles_deg` (one per position).

>>> angle_deg(0.25), angle_deg("10arcmin"), angle_deg("90 arcsec"), angle_deg("1.5deg")
(0.25, 0.16666666666666666, 0.025, 1.5)
>>> import astropy.units as u
>>> angle_deg(30 * u.arcmin), angle_deg("30'"), angle_deg("0.5°")
(0.5, 0.5, 0.5)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from daxa.errors import InputError
from daxa.inputs._text import ANGLE_FORMS, short

_SYMBOLS = (("′", "arcmin"), ("″", "arcsec"), ("'", "arcmin"), ('"', "arcsec"), ("°", "deg"))


def is_quantity(value: Any) -> bool:
    """An astropy Quantity (Angle, Latitude... included)."""
    return type(value).__module__.startswith("astropy") and hasattr(value, "unit")


def _text_deg(text: str, what: str) -> float:
    raw = text.strip()
    try:
        return float(raw)
    except ValueError:
        pass
    for symbol, unit in _SYMBOLS:
        raw = raw.replace(symbol, unit)
    from astropy import units as u

    try:
        return float(u.Quantity(raw).to_value(u.deg))
    except Exception:
        raise InputError(f"{what}={short(text)} is not an angle; give {ANGLE_FORMS}") from None


def angle_deg(value: Any, *, what: str = "radius", lo: float = 0.0, hi: float = 180.0) -> float:
    """One angle in degrees, checked to be finite and within ``[lo, hi]``."""
    if isinstance(value, str):
        out = _text_deg(value, what)
    elif is_quantity(value):
        try:
            out = float(value.to_value("deg"))
        except Exception:
            raise InputError(
                f"{what}={short(value)} is not an angle (unit {value.unit}); give {ANGLE_FORMS}"
            ) from None
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    ):
        out = float(value)
    else:
        raise InputError(f"{what}={short(value)} is not an angle; give {ANGLE_FORMS}")
    if not math.isfinite(out) or out < lo or out > hi:
        raise InputError(
            f"{what}={short(value)} is {out:g}°; it must be finite, between {lo:g} and {hi:g} "
            "degrees"
        )
    return out


def angles_deg(values: Any, *, what: str = "radius") -> npt.NDArray[np.float64]:
    """Many angles in degrees (a list or array of numbers or strings, or an angle Quantity)."""
    if is_quantity(values):
        try:
            out = np.atleast_1d(np.asarray(values.to_value("deg"), dtype=np.float64))
        except Exception:
            raise InputError(
                f"{what}={short(values)} is not an angle (unit {values.unit}); give {ANGLE_FORMS}"
            ) from None
    else:
        items = list(np.ravel(np.asarray(values, dtype=object)))
        if any(isinstance(v, str) for v in items):
            out = np.array(
                [
                    _text_deg(v, f"{what}[{i}]") if isinstance(v, str) else v
                    for i, v in enumerate(items)
                ],
                dtype=np.float64,
            )
        else:
            try:
                out = np.asarray(values, dtype=np.float64).ravel()
            except (TypeError, ValueError):
                raise InputError(
                    f"{what}={short(values)} are not angles; give {ANGLE_FORMS}"
                ) from None
    bad = np.flatnonzero(~np.isfinite(out) | (out < 0) | (out > 180))
    if bad.size:
        i = int(bad[0])
        raise InputError(
            f"{what}[{i}] = {out[i]!r}: every radius must be finite, between 0 and 180 degrees"
        )
    return out
