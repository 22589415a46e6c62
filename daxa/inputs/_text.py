"""Short descriptions of user values for error messages (never a whole table's repr).

>>> short(list(range(1000)))
'list [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16...'
>>> short("10 parsecs")
"'10 parsecs'"
"""

from __future__ import annotations

from typing import Any

#: What every positions / catalogue argument accepts (quoted in errors).
TABLE_FORMS = (
    "a path (CSV, FITS, Parquet, VOTable or a HATS folder), a SkyCoord (any frame), an astropy "
    "Table/QTable, a pandas, polars or Arrow table, a pyvo result (anything with .to_table()), "
    "[ra, dec] or a list of [ra, dec] pairs in degrees"
)
#: What every angle argument accepts.
ANGLE_FORMS = (
    "degrees (0.5), an astropy Quantity or Angle (30 * u.arcmin), or a string with a unit "
    "('10arcmin', '2 arcsec', '1.5deg')"
)
#: What every time argument accepts.
TIME_FORMS = (
    "an ISO string ('2019-11-03T02:42:50'), a datetime or pandas Timestamp (naive = UTC), a "
    "numpy datetime64, an astropy Time, or numbers with time_format='mjd' (or 'jd', 'unix', ...)"
)


def short(value: Any, limit: int = 60) -> str:
    """``value``'s repr on one line, cut to ``limit`` characters; containers and tables are
    prefixed with their type name (their repr alone may not say what they are)."""
    try:
        text = repr(value)
    except Exception:
        text = "<unprintable>"
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if isinstance(value, (str, int, float, bool)) or value is None:
        return text
    name = type(value).__name__
    return text if text.lstrip("<").startswith(name) else f"{name} {text}"
