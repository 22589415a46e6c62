"""Shared pieces of the raw-table generators: sky positions, times, names and edge rows.

All generators are vectorised numpy/polars and deterministic for a given
``numpy.random.Generator``. Edge rows (the cases a normaliser rule handles) are written over
randomly chosen rows of the generated table with :func:`inject`, so they are present at every
size and scattered through the table rather than stacked at its top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MJD_UNIX_EPOCH = 40587.0

#: The date the generated tables describe ("fetched" then): DAXA's reference rows were
#: taken on 2025-02-03, so generated tables end there too and stay deterministic.
TABLE_DATE = datetime(2025, 2, 3, tzinfo=UTC)

#: Well-observed X-ray targets with their real ICRS positions (degrees). Generators put their
#: most popular targets here so that demos and name look-ups (Sesame) find data.
FAMOUS: dict[str, tuple[float, float]] = {
    "CRAB": (83.63308, 22.01450),
    "SGR A*": (266.41683, -29.00781),
    "CAS A": (350.85000, 58.81500),
    "CYG X-1": (299.59032, 35.20161),
    "M87": (187.70593, 12.39112),
    "PERSEUS CLUSTER": (49.95067, 41.51170),
    "COMA CLUSTER": (194.95290, 27.98060),
    "SN 1987A": (83.86675, -69.26974),
    "VELA PULSAR": (128.83606, -45.17643),
    "3C 273": (187.27792, 2.05239),
    "M31": (10.68471, 41.26875),
    "HER X-1": (254.45755, 35.34236),
    "CEN A": (201.36506, -43.01911),
    "ETA CAR": (161.26477, -59.68442),
    "SCO X-1": (244.97946, -15.64022),
    "TYCHO SNR": (6.30830, 64.13750),
    "PKS 2155-304": (329.71694, -30.22559),
    "MRK 421": (166.11381, 38.20883),
    "LOCKMAN HOLE": (163.18000, 57.48000),
    "CDF-S": (53.12250, -27.80580),
    "M51": (202.46958, 47.19526),
}


def mjd(year: int, month: int = 1, day: int = 1) -> float:
    """MJD of 00:00 UTC on a date.

    >>> mjd(2000, 1, 1)
    51544.0
    """
    return datetime(year, month, day, tzinfo=UTC).timestamp() / 86400.0 + MJD_UNIX_EPOCH


TABLE_MJD = mjd(TABLE_DATE.year, TABLE_DATE.month, TABLE_DATE.day)


def rng_for(table: str, seed: int) -> np.random.Generator:
    """A generator seeded from the table name and ``seed`` (independent streams per table)."""
    key = [ord(c) for c in table]
    return np.random.default_rng([seed, *key])


def sphere(rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
    """``n`` positions uniform on the sky (RA, Dec in degrees)."""
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return ra, dec


def galactic_plane(
    rng: np.random.Generator, n: int, b_sigma: float = 3.0, l_sigma: float = 40.0
) -> tuple[FloatArray, FloatArray]:
    """``n`` positions concentrated towards the Galactic plane and centre (RA, Dec)."""
    gl = rng.normal(0.0, l_sigma, n) % 360.0
    gb = np.clip(rng.normal(0.0, b_sigma, n), -89.0, 89.0)
    return galactic_to_icrs(gl, gb)


def galactic_to_icrs(gl: FloatArray, gb: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Galactic (l, b) → (RA, Dec), degrees, by the standard rotation matrix."""
    rot = np.array(
        [
            [-0.0548755604, -0.8734370902, -0.4838350155],
            [0.4941094279, -0.4448296300, 0.7469822445],
            [-0.8676661490, -0.1980763734, 0.4559837762],
        ]
    )
    lr, br = np.radians(gl), np.radians(gb)
    v = np.stack([np.cos(br) * np.cos(lr), np.cos(br) * np.sin(lr), np.sin(br)])
    x, y, z = rot.T @ v
    return np.degrees(np.arctan2(y, x)) % 360.0, np.degrees(np.arcsin(np.clip(z, -1, 1)))


