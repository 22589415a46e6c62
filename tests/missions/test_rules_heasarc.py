"""DESIGN §3.1 rules and §6 category maps of the HEASARC-table missions, one test per rule."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from daxa.errors import SchemaError
from daxa.missions import asca, chandra, integral, nustar, rosat, suzaku, swift, xrism
from daxa.schema import validate
from tests.missions import _raw as R
from tests.missions._raw import NOW, frame


def by_id(table: pl.DataFrame) -> dict[str, dict]:
    return {r["obs_id"]: r for r in table.iter_rows(named=True)}


# --- Chandra -------------------------------------------------------------------------------


def test_chandra_keeps_only_processed_and_archived(caplog):
    statuses = ["archived", "processed", "observed", "scheduled", "unobserved", "canceled"]
    raw = frame(R.chandra_row(), *({"obsid": i + 1, "status": s} for i, s in enumerate(statuses)))
    with caplog.at_level(logging.INFO, logger="daxa.missions"):
        out = chandra.normalise(raw, now=NOW)
    assert sorted(out["obs_id"]) == ["1", "2"]
    assert "chandra: dropped 4 of 6 rows" in caplog.text


def test_chandra_instrument_is_detector_before_dash_and_grating_is_kept():
    rows = [("ACIS-I", "NONE"), ("ACIS-S", "HETG"), ("HRC-I", "NONE"), ("HRC-S", "LETG")]
    raw = frame(
        R.chandra_row(),
        *({"obsid": i, "detector": d, "grating": g} for i, (d, g) in enumerate(rows)),
    )
    out = chandra.normalise(raw, now=NOW).sort("obs_id")
    assert out["instrument"].to_list() == ["ACIS", "ACIS", "HRC", "HRC"]
    assert out["detector"].to_list() == ["ACIS-I", "ACIS-S", "HRC-I", "HRC-S"]
    assert out["grating"].to_list() == ["NONE", "HETG", "NONE", "LETG"]


def test_chandra_end_is_start_plus_exposure_and_zero_exposure_is_unusable():
    raw = frame(R.chandra_row(), {"obsid": 1, "exposure": 12_345.6}, {"obsid": 2, "exposure": 0.0})
    out = by_id(chandra.normalise(raw, now=NOW))
    start = datetime(2010, 1, 1, tzinfo=UTC)
    assert out["1"]["start"] == start
    assert out["1"]["end"] == start + timedelta(seconds=12_345.6)
    assert out["1"]["duration"] == timedelta(seconds=12_345.6)
    assert out["1"]["science_usable"] and not out["2"]["science_usable"]
    assert out["2"]["end"] == start


def test_chandra_absurd_exposure_is_flagged_not_fatal():
    raw = frame(
        R.chandra_row(),
        {"obsid": 6616, "exposure": 49_578_750.0, "time": 53790.19005787},
        {"obsid": 2, "exposure": 190_000.0},
    )
    out = by_id(chandra.normalise(raw, now=NOW))
    bad, fine = out["6616"], out["2"]
    assert bad["exposure_flagged"] and not fine["exposure_flagged"]
    assert bad["exposure"] is None and fine["exposure"] == 190_000.0
    assert bad["start"] == datetime(2006, 2, 24, 4, 33, 41, tzinfo=UTC)
    assert bad["end"] - bad["start"] == timedelta(seconds=chandra.ABSURD_EXPOSURE_S)
    assert bad["science_usable"]


def test_chandra_categories_from_class_then_proposal_type():
    rows = [
        ("AGN UNCLASSIFIED", "GO", "AGN"),
        ("EXTENDED GALACTIC OR EXTRAGALACTIC", "GO", "EGE"),
        ("X-RAY BINARY", "GO", "GS"),
        ("CV", "GO", "GS"),
        ("Calibration Observations", "CAL", "CAL"),
        ("SNR", "TOO", "SNR"),
        ("NON-ACTIVE GALAXY", "GO", "NGS"),
        ("CLUSTER OF GALAXIES", "GTO", "GCL"),
        ("Non-Pointing data", "TOO", "TOO"),
        ("Non-Pointing data", "DDT", "TOO"),
        ("Non-Pointing data", "CAL", "CAL"),
        ("Non-Pointing data", "GO", "MISC"),
        ("SOMETHING ARCHIVES ADD LATER", "GO", "MISC"),
        (None, None, "MISC"),
    ]
    raw = frame(
        R.chandra_row(), *({"obsid": i, "class": c, "type": t} for i, (c, t, _) in enumerate(rows))
    )
    out = chandra.normalise(raw, now=NOW).sort(pl.col("obs_id").cast(pl.Int64))
    assert out["target_category"].to_list() == [want for *_, want in rows]


def test_chandra_public_date_zero_is_unknown_and_not_public():
    raw = frame(
        R.chandra_row(),
        {"obsid": 1, "public_date": 55600},
        {"obsid": 2, "public_date": 0},
        {"obsid": 3, "public_date": 60800},
    )
    out = by_id(chandra.normalise(raw, now=NOW))
    assert out["1"]["public"] and out["1"]["proprietary_end"] == datetime(2011, 2, 8, tzinfo=UTC)
    assert out["2"]["proprietary_end"] is None and not out["2"]["public"]
    assert not out["3"]["public"]


# --- NuSTAR --------------------------------------------------------------------------------


def test_nustar_keeps_science_inertial_processed_only(caplog):
    cases = [
        {},
        {"observation_mode": "SLEW"},
        {"observation_mode": "CALIBRATION"},
        {"spacecraft_mode": "STELLAR"},
        {"spacecraft_mode": "SLEW"},
        {"status": "accepted", "exposure_a": -1000.0},
        {"status": "processed"},
    ]
    raw = frame(R.nustar_row(), *({**c, "obsid": f"6000100100{i}"} for i, c in enumerate(cases)))
    with caplog.at_level(logging.INFO, logger="daxa.missions"):
        out = nustar.normalise(raw, now=NOW)
    assert sorted(out["obs_id"]) == ["60001001000", "60001001006"]
    assert "spacecraft_mode not INERTIAL: SLEW, STELLAR" in caplog.text


def test_nustar_both_ontimes_zero_is_unusable_one_is_enough():
    raw = frame(
        R.nustar_row(),
        {"obsid": "60001001001", "ontime_a": 0.0, "ontime_b": 0.0},
        {"obsid": "60001001002", "ontime_a": 0.0, "exposure_a": 0.0},
    )
    out = by_id(nustar.normalise(raw, now=NOW))
    assert not out["60001001001"]["science_usable"]
    assert out["60001001002"]["science_usable"]
    assert out["60001001002"]["exposure_fpma"] == 0.0
    assert out["60001001002"]["exposure_fpmb"] == 19_800.0
    assert out["60001001002"]["exposure"] == 19_800.0


def test_nustar_time_zero_rows_have_no_dates_and_are_not_usable():
    # numaster writes time = 0 for approved targets not yet observed: never 1858-11-17
    raw = frame(
        R.nustar_row(),
        {"obsid": "60001001002"},
        {"obsid": "60001001004", "time": 0.0, "end_time": 0.0},
    )
    out = by_id(nustar.normalise(raw, now=NOW))
    assert out["60001001002"]["start"] == datetime(2010, 1, 1, tzinfo=UTC)
    waiting = out["60001001004"]
    assert waiting["start"] is None and waiting["end"] is None and waiting["duration"] is None
    assert not waiting["science_usable"]


def test_nustar_categories_obsid_padding_and_blank_public_date():
    raw = frame(
        R.nustar_row(),
        {
            "obsid": "501005002",
            "subject_category": "Proposed ToOs and Directors Discretionary Time",
        },
        {
            "obsid": "30001001002",
            "subject_category": "Galactic Compact Sources",
            "public_date": None,
        },
        {"obsid": "10001001002", "subject_category": "Brand New Category"},
    )
    out = by_id(nustar.normalise(raw, now=NOW))
    assert out["00501005002"]["target_category"] == "TOO"
    assert out["30001001002"]["target_category"] == "GS"
    assert not out["30001001002"]["public"] and out["30001001002"]["proprietary_end"] is None
    assert out["10001001002"]["target_category"] == "MISC"


@pytest.mark.parametrize(("category", "code"), list(nustar.CATEGORY_MAP.items()))
def test_nustar_category_map(category, code):
    raw = frame(R.nustar_row(), {"subject_category": category.upper()})
    assert nustar.normalise(raw, now=NOW)["target_category"][0] == code


def test_nustar_category_map_covers_design():
    assert nustar.CATEGORY_MAP["Active galaxies and Quasars"] == "AGN"
    assert (
        nustar.CATEGORY_MAP["Non-ToO Supernovae, Supernova Remnants, and Galactic diffuse"] == "SNR"
    )
    assert nustar.CATEGORY_MAP["Galaxy clusters and extragalactic diffuse objects"] == "GCL"
    assert nustar.CATEGORY_MAP["Solar System Objects"] == "SOL"
    assert nustar.CATEGORY_MAP["Normal galaxies"] == "NGS"


# --- ROSAT ---------------------------------------------------------------------------------


def test_rosat_bare_pspc_means_pspcb():
    raw = frame(
        R.rosat_row(),
        {"seq_id": "RP100001N00", "instrument": "PSPC"},
        {"seq_id": "RP100002N00", "instrument": "PSPCC"},
        {"seq_id": "RH100003N00", "instrument": "HRI"},
    )
    out = rosat.normalise_pointed(raw, now=NOW).sort("obs_id")
    assert out["instrument"].to_list() == ["HRI", "PSPCB", "PSPCC"]


def test_rosat_zero_exposure_is_kept_but_unusable_and_ids_upper_case():
    raw = frame(R.rosat_row(), {"exposure": 0}, {"seq_id": "wp900001a01"})
    out = by_id(rosat.normalise_pointed(raw, now=NOW))
    assert not out["RP701867N00"]["science_usable"]
    assert out["WP900001A01"]["science_usable"]
    assert out["RP701867N00"]["public"] and out["RP701867N00"]["proprietary_end"] is None


def test_rosat_subject_codes():
    codes = list(range(12)) + [None]
    want = ["MISC", "STR", "STR", "CV", "NS", "SNR", "NGS", "AGN", "GCL", "EGE", "MISC"]
    raw = frame(
        R.rosat_row(),
        *({"seq_id": f"RP1000{i:02d}N00", "subj_cat": c} for i, c in enumerate(codes)),
    )
    out = rosat.normalise_pointed(raw, now=NOW).sort("obs_id")
    assert out["target_category"].to_list() == [*want, "MISC", "MISC"]


def test_rass_is_all_sky_survey_category():
    raw = frame(R.rass_row(), {}, {"seq_id": "RS930522N00", "exposure": 0})
    out = rosat.normalise_all_sky(raw, now=NOW).sort("obs_id")
    assert out["target_category"].to_list() == ["ASK", "ASK"]
    assert out["science_usable"].to_list() == [True, False]
    assert out["start"][0] == datetime(1990, 7, 28, tzinfo=UTC)  # MJD 48100


# --- Swift, Suzaku, ASCA -------------------------------------------------------------------


def test_swift_all_exposures_zero_is_unusable_and_category_misc():
    zero = {"xrt_exposure": 0.0, "uvot_exposure": 0.0, "bat_exposure": 0.0}
    raw = frame(
        R.swift_row(),
        {**zero, "obsid": "00031234001"},
        {**zero, "bat_exposure": 155.0, "obsid": "00031234002"},
        {"obsid": "31234003"},
    )
    out = by_id(swift.normalise(raw, now=NOW))
    assert not out["00031234001"]["science_usable"]
    assert out["00031234002"]["science_usable"]
    assert out["00031234002"]["exposure"] == 155.0
    assert out["00031234003"]["exposure_xrt"] == 1500.0  # integer-typed id padded to 11
    assert {r["target_category"] for r in out.values()} == {"MISC"}


def test_suzaku_all_xis_zero_is_unusable_and_category_codes():
    zero = {f"xis{i}_expo": 0.0 for i in range(4)}
    codes = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12]
    want = ["MISC", "CAL", "MISC", "MISC", "GS", "GS", "MISC", "EGS", "GCL", "TOO", "MISC"]
    raw = frame(
        R.suzaku_row(),
        {**zero, "obsid": "100000010"},
        *({"obsid": f"7000{i:02d}010", "category_code": c} for i, c in enumerate(codes)),
    )
    out = by_id(suzaku.normalise(raw, now=NOW))
    assert not out["100000010"]["science_usable"]
    assert out["700000010"]["science_usable"]
    assert [out[f"7000{i:02d}010"]["target_category"] for i in range(len(codes))] == want


def test_asca_both_exposures_zero_is_unusable_and_integer_ids_become_strings():
    raw = frame(
        R.asca_row(),
        {"sequence_number": 15000090, "gis_exposure": 0.0, "sis_exposure": 0.0},
        {"sequence_number": 40022010, "gis_exposure": 0.0},
    )
    out = by_id(asca.normalise(raw, now=NOW))
    assert not out["15000090"]["science_usable"]
    assert out["40022010"]["science_usable"] and out["40022010"]["exposure"] == 18_000.0


def test_asca_categories():
    cats = {
        "AGN": "AGN",
        "SUPERNOVA REMNANTS AND GALACTIC DIFFUSE EMISSION": "SNR",
        "CLUSTERS OF GALAXIES AND SUPERCLUSTERS": "GCL",
        "STARS": "GS",
        "X RAY BINARIES": "XRB",
        "COSMIC X-RAY BACKGROUND AND DEEP SURVEYS AND OTHER": "EGS",
        "NORMAL GALAXIES": "NGS",
        "CATACLYSMIC VARIABLES": "CV",
        "GAMMA RAY BURSTS": "MISC",
    }
    raw = frame(
        R.asca_row(),
        *({"sequence_number": 10_000_000 + i, "subject_category": c} for i, c in enumerate(cats)),
    )
    out = asca.normalise(raw, now=NOW).sort("obs_id")
    assert out["target_category"].to_list() == list(cats.values())


# --- INTEGRAL ------------------------------------------------------------------------------


def test_integral_public_from_data_in_heasarc_and_all_good_zero_unusable():
    zero = {f"good_{i}": 0.0 for i in ("jemx1", "jemx2", "isgri", "picsit", "spi")}
    raw = frame(
        R.integral_row(),
        {"scw_id": "218500510010"},
        {"scw_id": "218500520010", "data_in_heasarc": "N"},
        {**zero, "scw_id": "218500530010"},
    )
    out = by_id(integral.normalise(raw, now=NOW))
    assert out["218500510010"]["public"] and not out["218500520010"]["public"]
    assert not out["218500530010"]["science_usable"]
    assert out["218500510010"]["scw_ver"] == "001"
    assert out["218500510010"]["target_category"] == "MISC"
    assert out["218500510010"]["exposure_isgri"] == 2990.0


def test_integral_public_needs_status_public_and_data_at_heasarc():
    # intscw lists PRIVATE windows whose data HEASARC already holds (DATA_IN_HEASARC = Y)
    raw = frame(
        {**R.integral_row(), "status": "PUBLIC"},
        {"scw_id": "218500510010"},
        {"scw_id": "218500520010", "status": "PRIVATE"},
        {"scw_id": "218500530010", "status": "public", "data_in_heasarc": "N"},
        {"scw_id": "218500540010", "status": "public "},
        {"scw_id": "218500550010", "status": None},
    )
    out = by_id(integral.normalise(raw, now=NOW))
    assert {k: v["public"] for k, v in out.items()} == {
        "218500510010": True,
        "218500520010": False,
        "218500530010": False,
        "218500540010": True,
        "218500550010": False,
    }
    assert "status" in integral.INTEGRAL_POINTED.source.optional


def test_integral_keeps_pointings_when_a_scw_type_column_exists():
    raw = frame(
        {**R.integral_row(), "scw_type": "POINTING"},
        {"scw_id": "218500510010"},
        {"scw_id": "218500520011", "scw_type": "SLEW"},
        {"scw_id": "218500530010", "scw_type": "pointing"},
        {"scw_id": "218500540010", "scw_type": "OTHER"},
    )
    out = integral.normalise(raw, now=NOW)
    assert sorted(out["obs_id"]) == ["218500510010", "218500530010"]


# --- XRISM ---------------------------------------------------------------------------------


def test_xrism_zero_exposure_unusable_and_placeholder_public_dates_null():
    raw = frame(
        R.xrism_row(),
        {"obsid": "300000010", "public_date": 60700},
        {"obsid": "300000020", "public_date": 0, "exposure": 0.0},
        {"obsid": "300000030", "public_date": 88068},
    )
    out = by_id(xrism.normalise(raw, now=NOW))
    assert out["300000010"]["public"]
    assert out["300000010"]["proprietary_end"] == datetime(2025, 1, 25, tzinfo=UTC)  # MJD 60700
    for obs in ("300000020", "300000030"):
        assert out[obs]["proprietary_end"] is None and not out[obs]["public"]
    assert not out["300000020"]["science_usable"] and out["300000030"]["science_usable"]


def test_xrism_categories_and_instrument_exposures():
    cats = dict(xrism.CATEGORY_MAP) | {"Dark Matter Searches": "MISC"}
    raw = frame(
        R.xrism_row(),
        *({"obsid": f"3000{i:02d}010", "subject_category": c} for i, c in enumerate(cats)),
        {"obsid": "300099010", "rsl_datamode": None},
    )
    out = by_id(xrism.normalise(raw, now=NOW))
    got = [out[f"3000{i:02d}010"]["target_category"] for i in range(len(cats))]
    assert got == list(cats.values())
    assert out["300000010"]["exposure_resolve"] == 40_000.0
    assert out["300000010"]["exposure_xtend"] == 35_000.0
    assert out["300099010"]["exposure_resolve"] == 0.0


# --- shared behaviour ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("normalise", "row", "mission"),
    [
        (chandra.normalise, R.chandra_row, "chandra"),
        (nustar.normalise, R.nustar_row, "nustar_pointed"),
        (swift.normalise, R.swift_row, "swift"),
        (integral.normalise, R.integral_row, "integral_pointed"),
    ],
)
def test_rows_without_a_position_are_dropped_and_logged(normalise, row, mission, caplog):
    raw = frame(row(), {}, {"ra": None}, {"dec": float("nan")}, {"dec": 95.0})
    with caplog.at_level(logging.INFO, logger="daxa.missions"):
        out = normalise(raw, now=NOW)
    assert out.height == 1
    assert f"{mission}: dropped 3 of 4 rows (no usable RA/Dec)" in caplog.text
    validate(out, mission=mission)


def test_public_follows_now():
    raw = frame(R.chandra_row(), {"public_date": 55600})  # MJD 55600 = 2011-02-08
    assert chandra.normalise(raw, now=datetime(2011, 2, 8))["public"][0]
    assert not chandra.normalise(raw, now=datetime(2011, 2, 7, 23, 59, tzinfo=UTC))["public"][0]


def test_upper_case_fits_columns_and_padded_strings_are_read():
    raw = frame(R.swift_row()).rename(str.upper).with_columns(pl.lit("  X  ").alias("NAME"))
    out = swift.normalise(raw, now=NOW)
    assert out["target_name"][0] == "X" and out["obs_id"][0] == "00031234001"


def test_missing_required_column_is_a_schema_error():
    raw = frame(R.chandra_row()).drop("detector")
    with pytest.raises(SchemaError, match="raw chandra table lacks column.*'detector'"):
        chandra.normalise(raw, now=NOW)


def test_empty_raw_table_gives_an_empty_valid_table():
    out = suzaku.normalise(frame(R.suzaku_row()).clear(), now=NOW)
    assert out.height == 0
    validate(out, mission="suzaku")
