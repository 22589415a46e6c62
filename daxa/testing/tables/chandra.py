"""Chandra ``chanmaster``: one detector per observation, integer ObsIDs, MJD times.

Science ObsIDs grow with time (1 to ~30000), calibration ones sit in 50000–65535. The real
absurd rows (ObsID 6616 with exposure 49,578,750 s and 7587 with 46,180,500 s) are always
present, as are every status, detector, grating and proposal type the normaliser handles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

CLASSES = [
    "AGN UNCLASSIFIED",
    "EXTENDED GALACTIC OR EXTRAGALACTIC",
    "X-RAY BINARY",
    "CV",
    "SNR",
    "NON-ACTIVE GALAXY",
    "CLUSTER OF GALAXIES",
    "Non-Pointing data",
]
_CLASS_P = [0.26, 0.12, 0.16, 0.05, 0.1, 0.12, 0.15, 0.04]

#: The two real rows with absurd exposures (values from the HEASARC table as DAXA read it).
ABSURD_ROWS: list[dict[str, Any]] = [
    {
        "obsid": 6616,
        "ra": 274.4314,
        "dec": -33.01883,
        "time": 53790.19005787,
        "status": "archived",
        "detector": "ACIS-S",
        "grating": "HETG",
        "exposure": 49_578_750.0,
        "type": "GO",
        "data_mode": "CC_000A8",
        "class": "X-RAY BINARY",
        "public_date": 54159,
        "name": "J181743.5-330107",
    },
    {
        "obsid": 7587,
        "ra": 83.63292,
        "dec": 22.01447,
        "time": 54134.41593750,
        "status": "archived",
        "detector": "ACIS-S",
        "grating": "HETG",
        "exposure": 46_180_500.0,
        "type": "GTO",
        "data_mode": "TE_0077C",
        "class": "SNR",
        "public_date": 54502,
        "name": "CRAB",
    },
]


def chanmaster(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``chanmaster`` as its TAP service returns it."""
    n_targets = max(1, int(n / 2.5))
    t_ra, t_dec, t_names = C.target_positions(rng, n_targets, plane_fraction=0.35)
    t_class = C.choice(rng, n_targets, CLASSES, _CLASS_P)
    tgt = C.popular_targets(rng, n, n_targets, tail=1.15)
    ra, dec = C.jitter(rng, t_ra[tgt], t_dec[tgt], 1.0)
    time = rng.uniform(C.mjd(1999, 8, 12), C.TABLE_MJD + 60.0, n)
    future = time > C.TABLE_MJD

    calib = rng.random(n) < 0.05
    reserved = [int(r["obsid"]) for r in ABSURD_ROWS]
    obsid = np.empty(n, dtype=np.int64)
    sci = np.flatnonzero(~calib)
    # Science ObsIDs are handed out roughly in time order.
    ids = np.sort(C.unique_ints(rng, len(sci), 1, max(30_000, 2 * n), reserved))
    obsid[sci[np.argsort(time[sci])]] = ids
    obsid[calib] = C.unique_ints(rng, int(calib.sum()), 50_000, 65_536, reserved)

    detector = C.choice(rng, n, ["ACIS-S", "ACIS-I", "HRC-I", "HRC-S"], [0.45, 0.35, 0.12, 0.08])
    u = rng.random(n)
    grating = np.where(
        (detector == "ACIS-S") & (u < 0.15),
        "HETG",
        np.where(
            ((detector == "HRC-S") & (u < 0.7)) | ((detector == "ACIS-S") & (u > 0.97)),
            "LETG",
            "NONE",
        ),
    )
    exposure = np.round(C.lognormal(rng, n, 25_000.0, 0.9, 500.0, 195_000.0), 1)
    exposure = np.where(future, 0.0, exposure)
    status = np.where(
        future,
        C.choice(rng, n, ["scheduled", "unobserved"], [0.7, 0.3]),
        C.choice(rng, n, ["archived", "processed", "observed"], [0.96, 0.02, 0.02]),
    )
    ptype = np.where(
        calib,
        "CAL",
        C.choice(rng, n, ["GO", "GTO", "TOO", "DDT", "CCT"], [0.72, 0.14, 0.08, 0.03, 0.03]),
    )
    klass = np.where(calib, "Calibration Observations", t_class[tgt])
    acis = np.char.startswith(detector.astype(str), "ACIS")
    acis_mode = np.char.add(
        C.choice(rng, n, ["TE_", "CC_"], [0.9, 0.1]).astype(str), _hex5(rng.integers(256, 4096, n))
    )
    hrc_mode = C.choice(rng, n, ["DEFAULT", "SCENTER", None], [0.7, 0.2, 0.1])
    data_mode = np.where(acis, acis_mode.astype(object), hrc_mode)
    public_date = np.where(future, np.nan, np.floor(time + exposure / 86_400.0 + 365.0))
    df = pl.DataFrame(
        {
            "ra": pl.Series(ra),
            "dec": pl.Series(dec),
            "time": pl.Series(time),
            "obsid": pl.Series(obsid).cast(pl.Int32),
            "status": pl.Series(status.astype(str)),
            "detector": pl.Series(detector.astype(str)),
            "grating": pl.Series(grating.astype(str)),
            "exposure": pl.Series(exposure),
            "type": pl.Series(ptype.astype(str)),
            "data_mode": pl.Series(data_mode, dtype=pl.String),
            "class": pl.Series(klass.astype(str)),
            "public_date": pl.Series(public_date).fill_nan(None).cast(pl.Int32),
            "name": pl.Series(np.asarray(t_names, dtype=object)[tgt], dtype=pl.String),
        }
    )
    edges: list[dict[str, Any]] = [
        *ABSURD_ROWS,
        *({"status": s, "exposure": 0.0} for s in ("scheduled", "unobserved", "untriggered")),
        {"status": "observed"},
        {"status": "canceled", "exposure": 0.0},
        {"status": "discarded"},
        {"status": "processed"},
        {"status": "archived", "exposure": 0.0, "data_mode": None},
        {"detector": "ACIS-I", "grating": "NONE", "status": "archived"},
        {"detector": "HRC-I", "grating": "NONE", "status": "archived", "data_mode": "DEFAULT"},
        {"detector": "HRC-S", "grating": "LETG", "status": "archived", "data_mode": "DEFAULT"},
        {"detector": "ACIS-S", "grating": "HETG", "status": "archived"},
        {"type": "TOO", "class": "Non-Pointing data", "status": "archived"},
        {"type": "DDT", "class": "Non-Pointing data", "status": "archived"},
        {"type": "CAL", "class": "Non-Pointing data", "status": "archived"},
        {"class": "GRAVITATIONAL WAVE COUNTERPARTS", "type": "GO", "status": "archived"},
        {"status": "archived", "public_date": 0},
        {"status": "archived", "public_date": None},
    ]
    return C.inject(df, edges, rng)


def _hex5(values: np.ndarray) -> np.ndarray:
    """Five-digit upper-case hex strings (the ``TE_00958``-style mode suffixes)."""
    digits = np.array(list("0123456789ABCDEF"))
    out = digits[(values // 16**4) % 16]
    for k in range(3, -1, -1):
        out = np.char.add(out, digits[(values // 16**k) % 16])
    return out
