"""Maps that show what the instruments saw: footprints on a TAN field map, HEALPix sky density.

:func:`footprint_map` draws every observation's real field (daxa.footprints: the detector's
shape at the pointing and roll, its circumscribed circle when the roll is unknown, eRASS1's
owned boxes) on astropy WCSAxes in a gnomonic (TAN) projection with RA/Dec ticks, east to the
left, zoomed to the selection. :func:`sky_density` shows a whole table as a HEALPix density map
(observations per square degree) on a Mollweide projection, RA increasing to the left, rather
than hundreds of thousands of overplotted dots. Both return a matplotlib Figure and leave
pyplot's global state alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

try:
    from matplotlib.figure import Figure
except ImportError as exc:  # matplotlib is the optional "plot" extra
    raise ImportError("daxa.plots.footprints needs matplotlib: pip install 'daxa[plot]'") from exc

from daxa.errors import InputError
from daxa.plots.common import mission_colour, positions_arrays

FloatArray = npt.NDArray[np.float64]

#: Vertices of a circle's outline on the map.
CIRCLE_POINTS = 72


def _tables(observations: Any) -> dict[str, pl.DataFrame]:
    if hasattr(observations, "table") and isinstance(observations.table, pl.DataFrame):
        observations = observations.table
    if isinstance(observations, Mapping):
        return {str(k): v for k, v in observations.items()}
    if isinstance(observations, pl.DataFrame) and "mission" in observations.columns:
        return {str(m): observations.filter(pl.col("mission") == m)
                for m in observations["mission"].unique(maintain_order=True)}  # fmt: skip
    raise InputError(
        "footprints need normalised mission tables: a {mission: table} mapping, a table with a "
        "mission column, or a Selection"
    )


def outlines(regions: pl.Series) -> list[FloatArray]:
    """Closed (k, 2) RA/Dec outlines of STC-S ``POLYGON`` / ``CIRCLE`` strings (nulls skipped).

    >>> [o.shape for o in outlines(pl.Series(["CIRCLE ICRS 10 0 1", "POLYGON ICRS 1 0 0 0 0 1"]))]
    [(73, 2), (4, 2)]
    """
    from daxa.footprints.polygons import deproject

    parts = regions.drop_nulls().str.split(" ")
    frame = pl.DataFrame(
        {"kind": parts.list.first(), "v": parts.list.slice(2).cast(pl.List(pl.Float64))}
    ).with_columns(n=pl.col("v").list.len())
    out: list[FloatArray] = []
    for (kind, n), group in frame.group_by("kind", "n", maintain_order=True):
        values = np.asarray(group["v"].to_list(), dtype=np.float64).reshape(group.height, -1)
        if kind == "CIRCLE":
            t = np.linspace(0, 2 * np.pi, CIRCLE_POINTS + 1)
            r = np.tan(np.radians(values[:, 2]))[:, None]
            ra, dec = deproject(values[:, 0], values[:, 1], r * np.cos(t), r * np.sin(t))
            xy = np.stack([ra, dec], axis=-1)
        elif kind == "POLYGON" and n:
            xy = values.reshape(group.height, -1, 2)
            xy = np.concatenate([xy, xy[:, :1]], axis=1)
        else:
            continue
        out.extend(xy)
    return out


def _centre_and_radius(ra: FloatArray, dec: FloatArray) -> tuple[float, float, float]:
    """Centre (the mean direction) and the largest separation from it (degrees)."""
    from daxa.sky.geometry import angular_separation, unit_vectors

    v = unit_vectors(ra, dec).mean(axis=0)
    v /= np.linalg.norm(v)
    c_ra = float(np.degrees(np.arctan2(v[1], v[0])) % 360.0)
    c_dec = float(np.degrees(np.arcsin(np.clip(v[2], -1, 1))))
    return c_ra, c_dec, float(np.max(angular_separation(ra, dec, c_ra, c_dec)))


def footprint_map(
    observations: Any,
    positions: Any = None,
    *,
    instruments: Mapping[str, Any] | None = None,
    pad: float = 0.15,
    title: str | None = None,
) -> Figure:
    """The real fields of ``observations`` (normalised tables) on a TAN field map.

    The map is centred on the selection and sized to hold every footprint and position with a
    margin ``pad`` (a fraction); RA and Dec are labelled in sexagesimal, east is left. Each
    mission has its registry colour; ``positions`` (ra/dec frame, SkyCoord, or (ra, dec)) are
    drawn as crosses. ``instruments`` maps a mission to the instruments whose fields to draw.
    """
    from astropy.wcs import WCS
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from daxa.footprints.stcs import observation_regions

    tables = _tables(observations)
    drawn: dict[str, list[FloatArray]] = {}
    for mission, table in tables.items():
        if table.height:
            regions = observation_regions(table, mission, (instruments or {}).get(mission))
            drawn[mission] = outlines(regions)
    p_ra, p_dec = positions_arrays(positions)
    every = [o for lines in drawn.values() for o in lines]
    if not every and p_ra.size == 0:
        raise InputError("nothing to draw: no observations and no positions")
    all_ra = np.concatenate([o[:, 0] for o in every] + [p_ra])
    all_dec = np.concatenate([o[:, 1] for o in every] + [p_dec])
    c_ra, c_dec, reach = _centre_and_radius(all_ra, all_dec)
    half = max(reach * (1 + pad), 1 / 60)
    npix = 800
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [c_ra, c_dec]
    wcs.wcs.crpix = [npix / 2 + 0.5, npix / 2 + 0.5]
    scale = np.degrees(np.tan(np.radians(min(half, 80.0)))) / (npix / 2)
    wcs.wcs.cdelt = [-scale, scale]  # east left
    wcs.wcs.radesys = "ICRS"
    fig = Figure(figsize=(7.5, 7.0))
    fig.subplots_adjust(left=0.17, right=0.97, bottom=0.1, top=0.93)
    ax = fig.add_subplot(projection=wcs)
    ax.set_xlim(-0.5, npix - 0.5)
    ax.set_ylim(-0.5, npix - 0.5)
    handles = []
    for mission, lines in drawn.items():
        colour = mission_colour(mission)
        ax.add_collection(
            LineCollection(lines, colors=colour, linewidths=1.0, alpha=0.8,
                           transform=ax.get_transform("world"))
        )  # fmt: skip
        handles.append(Line2D([], [], color=colour, label=f"{mission} ({len(lines)})"))
    if p_ra.size:
        ax.scatter(p_ra, p_dec, marker="x", s=30, color="black", zorder=3,
                   transform=ax.get_transform("world"))  # fmt: skip
        handles.append(Line2D([], [], color="black", marker="x", linestyle="",
                              label=f"positions ({p_ra.size})"))  # fmt: skip
    ra_axis, dec_axis = ax.coords[0], ax.coords[1]
    ra_axis.set_axislabel("Right Ascension (ICRS)")
    dec_axis.set_axislabel("Declination (ICRS)")
    ra_axis.set_major_formatter("hh:mm:ss" if half < 2 else "hh:mm")
    dec_axis.set_major_formatter("dd:mm:ss" if half < 2 else "dd:mm")
    ax.coords.grid(color="0.6", alpha=0.5, linestyle="dotted")
    if handles:
        ax.legend(handles=handles, loc="upper right", fontsize=8, framealpha=0.9)
    ax.set_title(title or "Footprints (TAN projection, north up, east left)")
    return fig


def sky_density(observations: Any, *, nside: int = 32, title: str | None = None) -> Figure:
    """All-sky HEALPix density of pointings (per square degree), Mollweide, RA to the left.

    ``observations``: a table with ra/dec (any mission mix), a mapping or a Selection. Empty
    pixels are left white; the colour scale is logarithmic.
    """
    import astropy.units as u
    from astropy_healpix import HEALPix
    from matplotlib.colors import LogNorm

    frames = (
        _tables(observations)
        if not isinstance(observations, pl.DataFrame) or ("mission" in observations.columns)
        else {"": observations}
    )
    table = pl.concat([t.select("ra", "dec") for t in frames.values()])
    hp = HEALPix(nside=nside, order="nested")
    index = hp.lonlat_to_healpix(table["ra"].to_numpy() * u.deg, table["dec"].to_numpy() * u.deg)
    density = np.bincount(index, minlength=hp.npix) / hp.pixel_area.to_value(u.deg**2)
    lon = np.linspace(0, 360, 721)
    lat = np.linspace(-90, 90, 361)
    lon_c, lat_c = np.meshgrid((lon[:-1] + lon[1:]) / 2, (lat[:-1] + lat[1:]) / 2)
    values = density[hp.lonlat_to_healpix(lon_c * u.deg, lat_c * u.deg)]
    values = np.where(values > 0, values, np.nan)
    fig = Figure(figsize=(10, 5.6))
    ax = fig.add_subplot(projection="mollweide")
    x = np.radians(180.0 - lon)  # RA 0 at the right edge, 360 at the left: RA grows leftward
    y = np.radians(lat)
    vmin = np.nanmin(values) if np.isfinite(values).any() else 1e-3
    mesh = ax.pcolormesh(x, y, values, norm=LogNorm(vmin=vmin), cmap="viridis", shading="flat")
    ticks = np.arange(30, 360, 30)
    ax.set_xticks(np.radians(180.0 - ticks))
    ax.set_xticklabels([f"{t}°" for t in ticks], fontsize=8)
    ax.set_xlabel("Right Ascension (ICRS; increases to the left)")
    ax.set_ylabel("Declination")
    ax.grid(True, color="0.5", alpha=0.4, linestyle="dotted")
    fig.colorbar(mesh, ax=ax, orientation="horizontal", pad=0.08, fraction=0.05,
                 label=f"pointings per deg² (HEALPix nside {nside}, {table.height:,} rows)")  # fmt: skip
    ax.set_title(title or "Sky density of observations")
    return fig


__all__ = ["CIRCLE_POINTS", "footprint_map", "outlines", "sky_density"]
