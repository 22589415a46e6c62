"""The two published eROSITA lists: the CalPV (EDR) observations and the eRASS1 DE sky tiles.

When the shared data folder holds the real lists they are returned as read (every column a
string, exactly as the CSV writes it); otherwise stand-ins with the same header are generated.
Both have a natural size, so asking for more rows returns the whole list, and asking for
fewer returns a seeded subset that always keeps the rows with a seconds field of 60 (the
real eRASS1 list writes ``2020-03-25T16:40:60`` for tile 260177).

Stand-in eRASS1 tiles follow the real scheme: Dec bands 3° wide centred on multiples of 3°
(polar caps below/above ±88.5°), ``round(120 cos(|dec| - 1.5°))`` tiles per band, tile id
RRRDDD with RRR the centre RA in degrees and DDD = 90 - Dec, and only tiles in the German half
of the sky (Galactic l ≥ 180°).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

CALPV = "erosita_calpv_info.csv"
ERASS1_DE = "erass_de_dr1_info.csv"

CALPV_COLUMNS = [
    "ObsID", "start", "duration", "end", "ra", "dec", "science_usable", "Field_Name",
    "Field_Type", "download", "active_insts",
]  # fmt: skip
ERASS1_COLUMNS = [
    "ObsID", "OWNER", "RA_MIN", "RA_MAX", "DEC_MIN", "DEC_MAX", "RA", "DEC", "X_MIN", "Y_MIN",
    "N_NBRS", *(f"FIELD{i}" for i in range(1, 10)), "START", "END",
]  # fmt: skip

#: Stand-in CalPV fields: name, type, RA, Dec, ObsID block, pointings, tarball name.
_FIELDS = [
    ("EFEDS", "SURVEY", 136.0, 1.5, 300007, 4, "eFEDS"),
    ("ETA_CHA", "SURVEY", 130.33, -78.96, 300004, 1, "Eta_Cha"),
    ("CRAB_1", "GALACTIC_FIELDS", 83.63, 22.01, 900075, 26, "Crab_I"),
    ("CRAB_2", "GALACTIC_FIELDS", 83.63, 22.01, 900101, 30, "Crab_II"),
    ("CRAB_3", "GALACTIC_FIELDS", 83.63, 22.01, 900131, 30, "Crab_III"),
    ("CRAB_4", "GALACTIC_FIELDS", 83.63, 22.01, 900161, 22, "Crab_IV"),
    ("PSR_B0656_14", "GALACTIC_FIELDS", 104.95, 14.24, 700163, 6, "PSR_B0656p14"),
    ("47_TUC", "GALACTIC_FIELDS", 6.02, -72.08, 700011, 4, "47_Tuc"),
    ("LMC_N132D", "MAGELLANIC_CLOUDS", 81.26, -69.64, 700001, 8, "LMC_N132D"),
    ("SN1987A", "MAGELLANIC_CLOUDS", 83.87, -69.27, 700016, 6, "SN1987A"),
    ("PSR_J0540_6919", "MAGELLANIC_CLOUDS", 85.05, -69.33, 700205, 6, "PSR_J0540m6919"),
    ("1H0707", "EXTRAGALACTIC_FIELDS", 107.17, -49.55, 700173, 6, "1H0707"),
    ("A3158", "EXTRAGALACTIC_FIELDS", 55.72, -53.63, 700180, 1, "A3158"),
    ("3C390_3", "EXTRAGALACTIC_FIELDS", 281.5, 79.88, 900060, 12, "3C390_3"),
    ("VELA_SNR", "GALACTIC_FIELDS", 128.5, -45.8, 700154, 8, "Vela_SNR"),
]


def real_list(shared: Path | None, table: str) -> pl.DataFrame | None:
    """The real list from the shared data folder, every column a string; None if absent."""
    if shared is None or not (shared / "erosita" / table).is_file():
        return None
    return pl.read_csv(shared / "erosita" / table, infer_schema=False)


def sized(df: pl.DataFrame, n: int, rng: np.random.Generator, time_cols: list[str]) -> pl.DataFrame:
    """``df`` itself when ``n`` covers it, else ``n`` seeded rows keeping every ``:60`` time."""
    if n >= df.height:
        return df
    leap = df.select(
        pl.any_horizontal(pl.col(c).str.contains(r":60(\.\d*)?$") for c in time_cols)
    ).to_series()
    must = np.flatnonzero(leap.to_numpy())[:n]
    rest = np.setdiff1d(np.arange(df.height), must)
    extra = rng.choice(rest, n - len(must), replace=False)
    return df[np.sort(np.concatenate([must, extra]))]


def calpv(n: int, rng: np.random.Generator, shared: Path | None) -> pl.DataFrame:
    """The CalPV observation list (real when available)."""
    real = real_list(shared, CALPV)
    if real is not None:
        return sized(real, n, rng, ["start", "end"])
    per_field = np.array([f[5] for f in _FIELDS])
    field = np.repeat(np.arange(len(_FIELDS)), per_field)
    m = len(field)
    k = np.arange(m) - np.repeat(np.cumsum(per_field) - per_field, per_field)
    obsid = np.array([f[4] for f in _FIELDS])[field] + k
    ra0 = np.array([f[2] for f in _FIELDS])[field]
    dec0 = np.array([f[3] for f in _FIELDS])[field]
    ra, dec = C.jitter(rng, ra0, dec0, 3.0)
    start = np.sort(rng.uniform(C.mjd(2019, 9, 13), C.mjd(2019, 12, 31), m))
    duration = np.round(C.lognormal(rng, m, 40_000.0, 0.6, 5_000.0, 160_000.0))
    end = start + duration / 86_400.0
    insts = C.choice(
        rng, m, ["TM5,TM6,TM7", "TM1,TM2,TM3,TM4,TM5,TM6,TM7", "TM6", "TM1,TM2,TM4,TM5,TM6,TM7"],
        [0.65, 0.25, 0.05, 0.05],
    )  # fmt: skip
    start_iso = C.mjd_to_iso(np.round(start * 86_400.0) / 86_400.0, with_ms=False)
    end_iso = C.mjd_to_iso(np.round(end * 86_400.0) / 86_400.0, with_ms=False)
    # One start written with seconds = 60, as the real lists sometimes do.
    start_iso = start_iso.scatter([1], [str(start_iso[1])[:-2] + "60"])
    df = pl.DataFrame(
        {
            "ObsID": pl.Series(obsid).cast(pl.String).str.zfill(6),
            "start": start_iso,
            "duration": pl.Series(duration).cast(pl.String),
            "end": end_iso,
            "ra": pl.Series(np.round(ra, 6)).cast(pl.String),
            "dec": pl.Series(np.round(dec, 6)).cast(pl.String),
            "science_usable": pl.Series(np.full(m, "True")),
            "Field_Name": pl.Series([f[0] for f in _FIELDS]).gather(field),
            "Field_Type": pl.Series([f[1] for f in _FIELDS]).gather(field),
            "download": pl.Series(
                [f"https://erosita.mpe.mpg.de/edr/eROSITAObservations/CalPvObs/{f[6]}.tar.gz" for f in _FIELDS]
            ).gather(field),
            "active_insts": pl.Series(insts.astype(str)),
        }
    )  # fmt: skip
    return sized(df, n, rng, ["start", "end"])


def erass1_tiles() -> pl.DataFrame:
    """Every eRASS1 sky tile of the whole sky (bounds, centre, id, band) in the RRRDDD scheme."""
    parts = []
    for dec_c in np.arange(90, -91, -3):
        if abs(dec_c) == 90:
            lo, hi, k = (88.5, 90.0, 1) if dec_c > 0 else (-90.0, -88.5, 1)
        else:
            lo, hi = dec_c - 1.5, dec_c + 1.5
            k = max(1, int(round(120 * np.cos(np.radians(abs(dec_c) - 1.5)))))
        width = 360.0 / k
        ra_min = np.arange(k) * width
        ra_c = ra_min + width / 2 if k > 1 else np.array([0.0])
        parts.append(
            pl.DataFrame(
                {
                    "ra_min": ra_min,
                    "ra_max": ra_min + width,
                    "dec_min": np.full(k, lo),
                    "dec_max": np.full(k, hi),
                    "ra": ra_c,
                    "dec": np.full(k, float(dec_c)),
                    "band": np.full(k, 90 - int(dec_c)),
                }
            )
        )
    tiles = pl.concat(parts)
    rrr = pl.col("ra").round(0).cast(pl.Int64).clip(1, 359)
    return tiles.with_columns(
        pl.concat_str(
            [rrr.cast(pl.String).str.zfill(3), pl.col("band").cast(pl.String).str.zfill(3)]
        ).alias("tile")
    )


def _neighbours(tiles: pl.DataFrame) -> pl.Series:
    """Ids of the tiles sharing an edge or corner with each tile (same or adjacent band).

    Vectorised per pair of bands (at most 120 × 120 tiles each); returns a list per tile.
    """
    tiles = tiles.with_row_index("i")
    bands = {int(b): g for (b,), g in tiles.group_by("band", maintain_order=True)}
    pairs_i: list[np.ndarray] = []
    pairs_j: list[np.ndarray] = []
    for b, group in bands.items():
        lo, hi = group["ra_min"].to_numpy()[:, None], group["ra_max"].to_numpy()[:, None]
        for other in (bands.get(b - 3), group, bands.get(b + 3)):
            if other is None:
                continue
            olo, ohi = other["ra_min"].to_numpy()[None, :], other["ra_max"].to_numpy()[None, :]
            touch = (olo <= hi + 1e-9) & (ohi >= lo - 1e-9)
            touch |= (np.isclose(lo, 0) & np.isclose(ohi, 360)) | (
                np.isclose(hi, 360) & np.isclose(olo, 0)
            )
            gi, gj = np.nonzero(touch)
            pairs_i.append(group["i"].to_numpy()[gi])
            pairs_j.append(other["i"].to_numpy()[gj])
    pairs = pl.DataFrame({"i": np.concatenate(pairs_i), "j": np.concatenate(pairs_j)})
    names = tiles.select(pl.col("i").alias("j"), pl.col("tile").alias("neighbour"))
    lists = (
        pairs.filter(pl.col("i") != pl.col("j"))
        .join(names, on="j")
        .sort("i", "neighbour")
        .group_by("i", maintain_order=True)
        .agg("neighbour")
    )
    return tiles.select("i").join(lists, on="i", how="left")["neighbour"]


def erass1(n: int, rng: np.random.Generator, shared: Path | None) -> pl.DataFrame:
    """The eRASS1 DE tile list (real when available)."""
    real = real_list(shared, ERASS1_DE)
    if real is not None:
        return sized(real, n, rng, ["START", "END"])
    tiles = erass1_tiles()
    tiles = tiles.with_columns(_neighbours(tiles).list.head(9).alias("neighbours"))
    l_gal = C.icrs_to_galactic_l(tiles["ra"].to_numpy(), tiles["dec"].to_numpy())
    tiles = tiles.filter(pl.Series(l_gal >= 180.0))
    m = tiles.height
    # eRASS1 scanned great circles through the ecliptic poles, advancing ~1°/day from
    # 2019-12-12; a tile is crossed over ~4 days near the ecliptic, longer towards the poles.
    elon = (tiles["ra"].to_numpy() + 180.0) % 360.0
    cosd = np.maximum(np.cos(np.radians(tiles["dec"].to_numpy())), 0.05)
    start = C.mjd(2019, 12, 12) + (elon % 180.0) + rng.uniform(0, 0.5, m)
    end = start + np.minimum(4.0 / cosd, 12.0) + rng.uniform(0, 0.2, m)
    start_iso = C.mjd_to_iso(np.round(start * 86_400.0) / 86_400.0, with_ms=False)
    end_iso = C.mjd_to_iso(np.round(end * 86_400.0) / 86_400.0, with_ms=False)
    start_iso = start_iso.scatter([m - 1], [str(start_iso[m - 1])[:-2] + "60"])
    nbrs = tiles["neighbours"]
    fields = {
        f"FIELD{i + 1}": nbrs.list.get(i, null_on_oob=True).fill_null("000000") for i in range(9)
    }
    owner = np.where(rng.random(m) < 0.92, "2", "0")
    df = pl.DataFrame(
        {
            "ObsID": tiles["tile"],
            "OWNER": pl.Series(owner),
            **{k.upper(): tiles[k].cast(pl.String) for k in ("ra_min", "ra_max", "dec_min", "dec_max", "ra", "dec")},
            "X_MIN": pl.Series(np.round(rng.uniform(17.0, 18.0, m), 6)).cast(pl.String),
            "Y_MIN": pl.Series(np.round(rng.uniform(17.0, 18.0, m), 6)).cast(pl.String),
            "N_NBRS": nbrs.list.len().cast(pl.String),
            **fields,
            "START": start_iso,
            "END": end_iso,
        }
    )  # fmt: skip
    return sized(df.select(ERASS1_COLUMNS), n, rng, ["START", "END"])