def heasarc_extras(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The columns HEASARC master tables carry besides the ones daxa asks for (``lii``,
    ``bii``, PI names in upper case, a proposal number), for queries that ask for more."""
    ra = df["ra"].cast(pl.Float64).fill_null(0.0).to_numpy()
    dec = df["dec"].cast(pl.Float64).fill_null(0.0).to_numpy()
    rr, dr = np.radians(ra), np.radians(dec)
    b = np.degrees(np.arcsin(np.clip(
        -0.8676661490 * np.cos(dr) * np.cos(rr) - 0.1980763734 * np.cos(dr) * np.sin(rr)
        + 0.4559837762 * np.sin(dr), -1, 1)))  # fmt: skip
    extra = {
        "lii": np.round(icrs_to_galactic_l(ra, dec), 4),
        "bii": np.round(b, 4),
        "pi_lname": choice(rng, df.height, PI_NAMES),
        "proposal_number": rng.integers(1, 99_999, df.height),
    }
    return df.with_columns(
        pl.Series(k, v, dtype=pl.String if k == "pi_lname" else None)
        for k, v in extra.items()
        if k not in df.columns
    )


#: Upper-case PI surnames, as HEASARC's master tables spell them.
PI_NAMES = ("HASINGER", "JONES", "WILMS", "TRUEMPER", "ARNAUD", "FABIAN", "MURRAY", "SMITH",
            "GARCIA", "MUELLER", "TANAKA", "KOYAMA")  # fmt: skip


def icrs_to_galactic_l(ra: FloatArray, dec: FloatArray) -> FloatArray:
    """Galactic longitude (degrees) of ICRS positions."""
    rot = np.array(
        [
            [-0.0548755604, -0.8734370902, -0.4838350155],
            [0.4941094279, -0.4448296300, 0.7469822445],
            [-0.8676661490, -0.1980763734, 0.4559837762],
        ]
    )
    rr, dr = np.radians(ra), np.radians(dec)
    v = np.stack([np.cos(dr) * np.cos(rr), np.cos(dr) * np.sin(rr), np.sin(dr)])
    x, y, _ = rot @ v
    return np.degrees(np.arctan2(y, x)) % 360.0


def offset(
    ra: FloatArray, dec: FloatArray, dx_deg: FloatArray, dy_deg: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Move positions by small tangent-plane offsets (east ``dx``, north ``dy``, degrees)."""
    new_dec = np.clip(dec + dy_deg, -89.9999, 89.9999)
    cosd = np.maximum(np.cos(np.radians(new_dec)), 1e-3)
    return (ra + dx_deg / cosd) % 360.0, new_dec


def jitter(
    rng: np.random.Generator, ra: FloatArray, dec: FloatArray, sigma_arcmin: float
) -> tuple[FloatArray, FloatArray]:
    """Scatter positions by a Gaussian of ``sigma_arcmin`` (repeat pointings of one target)."""
    s = sigma_arcmin / 60.0
    return offset(ra, dec, rng.normal(0, s, len(ra)), rng.normal(0, s, len(ra)))


def popular_targets(
    rng: np.random.Generator, n_rows: int, n_targets: int, tail: float = 1.3
) -> IntArray:
    """A target index per row, as popular as real archive targets are.

    A few calibration and showcase targets (the first :data:`FAMOUS` ones, index 0 the most)
    take a small share of the rows between them, falling as a power law of ``tail``, so the
    Crab or Cas A get hundreds of pointings in a real-size table; the other targets follow a
    gentle power law (offset so that none of them rivals the famous ones): most get one to a
    few pointings, some dozens.
    """
    n_targets = max(1, min(n_targets, n_rows))
    n_popular = min(len(FAMOUS), n_targets)
    if n_popular == n_targets:
        weights = (np.arange(n_targets) + 1.0) ** -tail
        return rng.choice(n_targets, size=n_rows, p=weights / weights.sum()).astype(np.int64)
    # ~4% of a table but at most ~2,000 rows in all (Swift's 373k snapshots would otherwise
    # give the Crab thousands), and at least ~40 so small tables still have repeat pointings
    share = min(0.3, max(min(0.04, 2000.0 / n_rows), 40.0 / n_rows))
    popular = rng.random(n_rows) < share
    weights = (np.arange(n_popular) + 1.0) ** -tail
    n_rest = n_targets - n_popular
    rest = (np.arange(n_rest) + max(1.0, n_rest / 50.0)) ** -tail
    out = n_popular + rng.choice(n_rest, size=n_rows, p=rest / rest.sum())
    out[popular] = rng.choice(n_popular, size=int(popular.sum()), p=weights / weights.sum())
    return out.astype(np.int64)


def target_positions(
    rng: np.random.Generator, n_targets: int, plane_fraction: float = 0.3
) -> tuple[FloatArray, FloatArray, list[str]]:
    """Positions and names of ``n_targets`` targets: famous ones first, then random ones.

    ``plane_fraction`` of the random ones lie near the Galactic plane.
    """
    famous = list(FAMOUS.items())[:n_targets]
    n_rest = n_targets - len(famous)
    n_plane = int(round(n_rest * plane_fraction))
    ra_s, dec_s = sphere(rng, n_rest - n_plane)
    ra_p, dec_p = galactic_plane(rng, n_plane)
    ra = np.concatenate([[p[0] for _, p in famous], ra_s, ra_p])
    dec = np.concatenate([[p[1] for _, p in famous], dec_s, dec_p])
    names = [n for n, _ in famous] + list(source_names(ra[len(famous) :], dec[len(famous) :]))
    return ra.astype(np.float64), dec.astype(np.float64), names


def source_names(ra: FloatArray, dec: FloatArray, prefix: str = "J") -> pl.Series:
    """IAU-style names ``J hhmmss.s+ddmmss`` for positions (vectorised)."""
    h = ra / 15.0
    hh = np.floor(h).astype(np.int64)
    mm = np.floor((h - hh) * 60).astype(np.int64)
    ss = np.floor(((h - hh) * 60 - mm) * 600).astype(np.int64)
    sign = np.where(dec < 0, "-", "+")
    ad = np.abs(dec)
    dd = np.floor(ad).astype(np.int64)
    dm = np.floor((ad - dd) * 60).astype(np.int64)
    ds = np.floor(((ad - dd) * 60 - dm) * 60).astype(np.int64)
    df = pl.DataFrame({"hh": hh, "mm": mm, "ss": ss, "sign": sign, "dd": dd, "dm": dm, "ds": ds})
    z = [pl.col(c).cast(pl.String).str.zfill(2) for c in ("hh", "mm", "dd", "dm", "ds")]
    return df.select(
        pl.concat_str(
            [
                pl.lit(prefix),
                z[0],
                z[1],
                pl.col("ss").floordiv(10).cast(pl.String).str.zfill(2),
                pl.lit("."),
                (pl.col("ss") % 10).cast(pl.String),
                pl.col("sign"),
                z[2],
                z[3],
                z[4],
            ]
        ).alias("name")
    ).to_series()


def lognormal(
    rng: np.random.Generator, n: int, median: float, sigma: float, lo: float, hi: float
) -> FloatArray:
    """Log-normal values clipped to [lo, hi] (exposures and durations)."""
    return np.clip(median * np.exp(rng.normal(0.0, sigma, n)), lo, hi)


def choice(
    rng: np.random.Generator, n: int, values: Sequence[Any], p: Sequence[float] | None = None
) -> npt.NDArray[Any]:
    """``n`` draws from ``values`` with probabilities ``p`` (normalised here)."""
    probs = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size=n, p=probs)]


