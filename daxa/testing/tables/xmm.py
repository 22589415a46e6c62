"""XMM-Newton observation tables: XSA ``v_all_observations`` and HEASARC ``xmmmaster``.

Both come from one simulated observation log (targets with repeated pointings, 2000 to the
table date, revolutions of ~2 days, 10-digit ObsIDs PPPPPP OO EE), written with each
service's column names and types: XSA gives ISO time strings, a ``with_science`` boolean and
nulls for missing positions; HEASARC gives MJD floats, a ``status`` string, integer MJD public
dates (0 or 416422 when unknown) and ``data_in_heasarc`` Y/N.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

_START = C.mjd(2000, 2, 1)
_REV0_MJD, _REV_DAYS = 51520.0, 1.9966


def _log(n: int, rng: np.random.Generator) -> dict[str, np.ndarray | pl.Series]:
    """The shared observation log: positions, times, ObsIDs, revolutions, names."""
    n_targets = max(1, n // 3)
    t_ra, t_dec, t_names = C.target_positions(rng, n_targets, plane_fraction=0.3)
    tgt = C.popular_targets(rng, n, n_targets, tail=1.1)
    ra, dec = C.jitter(rng, t_ra[tgt], t_dec[tgt], 2.0)
    start = rng.uniform(_START, C.TABLE_MJD + 20.0, n)
    duration = np.round(C.lognormal(rng, n, 30_000.0, 0.7, 1_000.0, 160_000.0))
    rank = np.argsort(np.argsort(start))
    # Proposal numbers grow with time and are distinct (one ObsID per proposal here).
    proposal = 11 + np.floor(rank * (max(95_409, n) / max(n, 1))).astype(np.int64)
    obs_in_prop = rng.integers(1, 30, n)
    obsid = pl.Series(proposal * 10_000 + obs_in_prop * 100 + 1).cast(pl.String).str.zfill(10)
    return {
        "ra": ra,
        "dec": dec,
        "start": start,
        "end": start + duration / 86_400.0,
        "duration": duration,
        "revolution": np.floor((start - _REV0_MJD) / _REV_DAYS).astype(np.int64),
        "obsid": obsid,
        "name": pl.Series(np.asarray(t_names, dtype=object)[tgt], dtype=pl.String),
    }


def _slew_id(revolution: int, k: int) -> str:
    return f"9{revolution % 10_000:04d}{k:05d}"


def _slew_ids(revolution: np.ndarray, k: np.ndarray) -> pl.Series:
    """Slew ObsIDs: 9, the revolution (4 digits), a running number (5 digits)."""
    rev = pl.Series(revolution % 10_000).cast(pl.String).str.zfill(4)
    num = pl.Series(k).cast(pl.String).str.zfill(5)
    return pl.select(pl.concat_str([pl.lit("9"), pl.lit(rev), pl.lit(num)])).to_series()


def xsa(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """XSA ``v_all_observations`` as its TAP service returns it (slews included)."""
    log = _log(n, rng)
    start, end = log["start"], log["end"]
    assert isinstance(start, np.ndarray) and isinstance(end, np.ndarray)
    future = start > C.TABLE_MJD
    prop_end = np.where(future | (rng.random(n) < 0.02), np.nan, end + 365.0)
    # ~0.8% of rows have no position (closed-filter calibrations) and ~0.5% are slews.
    no_pos = rng.random(n) < 0.008
    ra = np.where(no_pos, np.nan, log["ra"])
    dec = np.where(no_pos, np.nan, log["dec"])
    obsid = pl.Series(log["obsid"])
    slew = rng.random(n) < 0.005
    revolution = np.asarray(log["revolution"])
    if slew.any():
        rows = np.flatnonzero(slew)
        obsid = obsid.scatter(rows, _slew_ids(revolution[rows], np.arange(len(rows))))
    df = pl.DataFrame(
        {
            "observation_id": obsid,
            "ra": pl.Series(ra).fill_nan(None),
            "dec": pl.Series(dec).fill_nan(None),
            "start_utc": C.mjd_to_iso(start, with_ms=False),
            "end_utc": C.mjd_to_iso(end, with_ms=False),
            "duration": pl.Series(log["duration"]).cast(pl.Int64),
            "with_science": pl.Series(~slew & (rng.random(n) > 0.03)),
            "proprietary_end_date": C.mjd_to_iso(prop_end, with_ms=False),
            "revolution": pl.Series(revolution).cast(pl.Int32),
            "target": pl.Series(log["name"]),
        }
    )
    far_future = C.mjd_to_iso(np.array([C.mjd(2999, 12, 31)]), with_ms=False)[0]
    edges: list[dict[str, Any]] = [
        {"observation_id": _slew_id(1000, 90001), "with_science": False, "target": "Slew"},
        {"observation_id": _slew_id(3000, 90002), "with_science": True},
        {"ra": None, "dec": None},
        {"ra": float("nan"), "dec": float("nan")},
        {"ra": 0.0, "dec": 0.0},
        {"with_science": False},
        {"proprietary_end_date": None},
        {"proprietary_end_date": far_future},
        {"target": None},
    ]
    return _xsa_extras(C.inject(df, edges, rng), rng)


#: Instrument set-ups of an observation (a 2-D char column on XSA: one mode per element).
_MODES = (["PN:FF", "M1:FF", "M2:FF"], ["PN:SW", "M1:SW", "M2:FF"], ["PN:FF"], ["M1:FF", "M2:LW"],
          ["PN:TI", "M1:SW", "M2:SW", "RGS1:SPEC", "RGS2:SPEC"])  # fmt: skip


def _xsa_extras(df: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The real ``v_all_observations`` columns a ``SELECT *`` trips on: an STC-S footprint
    string, the footprint as a polygon (variable-length double array) and the instrument
    modes as a 2-D char array; plus plain extras (an oid, the PI's surname)."""
    n = df.height
    ra = df["ra"].to_numpy()
    dec = df["dec"].to_numpy()
    half = 0.25
    corners = np.stack(
        [ra - half, dec - half, ra + half, dec - half, ra + half, dec + half, ra - half,
         dec + half], axis=1,
    )  # fmt: skip
    footprint = pl.Series("footprint_fov", corners).cast(pl.List(pl.Float64))
    has_pos = df["ra"].is_not_null() & df["dec"].is_not_null() & df["ra"].is_not_nan()
    footprint = pl.select(pl.when(has_pos).then(footprint)).to_series().alias("footprint_fov")
    stc = footprint.list.eval(pl.element().round(5).cast(pl.String)).list.join(" ")
    modes = pl.Series("instrument_modes", list(_MODES)).gather(rng.integers(0, len(_MODES), n))
    return df.with_columns(
        pl.Series("observation_oid", rng.permutation(n) + 1_000_000).cast(pl.Int64),
        pl.Series("pi_surname", C.choice(rng, n, C.PI_NAMES), dtype=pl.String),
        pl.select(pl.when(has_pos).then(pl.lit("Polygon ICRS ") + stc)).to_series()
        .alias("stc_s"),
        footprint,
        modes,
    )  # fmt: skip


