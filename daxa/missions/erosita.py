"""eROSITA: the CalPV (EDR) observation list and the eRASS1 DE DR1 sky tiles."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from daxa.missions import _normalise as N
from daxa.missions.spec import Instrument, Mission, TableSource

_TMS = tuple(Instrument(f"TM{i}", 0.0) for i in range(1, 8))


def _with_fov(fov_deg: float) -> tuple[Instrument, ...]:
    return tuple(Instrument(t.name, fov_deg) for t in _TMS)


def normalise_calpv(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """The CalPV list (CSV or FITS) → standard schema.

    ObsIDs are 6-digit strings; times are ISO strings (seconds = 60 read as the next minute).
    ``field_name`` (also ``target_name``) and ``field_type`` (SURVEY, MAGELLANIC_CLOUDS,
    GALACTIC_FIELDS, EXTRAGALACTIC_FIELDS) select fields; ``active_insts`` is the list of
    telescope modules that observed (e.g. ``["TM5", "TM6", "TM7"]``); ``download_url`` is the
    field's tarball. The list gives no exposure (null). All data are public (EDR).
    """
    name = "erosita_calpv"
    df = N.prepare(raw, name, ["obsid", "start", "end", "ra", "dec", "field_name", "field_type"])
    usable = (
        N.flag("science_usable", df).fill_null(True)
        if "science_usable" in df.columns
        else pl.lit(True)
    )
    insts = (
        N.text("active_insts", df).str.to_uppercase().str.replace_all(r"\s", "").str.split(",")
        if "active_insts" in df.columns
        else pl.lit(None, pl.List(pl.String))
    )
    df = df.select(
        N.obs_id("obsid", df, width=6).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.iso_to_utc("start", df).alias("start"),
        N.iso_to_utc("end", df).alias("end"),
        usable.alias("science_usable"),
        pl.lit(True).alias("public"),
        N.text("field_name", df).alias("target_name"),
        N.text("field_name", df).alias("field_name"),
        N.text("field_type", df).str.to_uppercase().alias("field_type"),
        insts.alias("active_insts"),
        N.text("download", df).alias("download_url"),
    )
    return N.finish(df, name, extras=["field_name", "field_type", "active_insts", "download_url"])


def normalise_erass1_de(raw: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """The eRASS1 DE tile list (CSV or FITS) → standard schema.

    One row per sky tile; ObsID is the tile id RRRDDD (RA in degrees, Dec counted from the
    north pole), zero-padded to 6 digits. Times are ISO strings (seconds = 60 read as the next
    minute). Kept: ``owner``, the tile bounds ``ra_min``/``ra_max``/``dec_min``/``dec_max``,
    ``x_min``/``y_min``, ``n_nbrs`` and ``neighbours`` (neighbouring tile ids, without the
    ``000000`` padding). No exposure figure (null); all tiles public and usable.
    """
    name = "erosita_all_sky_de_dr1"
    df = N.prepare(raw, name, ["obsid", "ra", "dec", "start", "end"])
    fields = sorted(
        (c for c in df.columns if c.startswith("field") and c[5:].isdigit()),
        key=lambda c: int(c[5:]),
    )
    if fields:
        ids = pl.concat_list([N.obs_id(f, df, width=6) for f in fields])
        neighbours = ids.list.eval(pl.element().filter(pl.element().str.strip_chars("0") != ""))
    else:
        neighbours = pl.lit(None, pl.List(pl.String))
    bounds = ["ra_min", "ra_max", "dec_min", "dec_max", "x_min", "y_min"]
    counts = ["owner", "n_nbrs"]
    df = df.select(
        N.obs_id("obsid", df, width=6).alias("obs_id"),
        N.num("ra").alias("ra"),
        N.num("dec").alias("dec"),
        N.iso_to_utc("start", df).alias("start"),
        N.iso_to_utc("end", df).alias("end"),
        pl.lit(True).alias("science_usable"),
        pl.lit(True).alias("public"),
        *(
            (pl.col(c) if c in df.columns else pl.lit(None)).cast(pl.Int64, strict=False).alias(c)
            for c in counts
        ),
        *(N.num(c, df).alias(c) for c in bounds),
        neighbours.alias("neighbours"),
    )
    return N.finish(df, name, extras=[*counts, *bounds, "neighbours"])


EROSITA_CALPV = Mission(
    name="erosita_calpv",
    pretty_name="eROSITA CalPV",
    instruments=_with_fov(4.5),
    frame="fk5",
    obs_id_regex=r"^[0-9]{6}$",
    has_target_types=False,
    raw_obs_id_column="ObsID",
    # Puppis A is listed as 700195 on the EDR web pages; the list holds 700199 and 700200.
    obs_id_remaps=(("700195", ("700199", "700200")),),
    source=TableSource("erosita_list", "erosita_calpv_info.csv"),
    normalise=normalise_calpv,
)

ERASS1_DE = Mission(
    name="erosita_all_sky_de_dr1",
    pretty_name="eRASS1 DE DR1",
    instruments=_with_fov(1.8),
    frame="fk5",
    obs_id_regex=r"^[0-9]{6}$",
    has_target_types=False,
    raw_obs_id_column="ObsID",
    source=TableSource("erosita_list", "erass_de_dr1_info.csv"),
    normalise=normalise_erass1_de,
)
