"""eROSITA lists: the real CalPV and eRASS1 DE files (when present) and hand-built rows."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from daxa.missions import erosita
from daxa.schema import validate
from daxa.testing import shared_data_dir

SHARED = shared_data_dir()
needs_shared = pytest.mark.skipif(
    SHARED is None or not (SHARED / "erosita").is_dir(), reason="../shared/data not present"
)


def read(name: str, infer: bool) -> pl.DataFrame:
    assert SHARED is not None
    return pl.read_csv(SHARED / "erosita" / name, infer_schema=infer)


@needs_shared
@pytest.mark.parametrize("infer", [False, True])
def test_real_calpv_list(infer):
    out = erosita.normalise_calpv(read("erosita_calpv_info.csv", infer))
    validate(out, mission="erosita_calpv")
    assert out.height == 170
    row = out.filter(pl.col("obs_id") == "300007").row(0, named=True)
    assert (row["ra"], row["dec"]) == (129.55, 1.5)
    assert row["start"] == datetime(2019, 11, 3, 2, 42, 50, tzinfo=UTC)
    assert row["end"] == datetime(2019, 11, 4, 3, 36, 37, tzinfo=UTC)
    assert row["duration"].total_seconds() == 89_627.0  # the list's own duration column
    assert row["field_name"] == "EFEDS" and row["field_type"] == "SURVEY"
    assert row["active_insts"] == [f"TM{i}" for i in range(1, 8)]
    assert row["download_url"].endswith("/CalPvObs/eFEDS.tar.gz")
    assert set(out["field_type"]) == {
        "SURVEY", "MAGELLANIC_CLOUDS", "GALACTIC_FIELDS", "EXTRAGALACTIC_FIELDS",
    }  # fmt: skip
    assert out.filter(pl.col("obs_id") == "900060")["active_insts"][0].to_list() == ["TM6"]


@needs_shared
@pytest.mark.parametrize("infer", [False, True])
def test_real_erass1_de_tiles(infer):
    out = erosita.normalise_erass1_de(read("erass_de_dr1_info.csv", infer))
    validate(out, mission="erosita_all_sky_de_dr1")
    assert out.height == 2447 and out["obs_id"].n_unique() == 2447
    tile = out.filter(pl.col("obs_id") == "260177").row(0, named=True)
    assert tile["start"] == datetime(2020, 3, 25, 16, 41, 0, tzinfo=UTC)  # CSV: 16:40:60
    assert tile["end"] == datetime(2020, 4, 5, 12, 43, 45, tzinfo=UTC)
    assert (tile["ra_min"], tile["ra_max"], tile["dec_min"], tile["dec_max"]) == (
        240.0, 280.0, -88.5, -85.5,
    )  # fmt: skip
    pole = out.filter(pl.col("obs_id") == "001180").row(0, named=True)  # integer 1180 when inferred
    assert pole["dec"] == -90.0 and len(pole["neighbours"]) == 9
    first = out.filter(pl.col("obs_id") == "117048").row(0, named=True)
    assert first["neighbours"] == [
        "114045", "118045", "122045", "113048", "121048", "112051", "116051", "119051",
    ]  # fmt: skip
    assert first["n_nbrs"] == 8 and first["owner"] == 0
    # every tile id is RRRDDD: RA (degrees) and 90 - Dec of its centre
    ra = out["obs_id"].str.slice(0, 3).cast(pl.Int64)
    ddd = out["obs_id"].str.slice(3, 3).cast(pl.Int64)
    away = out.filter(out["dec"].abs() < 88)
    assert (
        (90 - away["dec"]).round(0).cast(pl.Int64) - ddd.filter(out["dec"].abs() < 88)
    ).abs().max() <= 1
    assert ((away["ra"] - ra.filter(out["dec"].abs() < 88)).abs() <= 1).all()


def test_calpv_hand_rows_with_fits_style_upper_case_columns():
    raw = pl.DataFrame(
        {
            "OBSID": [700001, 300007],
            "START": ["2019-09-13T10:11:60", "2019-11-03 02:42:50"],
            "END": ["2019-09-14T00:00:00", "2019-11-04T03:36:37"],
            "RA": [81.26, 129.55],
            "DEC": [-69.64, 1.5],
            "SCIENCE_USABLE": [True, False],
            "FIELD_NAME": ["LMC_N132D", "EFEDS"],
            "FIELD_TYPE": ["magellanic_clouds", "SURVEY"],
            "ACTIVE_INSTS": ["TM5, TM6,TM7", "TM1"],
        }
    )
    out = erosita.normalise_calpv(raw).sort("obs_id")
    assert out["obs_id"].to_list() == ["300007", "700001"]
    assert out["start"].to_list() == [
        datetime(2019, 11, 3, 2, 42, 50, tzinfo=UTC),
        datetime(2019, 9, 13, 10, 12, 0, tzinfo=UTC),
    ]
    assert out["science_usable"].to_list() == [False, True]
    assert out["field_type"].to_list() == ["SURVEY", "MAGELLANIC_CLOUDS"]
    assert out["active_insts"].to_list() == [["TM1"], ["TM5", "TM6", "TM7"]]
    assert out["download_url"].is_null().all() and out["public"].all()
