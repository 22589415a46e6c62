"""The ROSAT and INTEGRAL normalisers on real HEASARC tables (W3Browse answers, FITS and VOTable).

W3Browse reads the same database tables as HEASARC's TAP service but spells columns its own
way (upper case in FITS, plus ``Search_Offset`` and ``w3___row``); :func:`as_tap` maps an answer
to what daxa's TAP query would return: lower-case names, only the columns the mission asks for.
Every expectation comes from the file itself, read with astropy (FITS) or the standard library
(VOTable cell texts), and MJDs are converted with astropy's ``Time``.
"""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
import pytest

from daxa.frames import astropy_table_to_polars
from daxa.missions.integral import INTEGRAL_POINTED
from daxa.missions.rosat import ROSAT_POINTED
from daxa.missions.spec import Mission
from daxa.services.answers import parse_votable
from daxa.testing import shared_data_dir

SHARED = shared_data_dir()
BROWSE = SHARED / "responses" / "heasarc_browse" if SHARED is not None else None
pytestmark = pytest.mark.skipif(
    BROWSE is None or not BROWSE.is_dir(), reason="shared recorded HEASARC tables absent"
)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def as_tap(raw: pl.DataFrame, mission: Mission) -> pl.DataFrame:
    """A W3Browse answer as HEASARC TAP gives it for the columns ``mission`` asks for."""
    lower = raw.rename({c: c.lower() for c in raw.columns})
    return lower.select([c for c in mission.source.columns if c in lower.columns])


def truth(name: str) -> dict[str, list[Any]]:
    """Each column of a recorded file as Python values (None for null), read independently."""
    assert BROWSE is not None
    file = BROWSE / name
    if name.endswith(".fits"):
        from astropy.table import Table

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            table = Table.read(file)
        out = {}
        for column in table.colnames:
            mask = np.ma.getmaskarray(table[column])
            values = [
                v.decode() if isinstance(v, bytes) else v for v in np.ma.getdata(table[column])
            ]
            out[column.lower()] = [None if m else v for v, m in zip(values, mask, strict=True)]
        return out
    root = ET.fromstring(file.read_bytes())
    names = [el.get("name", "").lower() for el in root.iter() if el.tag.endswith("FIELD")]
    rows = [
        [(td.text or "").strip() or None for td in tr]
        for tr in root.iter()
        if tr.tag.endswith("TR")
    ]
    return {n: [row[i] for row in rows] for i, n in enumerate(names)}


def read_raw(name: str) -> pl.DataFrame:
    assert BROWSE is not None
    file = BROWSE / name
    if name.endswith(".fits"):
        from astropy.table import Table

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return astropy_table_to_polars(Table.read(file))
    return parse_votable(file.read_bytes())


def utc(mjds: list[Any]) -> list[datetime | None]:
    """astropy's reading of each MJD (UTC), None for no value (one vectorised call)."""
    from astropy.time import Time

    values = [number(m) for m in mjds]
    known = [v for v in values if v is not None]
    converted = iter(
        Time(known, format="mjd", scale="utc").to_datetime(timezone=UTC) if known else []
    )
    return [None if v is None else next(converted) for v in values]


def close(ours: datetime | None, theirs: datetime | None) -> bool:
    if ours is None or theirs is None:
        return ours is theirs
    return abs((ours - theirs).total_seconds()) <= 0.001


def number(value: Any) -> float | None:
    return None if value is None or str(value).strip() == "" else float(value)


ROSMASTER = [
    "rosmaster_all_columns_1000rows.fits",
    "rosmaster_all_columns_1000rows_votable10.xml",
    "rosmaster_83rows_2024.fits",  # START/END_TIME as strings
]


