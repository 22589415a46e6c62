"""Finding the RA, Dec, id, time and radius columns of a user's table.

A column is found, in this order: the name the user gave (exact, else case-insensitive); a
column whose UCD says what it is (``pos.eq.ra;meta.main`` before ``pos.eq.ra``); a known
name (``ra``, ``RAJ2000``, ``declination``, ``source_id``, ...) compared case-insensitively;
for RA and Dec, a name starting with ``ra``/``dec`` whose unit is an angle.

>>> find_column(["RAJ2000", "DEJ2000", "Name"], "ra"), find_column(["x", "y"], "ra", required=False)
('RAJ2000', None)
>>> find_column(["alpha", "c2"], "dec", ucds={"c2": "pos.eq.dec;meta.main"})
'c2'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from daxa.errors import InputError

Role = Literal["ra", "dec", "id", "time", "start", "end", "radius"]

#: Known names per role, lower case, best first.
NAMES: dict[str, tuple[str, ...]] = {
    "ra": (
        "ra",
        "ra_deg",
        "raj2000",
        "ra_j2000",
        "ra_icrs",
        "_raj2000",
        "right_ascension",
        "ra_obj",
        "alpha",
        "s_ra",
        "pos_ra",
    ),
    "dec": (
        "dec",
        "dec_deg",
        "dej2000",
        "decj2000",
        "dec_j2000",
        "de_icrs",
        "_dej2000",
        "de",
        "declination",
        "dec_obj",
        "delta",
        "s_dec",
        "pos_dec",
    ),
    "id": (
        "name",
        "id",
        "source_id",
        "object",
        "objname",
        "main_id",
        "target",
        "target_name",
        "source",
        "designation",
        "source_name",
        "obj_id",
    ),
    "time": ("time", "epoch", "t0", "date", "mjd", "discoverydate", "discovery_date", "date_obs"),
    "start": ("start", "t_min", "tstart", "date_start", "start_time"),
    "end": ("end", "t_max", "tstop", "date_end", "end_time", "stop"),
    "radius": ("radius", "radius_deg", "search_radius"),
}
#: UCD words per role (IVOA UCD1+).
UCDS: dict[str, tuple[str, ...]] = {
    "ra": ("pos.eq.ra",),
    "dec": ("pos.eq.dec",),
    "id": ("meta.id",),
    "time": ("time.epoch", "time"),
    "start": ("time.start",),
    "end": ("time.end",),
    "radius": ("phys.angsize", "pos.angdistance"),
}
_ANGLE_UNITS = {"deg", "degree", "degrees", "rad", "arcmin", "arcsec", "hourangle", "h"}


def _by_ucd(columns: Sequence[str], role: str, ucds: Mapping[str, str]) -> str | None:
    words = UCDS[role]
    ranked: list[tuple[int, str]] = []
    for col in columns:
        ucd = (ucds.get(col) or "").lower().replace(" ", "")
        parts = ucd.split(";")
        if parts and parts[0] in words:
            ranked.append((0 if "meta.main" in parts else 1, col))
    return min(ranked)[1] if ranked else None


def find_column(
    columns: Sequence[str],
    role: Role,
    *,
    given: str | None = None,
    units: Mapping[str, str] | None = None,
    ucds: Mapping[str, str] | None = None,
    required: bool = True,
    label: str = "the positions",
    option: str | None = None,
) -> str | None:
    """The column of ``columns`` holding ``role`` (see the module docstring), or None when
    not ``required``; InputError naming the columns there are and how to choose one."""
    cols = [str(c) for c in columns]
    lower = {c.lower(): c for c in reversed(cols)}
    how = option or f"{role}="
    if given is not None:
        if given in cols:
            return given
        if given.lower() in lower:
            return lower[given.lower()]
        raise InputError(
            f"no column {given!r} (given as {how}) in {label}; its columns are: {_listed(cols)}"
        )
    found = _by_ucd(cols, role, ucds or {})
    if found is None:
        found = next((lower[n] for n in NAMES[role] if n in lower), None)
    if found is None and role in ("ra", "dec") and units:
        prefix = "ra" if role == "ra" else "de"
        found = next(
            (
                c
                for c in cols
                if c.lower().startswith(prefix) and str(units.get(c, "")).lower() in _ANGLE_UNITS
            ),
            None,
        )
    if found is None and required:
        raise InputError(
            f"found no {_ROLE_TEXT[role]} column in {label} (looked for a UCD {UCDS[role][0]} or a "
            f"name like {', '.join(NAMES[role][:4])}); its columns are: {_listed(cols)}. Name "
            f"it with {how}"
        )
    return found


_ROLE_TEXT = {
    "ra": "RA",
    "dec": "Dec",
    "id": "id",
    "time": "time",
    "start": "start time",
    "end": "end time",
    "radius": "radius",
}


def _listed(cols: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(cols[:limit])
    return (shown + f", ... ({len(cols)} in all)") if len(cols) > limit else (shown or "(none)")