def mjd_to_iso(mjd_values: FloatArray, with_ms: bool = True) -> pl.Series:
    """MJD floats → ``YYYY-MM-DDTHH:MM:SS[.mmm]`` strings (null stays null)."""
    ms = np.round((np.asarray(mjd_values, dtype=float) - MJD_UNIX_EPOCH) * 86_400_000.0)
    s = pl.Series(ms).fill_nan(None).cast(pl.Int64).cast(pl.Datetime("ms"))
    return s.dt.strftime("%Y-%m-%dT%H:%M:%S%.3f" if with_ms else "%Y-%m-%dT%H:%M:%S")


def unique_ints(
    rng: np.random.Generator, n: int, lo: int, hi: int, exclude: Sequence[int] = ()
) -> IntArray:
    """``n`` distinct integers from [lo, hi), none in ``exclude``, in random order."""
    pool = hi - lo
    if pool - len(exclude) < n:
        raise InputError(f"cannot draw {n} distinct ids from [{lo}, {hi}); ask for fewer rows")
    picked = rng.choice(pool, size=min(pool, n + len(exclude)), replace=False) + lo
    if exclude:
        picked = picked[~np.isin(picked, np.asarray(exclude))]
    return picked[:n].astype(np.int64)


def inject(
    df: pl.DataFrame, edges: Sequence[Mapping[str, Any]], rng: np.random.Generator
) -> pl.DataFrame:
    """Overwrite randomly chosen rows with the ``edges`` (dicts of column → value).

    Columns an edge does not name keep the generated row's values, so edge rows look like
    their neighbours except where they must differ. Tables with fewer rows than edges get
    the first ``height`` edges.
    """
    edges = list(edges)[: df.height]
    if not edges:
        return df
    rows = rng.choice(df.height, size=len(edges), replace=False)
    updates: dict[str, tuple[list[int], list[Any]]] = {}
    for row, edge in zip(rows.tolist(), edges, strict=True):
        for col, value in edge.items():
            if col not in df.columns:
                raise InputError(f"edge row names unknown column {col!r}")
            idx, vals = updates.setdefault(col, ([], []))
            idx.append(row)
            vals.append(value)
    return df.with_columns(
        df.get_column(col).scatter(idx, pl.Series(vals, dtype=df.schema[col]))
        for col, (idx, vals) in updates.items()
    )