@pytest.mark.parametrize("name", ROSMASTER)
def test_rosmaster_normalises_with_nulls_kept(name: str) -> None:
    t = truth(name)
    out = ROSAT_POINTED.normalise(as_tap(read_raw(name), ROSAT_POINTED), now=NOW)
    placed = [
        i
        for i, (ra, dec) in enumerate(zip(t["ra"], t["dec"], strict=True))
        if ra is not None and dec is not None
    ]
    assert out.height == len(placed) > 0
    assert out["obs_id"].to_list() == [str(t["seq_id"][i]).strip().upper() for i in placed]
    assert out["public"].all()  # the mission ended in 1999
    for column, ours in (("start_time", "start"), ("end_time", "end")):
        expected = utc([t[column][i] for i in placed])
        got = out[ours].to_list()
        assert all(close(g, e) for g, e in zip(got, expected, strict=True)), column
    exposure = [number(t["exposure"][i]) for i in placed]
    assert out["exposure"].to_list() == exposure
    assert out["science_usable"].to_list() == [e is not None and e > 0 for e in exposure]
    assert set(out["instrument"].to_list()) <= {"PSPCB", "PSPCC", "HRI"}
    assert (
        out.filter(pl.col("start").is_null() | pl.col("end").is_null())["duration"].is_null().all()
    )


def test_rosmaster_null_times_stay_null() -> None:
    name = "rosmaster_all_columns_1000rows.fits"
    t = truth(name)
    unknown = sum(v is None for v in t["start_time"])
    assert unknown > 0  # the recorded table has rows without a start
    out = ROSAT_POINTED.normalise(as_tap(read_raw(name), ROSAT_POINTED), now=NOW)
    assert out["start"].null_count() == unknown
    assert out["start"].drop_nulls().dt.year().min() >= 1990  # never MJD 0 (1858)


INTSCW = [
    "intscw_all_columns_1000rows.fits",
    "intscw_all_columns_1000rows_votable10.xml",
    "intscw_627rows_2021.fits",
]


@pytest.mark.parametrize("name", INTSCW)
def test_intscw_public_needs_public_status_and_data_at_heasarc(name: str) -> None:
    t = truth(name)
    out = INTEGRAL_POINTED.normalise(as_tap(read_raw(name), INTEGRAL_POINTED), now=NOW)
    kept = [
        i
        for i, kind in enumerate(t["scw_type"])
        if str(kind).strip().upper() == "POINTING" and t["ra"][i] is not None
    ]
    assert out.height == len(kept) > 0
    assert out["obs_id"].to_list() == [str(t["scw_id"][i]).strip() for i in kept]
    public = [
        str(t["status"][i]).strip().upper() == "PUBLIC"
        and str(t["data_in_heasarc"][i]).strip().upper() == "Y"
        for i in kept
    ]
    assert out["public"].to_list() == public
    private_at_heasarc = sum(
        str(t["status"][i]).strip().upper() == "PRIVATE"
        and str(t["data_in_heasarc"][i]).strip().upper() == "Y"
        for i in kept
    )
    assert private_at_heasarc > 0  # the rows a data_in_heasarc-only rule marked public
    for inst in ("isgri", "spi", "jemx1", "jemx2", "picsit"):
        expected = [number(t[f"good_{inst}"][i]) for i in kept]
        assert out[f"exposure_{inst}"].to_list() == expected, inst
    starts = utc([t["start_date"][i] for i in kept])
    assert all(close(g, e) for g, e in zip(out["start"].to_list(), starts, strict=True))


def test_intscw_empty_exposure_cells_stay_null() -> None:
    name = "intscw_all_columns_1000rows_votable10.xml"
    t = truth(name)
    pointings = [i for i, k in enumerate(t["scw_type"]) if str(k).upper() == "POINTING"]
    empty = sum(t["good_isgri"][i] is None for i in pointings)
    out = INTEGRAL_POINTED.normalise(as_tap(read_raw(name), INTEGRAL_POINTED), now=NOW)
    assert out["exposure_isgri"].null_count() == empty


def test_the_adapter_keeps_only_what_daxa_asks_for() -> None:
    raw = read_raw("intscw_all_columns_1000rows.fits")
    assert "SEARCH_OFFSET_" in raw.columns and "status" not in raw.columns
    tap = as_tap(raw, INTEGRAL_POINTED)
    assert set(tap.columns) == set(INTEGRAL_POINTED.source.columns)
