"""XMM-Newton rules for both sources: XSA ``v_all_observations`` and HEASARC ``xmmmaster``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import polars as pl
import pytest

from daxa.errors import SchemaError
from daxa.missions import xmm
from daxa.schema import validate
from tests.missions import _raw as R
from tests.missions._raw import NOW, frame


def ids(table: pl.DataFrame) -> list[str]:
    return sorted(table["obs_id"].to_list())


@pytest.mark.parametrize(
    ("row", "id_col"), [(R.xmm_xsa_row, "observation_id"), (R.xmm_heasarc_row, "obsid")]
)
def test_slews_are_dropped_from_both_sources(row, id_col, caplog):
    raw = frame(row(), {id_col: "0123456701"}, {id_col: "9123400002"}, {id_col: "9000100001"})
    with caplog.at_level(logging.INFO, logger="daxa.missions"):
        out = xmm.normalise(raw, now=NOW)
    assert ids(out) == ["0123456701"]
    assert "xmm_pointed: dropped 2 of 3 rows (slew observations)" in caplog.text


@pytest.mark.parametrize(
    ("row", "id_col"), [(R.xmm_xsa_row, "observation_id"), (R.xmm_heasarc_row, "obsid")]
)
def test_nan_null_and_zero_zero_positions_are_dropped(row, id_col, caplog):
    raw = frame(
        row(),
        {id_col: "0000000001"},
        {id_col: "0000000002", "ra": None, "dec": None},
        {id_col: "0000000003", "ra": float("nan"), "dec": 5.0},
        {id_col: "0000000004", "ra": 0.0, "dec": 0.0},
        {id_col: "0000000005", "ra": 0.0, "dec": 1.0},
    )
    with caplog.at_level(logging.INFO, logger="daxa.missions"):
        out = xmm.normalise(raw, now=NOW)
    assert ids(out) == ["0000000001", "0000000005"]
    assert "dropped 2 of 5 rows (no usable RA/Dec)" in caplog.text
    assert "dropped 1 of 3 rows (placeholder position (0, 0))" in caplog.text


def test_xsa_science_usable_is_with_science_and_public_from_proprietary_end():
    raw = frame(
        R.xmm_xsa_row(),
        {"observation_id": "0000000001"},
        {"observation_id": "0000000002", "with_science": False},
        {"observation_id": "0000000003", "proprietary_end_date": None},
        {"observation_id": "0000000004", "proprietary_end_date": "2999-12-31T00:00:00"},
    )
    out = {r["obs_id"]: r for r in xmm.normalise(raw, now=NOW).iter_rows(named=True)}
    assert out["0000000001"]["science_usable"] and not out["0000000002"]["science_usable"]
    assert out["0000000001"]["public"]
    assert out["0000000001"]["proprietary_end"] == datetime(2011, 1, 1, tzinfo=UTC)
    assert not out["0000000003"]["public"] and not out["0000000004"]["public"]
    row = out["0000000001"]
    assert row["start"] == datetime(2010, 1, 1, tzinfo=UTC)
    assert row["end"] == datetime(2010, 1, 1, 12, tzinfo=UTC)
    assert row["exposure"] == 43_200.0 and row["revolution"] == 1800
    assert row["target_name"] == "X" and row["target_category"] is None


def test_xsa_with_science_as_strings_and_integer_obsids():
    raw = frame(R.xmm_xsa_row(), {"with_science": True}).with_columns(
        pl.lit("false").alias("with_science"), pl.lit(110101).alias("observation_id")
    )
    out = xmm.normalise(raw, now=NOW)
    assert out["obs_id"].to_list() == ["0000110101"] and not out["science_usable"][0]


def test_xsa_answer_without_a_target_column():
    # the XSA column list astroquery documents has no target name
    raw = frame(R.xmm_xsa_row(), {}).drop("target")
    out = xmm.normalise(raw, now=NOW)
    assert out.height == 1 and out["target_name"][0] is None
    assert out["obs_id"][0] == "0123456701" and out["science_usable"][0]


def test_heasarc_keeps_processed_and_archived_and_everything_is_usable():
    statuses = ["archived", "processed", "scheduled", "observed", "accepted", "unscheduled"]
    raw = frame(
        R.xmm_heasarc_row(),
        *({"obsid": f"000000000{i}", "status": s} for i, s in enumerate(statuses)),
    )
    out = xmm.normalise(raw, now=NOW)
    assert ids(out) == ["0000000000", "0000000001"]
    assert out["science_usable"].all()


def test_heasarc_placeholder_public_dates_and_data_in_heasarc():
    raw = frame(
        R.xmm_heasarc_row(),
        {"obsid": "0000000001"},
        {"obsid": "0000000002", "public_date": 0},
        {"obsid": "0000000003", "public_date": 416422},
        {"obsid": "0000000004", "data_in_heasarc": "N"},
    )
    out = {r["obs_id"]: r for r in xmm.normalise(raw, now=NOW).iter_rows(named=True)}
    assert out["0000000001"]["public"]
    assert out["0000000001"]["proprietary_end"] == datetime(2011, 2, 8, tzinfo=UTC)  # MJD 55600
    for obs in ("0000000002", "0000000003"):
        assert out[obs]["proprietary_end"] is None and not out[obs]["public"]
    assert not out["0000000004"]["public"]
    assert out["0000000001"]["start"] == datetime(2010, 1, 1, tzinfo=UTC)


def test_source_is_detected_by_columns():
    with pytest.raises(SchemaError, match="neither 'observation_id' \\(XSA\\) nor 'obsid'"):
        xmm.normalise(pl.DataFrame({"ra": [1.0], "dec": [1.0]}), now=NOW)
    out = xmm.normalise(frame(R.xmm_heasarc_row()).rename(str.upper), now=NOW)
    validate(out, mission="xmm_pointed")
    assert out.height == 1