def heasarc(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``xmmmaster`` as its TAP service returns it."""
    log = _log(n, rng)
    start, end = np.asarray(log["start"]), np.asarray(log["end"])
    future = start > C.TABLE_MJD
    recent = end > C.TABLE_MJD - 14.0
    status = np.where(
        future,
        C.choice(rng, n, ["scheduled", "accepted"], [0.8, 0.2]),
        np.where(recent, "observed", C.choice(rng, n, ["archived", "processed"], [0.93, 0.07])),
    )
    public_date = np.floor(end + 365.0).astype(np.int64)
    in_heasarc = np.where(future | recent, "N", "Y")
    df = pl.DataFrame(
        {
            "ra": pl.Series(log["ra"]),
            "dec": pl.Series(log["dec"]),
            "obsid": pl.Series(log["obsid"]),
            "time": pl.Series(start),
            "end_time": pl.Series(end),
            "status": pl.Series(status.astype(str)),
            "duration": pl.Series(log["duration"], dtype=pl.Float64),
            "public_date": pl.Series(public_date).cast(pl.Int32),
            "data_in_heasarc": pl.Series(in_heasarc.astype(str)),
            "xmm_revolution": pl.Series(log["revolution"]).cast(pl.Int32),
            "name": pl.Series(log["name"]),
        }
    )
    edges: list[dict[str, Any]] = [
        {"obsid": _slew_id(1200, 90001), "name": "SLEW"},
        {"obsid": _slew_id(3400, 90002)},
        {"ra": float("nan"), "dec": float("nan")},
        {"ra": None, "dec": None},
        {"ra": 0.0, "dec": 0.0},
        {"status": "scheduled", "data_in_heasarc": "N"},
        {"status": "accepted", "data_in_heasarc": "N"},
        {"status": "observed", "data_in_heasarc": "N"},
        {"status": "unscheduled", "data_in_heasarc": "N"},
        {"status": "archived", "public_date": 0},
        {"status": "processed", "public_date": 416422},
        {"status": "archived", "data_in_heasarc": "N"},
    ]
    return C.inject(df, edges, rng)
