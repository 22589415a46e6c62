"""INTEGRAL ``intscwpub``: public pointed science windows (ScWs), dithering around targets.

One row per ScW. A revolution (orbit) lasted 3 days until 2015, then ~2.67 days; about 80
pointings of 0.5–1 h fit in one. Observations are blocks of consecutive pointings that dither
around a target: the 5×5 pattern (2.17° steps), the hexagonal pattern (centre plus six at
2°), or staring. ScW ids are RRRR PPPP 001 0 (revolution, pointing, sub-pointing, 0 for a
pointing). intscwpub holds pointings only, so it has no ``scw_type`` column (the ``intscw``
table, which also lists slews and engineering windows, has one). JEM-X 1 and 2 took turns
until 2010; SPI anneals now and then (good_spi 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from daxa.testing.tables import _common as C

_REV0 = C.mjd(2002, 10, 17)
_SLOTS = 80
_FIRST_REV, _LAST_REV = 26, 2860
_SHORT_REVS_FROM = 1500

_GRID5 = (
    np.array([(x, y) for y in (-2, -1, 0, 1, 2) for x in (-2, -1, 0, 1, 2)], dtype=float) * 2.17
)
_HEX = np.array(
    [(0.0, 0.0)] + [(2.0 * np.cos(a), 2.0 * np.sin(a)) for a in np.radians(np.arange(0, 360, 60))]
)


def rev_start(rev: np.ndarray) -> np.ndarray:
    """MJD at which a revolution began (3-day orbits, ~2.67-day ones from revolution 1500)."""
    rev = np.asarray(rev, dtype=float)
    early = _REV0 + rev * 3.0
    late = _REV0 + _SHORT_REVS_FROM * 3.0 + (rev - _SHORT_REVS_FROM) * (8.0 / 3.0)
    return np.where(rev < _SHORT_REVS_FROM, early, late)


def intscwpub(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """HEASARC ``intscwpub`` as its TAP service returns it."""
    n_revs = -(-n // _SLOTS)
    pool = np.arange(_FIRST_REV, max(_LAST_REV, _FIRST_REV + n_revs))
    revs = np.sort(rng.choice(pool, n_revs, replace=False))
    rev = np.repeat(revs, _SLOTS)[:n]
    pointing = (np.arange(n) % _SLOTS) + 1
    rev_len = np.where(rev < _SHORT_REVS_FROM, 3.0, 8.0 / 3.0)
    slot = rev_len * 0.85 / _SLOTS
    start = rev_start(rev) + 0.12 + (pointing - 1) * slot + rng.uniform(0, 0.002, n)
    length = np.minimum(rng.uniform(1_800.0, 3_700.0, n), slot * 86_400.0 - 60.0)
    end = start + length / 86_400.0

    # Observation blocks: consecutive ScWs on one target with one dither pattern.
    lengths = rng.choice([1, 7, 25, 50, 100], size=n // 5 + 2, p=[0.1, 0.25, 0.4, 0.15, 0.1])
    block = np.repeat(np.arange(len(lengths)), lengths)[:n]
    first_in_block = np.r_[0, np.cumsum(lengths)[:-1]]
    pos = np.arange(n) - first_in_block[block]
    pattern = rng.choice(3, len(lengths), p=[0.6, 0.25, 0.15])[block]
    dx = np.select([pattern == 0, pattern == 1], [_GRID5[pos % 25, 0], _HEX[pos % 7, 0]], 0.0)
    dy = np.select([pattern == 0, pattern == 1], [_GRID5[pos % 25, 1], _HEX[pos % 7, 1]], 0.0)
    n_targets = max(1, len(lengths) // 3)
    t_ra, t_dec, _ = C.target_positions(rng, n_targets, plane_fraction=0.6)
    tgt = C.popular_targets(rng, len(lengths), n_targets, tail=1.0)[block]
    ra, dec = C.offset(
        t_ra[tgt], t_dec[tgt], dx + rng.normal(0, 0.01, n), dy + rng.normal(0, 0.01, n)
    )

    good = np.floor(length - rng.uniform(40.0, 60.0, n))
    before_2010 = start < C.mjd(2010, 1, 1)
    jemx1_on = ~before_2010 | (rev % 2 == 0)
    jemx2_on = ~before_2010 | (rev % 2 == 1)
    spi_on = rng.random(n) > 0.03
    picsit = np.where(rng.random(n) < 0.1, 0.0, np.floor(good * rng.uniform(0.3, 1.0, n)))
    scw_id = pl.Series(rev * 10**8 + pointing * 10**4 + 10).cast(pl.String).str.zfill(12)
    df = pl.DataFrame(
        {
            "ra": pl.Series(np.round(ra, 5)),
            "dec": pl.Series(np.round(dec, 5)),
            "scw_id": scw_id,
            "scw_ver": pl.Series(np.where(rng.random(n) < 0.97, "001", "002")),
            "start_date": pl.Series(start),
            "end_date": pl.Series(end),
            "spi_mode": pl.Series(np.full(n, 41)).cast(pl.Int32),
            "good_jemx1": pl.Series(np.where(jemx1_on, good, 0.0)),
            "good_jemx2": pl.Series(np.where(jemx2_on, good, 0.0)),
            "good_isgri": pl.Series(np.floor(good - rng.uniform(0.0, 5.0, n))),
            "good_picsit": pl.Series(picsit),
            "good_spi": pl.Series(np.where(spi_on, good, 0.0)),
            "data_in_heasarc": pl.Series(np.where(rng.random(n) < 0.998, "Y", "N")),
            # as the recorded intscw: ~10% of windows still PRIVATE, mostly already at HEASARC
            "status": pl.Series(np.where(rng.random(n) < 0.1, "PRIVATE", "PUBLIC")),
            # the real intscw's POSANGLE (degrees); spread without drawing from rng, so the
            # rest of the table is the same as before the column existed
            "posangle": pl.Series(np.round((scw_id.cast(pl.Int64).to_numpy() * 0.37) % 360.0, 2)),
        }
    )  # fmt: skip
    zero = {f"good_{i}": 0.0 for i in ("jemx1", "jemx2", "isgri", "picsit", "spi")}
    edges: list[dict[str, Any]] = [
        zero,
        {**zero, "data_in_heasarc": "N"},
        {"data_in_heasarc": "N"},
        {"good_jemx1": 0.0, "good_jemx2": 0.0, "good_isgri": 0.0, "good_picsit": 0.0},
        {"scw_ver": "002"},
        {"status": "PRIVATE", "data_in_heasarc": "Y"},
        {"status": "PRIVATE", "data_in_heasarc": "N"},
        {"status": "PUBLIC", "data_in_heasarc": "N"},
    ]
    return C.inject(df, edges, rng)
