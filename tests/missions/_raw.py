"""Hand-built raw archive rows for the normaliser rule tests.

Each ``*_row`` returns one typical raw row (the service's column names and types); tests
override the fields a rule looks at and build a frame with :func:`frame`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

NOW = datetime(2025, 2, 3, tzinfo=UTC)
MJD_2010 = 55197.0  # 2010-01-01T00:00:00 UTC


def frame(base: dict[str, Any], *overrides: dict[str, Any]) -> pl.DataFrame:
    """One row per override dict, each ``base`` updated by it (nulls allowed)."""
    rows = [{**base, **o} for o in (overrides or ({},))]
    schema = {k: _dtype(k, [r[k] for r in rows]) for k in base}
    return pl.DataFrame(rows, schema=schema)


def _dtype(name: str, values: list[Any]) -> pl.DataType:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return pl.Boolean()
    if isinstance(sample, int):
        return pl.Int32()
    if isinstance(sample, float):
        return pl.Float64()
    return pl.String()


def chandra_row() -> dict[str, Any]:
    return {
        "ra": 83.633, "dec": 22.0145, "time": MJD_2010, "obsid": 1234, "status": "archived",
        "detector": "ACIS-S", "grating": "NONE", "exposure": 10_000.0, "type": "GO",
        "data_mode": "TE_00958", "class": "SNR", "public_date": 55600, "name": "CRAB",
    }  # fmt: skip


def xmm_heasarc_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "obsid": "0123456701", "time": MJD_2010,
        "end_time": MJD_2010 + 0.5, "status": "archived", "duration": 43_200.0,
        "public_date": 55600, "data_in_heasarc": "Y", "xmm_revolution": 1800, "name": "X",
    }  # fmt: skip


def xmm_xsa_row() -> dict[str, Any]:
    return {
        "observation_id": "0123456701", "ra": 10.0, "dec": 20.0,
        "start_utc": "2010-01-01T00:00:00", "end_utc": "2010-01-01T12:00:00",
        "duration": 43_200, "with_science": True, "proprietary_end_date": "2011-01-01T00:00:00",
        "revolution": 1800, "target": "X",
    }  # fmt: skip


def nustar_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "time": MJD_2010, "end_time": MJD_2010 + 1.0,
        "obsid": "60001001002", "status": "archived", "exposure_a": 20_000.0,
        "exposure_b": 19_800.0, "ontime_a": 21_000.0, "ontime_b": 21_000.0,
        "observation_mode": "SCIENCE", "spacecraft_mode": "INERTIAL", "instrument_mode": "NORMAL",
        "subject_category": "Active galaxies and Quasars", "obs_type": "GO",
        "public_date": 55600.0, "issue_flag": 0, "nupsdout": 0, "name": "X",
    }  # fmt: skip


def rosat_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "seq_id": "rp701867n00", "start_time": 48500.0,
        "end_time": 48501.0, "exposure": 8000, "fits_type": "RDF 4_0", "instrument": "PSPCB",
        "filter": "N", "proc_rev": 2, "subj_cat": 7, "name": "X", "site": "MPE",
    }  # fmt: skip


def rass_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "seq_id": "RS930521N00", "start_date": 48100.0,
        "end_date": 48200.0, "exposure": 400,
    }  # fmt: skip


def swift_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "roll_angle": 100.0, "obsid": "00031234001",
        "start_time": MJD_2010, "stop_time": MJD_2010 + 0.1, "xrt_exposure": 1500.0,
        "uvot_exposure": 1400.0, "bat_exposure": 1600.0, "name": "X",
    }  # fmt: skip


def suzaku_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "obsid": "704019010", "time": 54500.0, "stop_time": 54501.0,
        "category_code": 7, "xis0_expo": 40_000.0, "xis1_expo": 40_000.0, "xis2_expo": 0.0,
        "xis3_expo": 40_000.0, "name": "X",
    }  # fmt: skip


def asca_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "sequence_number": 48002000, "time": 50000.0,
        "end_time": 50001.0, "subject_category": "AGN", "status": "archived",
        "gis_exposure": 20_000.0, "sis_exposure": 18_000.0, "name": "X",
    }  # fmt: skip


def integral_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "scw_id": "218500510010", "scw_ver": "001",
        "start_date": 58870.0, "end_date": 58870.04, "spi_mode": 41, "good_jemx1": 3000.0,
        "good_jemx2": 3000.0, "good_isgri": 2990.0, "good_picsit": 2800.0, "good_spi": 3000.0,
        "data_in_heasarc": "Y",
    }  # fmt: skip


def xrism_row() -> dict[str, Any]:
    return {
        "ra": 10.0, "dec": 20.0, "obsid": "300050010", "time": 60400.0, "end_time": 60401.0,
        "duration": 86_400.0, "exposure": 40_000.0, "xtd_expo": 35_000.0,
        "subject_category": "Supernova Remnants", "rsl_datamode": "PX_NORMAL",
        "public_date": 60700, "name": "X",
    }  # fmt: skip
