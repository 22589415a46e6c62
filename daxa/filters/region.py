"""The rectangular region filter on pointing centres, correct across RA = 0.

The RA range runs **from ``ra_min`` eastward (increasing RA) to ``ra_max``**; when
``ra_min > ra_max`` the range crosses RA = 0, so ``Region(350, 10, -5, 5)`` is the 20° strip
350°–360°–10° (DAXA swaps such corners and silently selects the complementary 340°). Bounds are
inclusive. DAXA-style corner pairs are ambiguous when the lower-left RA is the larger (DAXA's
XXL-North example gives corners at RA 39° and 30° meaning the 9° strip):
:meth:`Region.from_corners` takes the shorter span and warns.

>>> import polars as pl
>>> t = pl.DataFrame({"ra": [355.0, 5.0, 180.0], "dec": [0.0, 0.0, 0.0]})
>>> Region(350, 10, -5, 5).mask(t, mission="xmm_pointed").to_list()
[True, True, False]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from daxa.errors import InputError
from daxa.filters._base import Filter, FilterWarning, as_mask, require_columns
from daxa.missions import Mission
from daxa.sky.cone import box_mask


def _number(value: Any, what: str) -> float:
    if type(value).__module__.startswith("astropy") and hasattr(value, "unit"):
        try:
            value = value.to_value("deg")
        except Exception:
            raise InputError(f"{what}={value!r} is not an angle") from None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}={value!r} is not a number of degrees") from None
    if not math.isfinite(out):
        raise InputError(f"{what}={value!r} must be finite")
    return out


def _corner(corner: Any, what: str) -> tuple[float, float]:
    if type(corner).__name__ == "SkyCoord":
        if corner.frame.name not in ("icrs", "fk5", "fk4"):  # e.g. Galactic l/b are not RA/Dec
            corner = corner.transform_to("icrs")
        return float(corner.spherical.lon.deg), float(corner.spherical.lat.deg)
    try:
        ra, dec = corner
    except (TypeError, ValueError):
        raise InputError(f"{what}={corner!r} is not an (ra, dec) pair") from None
    return _number(ra, f"{what} RA"), _number(dec, f"{what} Dec")


@dataclass(frozen=True, eq=False)
class Region(Filter):
    """Keep pointings with RA from ``ra_min`` eastward to ``ra_max`` and Dec in
    [``dec_min``, ``dec_max``] (degrees, inclusive; ``ra_min > ra_max`` crosses RA = 0;
    ``Region(0, 360, ...)`` is every RA)."""

    ra_min: float
    ra_max: float
    dec_min: float
    dec_max: float

    name = "region"

    def __post_init__(self) -> None:
        values = {
            k: _number(getattr(self, k), k) for k in ("ra_min", "ra_max", "dec_min", "dec_max")
        }
        for k, v in values.items():
            object.__setattr__(self, k, v)
        for k in ("dec_min", "dec_max"):
            if abs(values[k]) > 90:
                raise InputError(f"{k}={values[k]} is outside -90..90")
        if values["dec_min"] > values["dec_max"]:
            raise InputError(
                f"dec_min={values['dec_min']} is above dec_max={values['dec_max']}; swap them"
            )
        for k in ("ra_min", "ra_max"):
            if not 0 <= values[k] <= 360:
                raise InputError(f"{k}={values[k]} is outside 0..360")

    @property
    def ra_span(self) -> float:
        """Width of the RA range in degrees (0 to 360)."""
        if self.ra_min == 0 and self.ra_max == 360:
            return 360.0
        return (self.ra_max - self.ra_min) % 360.0

    @classmethod
    def from_corners(
        cls, lower_left: Any, upper_right: Any, *, shorter_span: bool = True
    ) -> Region:
        """A region from DAXA-style corners ``(ra, dec)`` (or SkyCoords; non-equatorial frames
        are transformed to ICRS).

        With ``shorter_span`` the RA range is the shorter of the two arcs between the corner
        RAs, with a :class:`FilterWarning` when that differs from reading the lower-left RA
        eastward to the upper-right one (the corners were ambiguous); otherwise the eastward
        reading is taken as given.
        """
        ra1, dec1 = _corner(lower_left, "lower_left")
        ra2, dec2 = _corner(upper_right, "upper_right")
        ra1, ra2 = ra1 % 360.0, ra2 % 360.0
        dec_min, dec_max = min(dec1, dec2), max(dec1, dec2)
        eastward = (ra2 - ra1) % 360.0
        if not shorter_span or eastward <= 180.0:
            if shorter_span and eastward == 180.0:
                warnings.warn(
                    f"corners at RA {ra1:g}° and {ra2:g}° are half a circle apart; taking "
                    f"{ra1:g}° eastward to {ra2:g}°",
                    FilterWarning,
                    stacklevel=2,
                )
            return cls(ra1, ra2, dec_min, dec_max)
        warnings.warn(
            f"corners at RA {ra1:g}° (lower left) and {ra2:g}° (upper right) are ambiguous: "
            f"taking the shorter span {ra2:g}° eastward to {ra1:g}° ({360 - eastward:g}° wide), "
            f"not {ra1:g}° eastward to {ra2:g}° ({eastward:g}°); use Region(ra_min, ra_max, "
            "...) to say which",
            FilterWarning,
            stacklevel=2,
        )
        return cls(ra2, ra1, dec_min, dec_max)

    def mask(
        self,
        table: pl.DataFrame,
        *,
        mission: str | Mission,
        instruments: Iterable[str] | None = None,
    ) -> pl.Series:
        require_columns(table, ("ra", "dec"), what="the region filter")
        inside = box_mask(table, self.ra_min, self.ra_max, self.dec_min, self.dec_max)
        return as_mask(inside, table)

    def describe(self) -> str:
        return (
            f"RA {self.ra_min:g}° eastward to {self.ra_max:g}°, "
            f"Dec {self.dec_min:g}° to {self.dec_max:g}°"
        )
