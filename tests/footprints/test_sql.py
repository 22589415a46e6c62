"""SQL footprint helpers give the Python answers: footprint_status / in_footprint against
Positions(coverage="footprint"), in_owned_box against daxa.footprints.in_box."""

from __future__ import annotations

import numpy as np
import polars as pl

import daxa
from daxa.filters.positions import Positions
from daxa.footprints.contain import in_box
from daxa.missions import get_mission
from daxa.testing.tables import generate_table


def test_in_footprint_gives_the_filter_pairs():
    swift = get_mission("swift").normalise(generate_table("swiftmastr"))
    rng = np.random.default_rng(3)
    pick = rng.integers(0, swift.height, 300)
    pos = pl.DataFrame(
        {
            "ra": (swift["ra"].to_numpy()[pick] + rng.normal(0, 0.15, 300)) % 360,
            "dec": np.clip(swift["dec"].to_numpy()[pick] + rng.normal(0, 0.15, 300), -90, 90),
        }
    ).with_row_index("pos_index")
    want = Positions(pos.select("ra", "dec"), coverage="footprint").associate(
        swift, mission="swift", instruments=["XRT"]
    )
    got = daxa.sql(
        """SELECT p.pos_index, o.obs_id,
                  footprint_status('swift', 'XRT', o.ra, o.dec, o.roll_angle, p.ra, p.dec) AS s
           FROM pos p JOIN obs o ON in_cone(p.ra, p.dec, o.ra, o.dec, 0.5)
           WHERE o.exposure_xrt > 0
             AND in_footprint('swift', 'XRT', o.ra, o.dec, o.roll_angle, p.ra, p.dec)
           ORDER BY p.pos_index, o.obs_id""",
        pos=pos,
        obs=swift,
    )
    assert want.height > 0
    assert (
        got.rows()
        == want.sort("pos_index", "obs_id")
        .select(pl.col("pos_index").cast(pl.UInt32), "obs_id", "covered")
        .rows()
    )


def test_in_owned_box_matches_python():
    rng = np.random.default_rng(5)
    n = 2000
    lo = rng.uniform(0, 360, n)
    hi = (lo + rng.uniform(1, 10, n)) % 360  # some wrap through 0
    dlo = rng.uniform(-90, 85, n)
    dhi = np.minimum(dlo + rng.uniform(1, 10, n), 90)
    ra = (lo + rng.uniform(-2, 12, n)) % 360
    dec = np.clip(dlo + rng.uniform(-2, 12, n), -90, 90)
    frame = pl.DataFrame(
        {"ra": ra, "dec": dec, "lo": lo, "hi": hi, "dlo": dlo, "dhi": dhi}
    ).with_row_index("i")
    got = daxa.sql(
        "SELECT in_owned_box(ra, dec, lo, hi, dlo, dhi) AS b FROM f ORDER BY i", f=frame
    )["b"].to_numpy()
    want = in_box(ra, dec, lo, hi, dlo, dhi)
    assert want.any() and not want.all()
    assert np.array_equal(got, want)
