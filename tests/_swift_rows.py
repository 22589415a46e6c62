"""Six Swift observations shared by the Selection tests: RA 0 wrap, a pointing without XRT
exposure, one without BAT, an unusable one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from daxa.filters._examples import observation_table


def swift_table() -> pl.DataFrame:
    starts = [datetime(2015, 1, 1, tzinfo=UTC) + timedelta(days=10 * i) for i in range(6)]
    return observation_table(
        "swift",
        ra=[10.0, 10.05, 50.0, 120.0, 200.0, 359.99],
        dec=[0.0, 0.0, 20.0, -30.0, 45.0, 0.0],
        start=starts,
        end=[s + timedelta(hours=2) for s in starts],
        exposure_xrt=[1000.0, 0.0, 500.0, 800.0, 0.0, 100.0],
        exposure_bat=[1000.0, 900.0, 500.0, 0.0, 0.0, 100.0],
        exposure_uvot=[0.0] * 6,
        science_usable=[True, True, True, True, False, True],
    )
