"""The result sinks: label columns given as enum codes come back as the declared strings, from
memory and from the streamed Parquet file, whichever reader opens it."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from polars.testing import assert_frame_equal

from daxa.crossmatch import match_observations
from daxa.crossmatch.sinks import FrameSink, ParquetSink, as_declared
from daxa.errors import InputError
from daxa.filters._examples import observation_table

SCHEMA: dict[str, pl.DataType] = {
    "pos_index": pl.Int64(),
    "mission": pl.String(),
    "obs_id": pl.String(),
    "instruments": pl.List(pl.String()),
    "start": pl.Datetime("us", "UTC"),
    "separation_deg": pl.Float64(),
}
MISSIONS = pl.Enum(["xmm_pointed", "chandra", "swift"])
INSTRUMENTS = pl.Enum(["PN", "M1", "M2", "ACIS", "XRT"])


def _declared(n: int, seed: int) -> pl.DataFrame:
    """Rows as the declared strings (the reference) with nulls and empty lists among them."""
    rng = np.random.default_rng(seed)
    names = pl.Series(MISSIONS.categories.to_list())
    lists = pl.Series([["PN"], ["M1", "M2"], [], ["ACIS"], ["XRT"], ["PN", "M1", "M2"]])
    ids = pl.Series(rng.integers(0, 10**9, n)).cast(pl.String).str.zfill(10)
    days = pl.Series(rng.integers(0, 28, n) * 86_400_000_000 + 1_577_836_800_000_000)
    frame = pl.DataFrame(
        {
            "pos_index": np.arange(n, dtype=np.int64) + 1000 * seed,
            "mission": names.gather(rng.integers(0, 3, n)),
            "obs_id": pl.select(pl.when(pl.Series(np.arange(n) % 7 > 0)).then(ids)).to_series(),
            "instruments": lists.gather(rng.integers(0, len(lists), n)),
            "start": days.cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "separation_deg": rng.uniform(0, 1, n),
        }
    )
    assert frame["start"].min() >= datetime(2020, 1, 1, tzinfo=UTC)  # type: ignore[operator]
    return frame.cast(SCHEMA)  # type: ignore[arg-type]


def _coded(frame: pl.DataFrame) -> pl.DataFrame:
    """The same rows as chunks give them: mission and instruments as enum codes."""
    return frame.with_columns(
        pl.col("mission").cast(MISSIONS), pl.col("instruments").cast(pl.List(INSTRUMENTS))
    )


def test_enum_labels_read_back_as_the_declared_strings(tmp_path):
    parts = [_declared(n, seed) for seed, n in enumerate([300_000, 5, 1200])]
    want = pl.concat(parts)
    sink = ParquetSink(tmp_path / "out.parquet", SCHEMA)
    for part in parts:
        sink.write(_coded(part))
    path = sink.finish()
    assert not (tmp_path / ".out.parquet.part").exists()
    # polars and pyarrow readers see the declared columns, types and values
    assert_frame_equal(pl.read_parquet(path), want)
    table = pq.read_table(path)
    assert table.schema.field("mission").type == pa.large_string()
    assert table.schema.field("instruments").type.value_type == pa.large_string()
    assert table.column("instruments").to_pylist() == want["instruments"].to_list()
    assert table.column("mission").to_pylist() == want["mission"].to_list()
    assert table.schema.field("separation_deg").metadata[b"unit"] == b"deg"
    # the labels are written as Parquet dictionaries; statistics kept for the numbers only
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups >= 2
    columns = {
        meta.row_group(0).column(i).path_in_schema: meta.row_group(0).column(i)
        for i in range(meta.num_columns)
    }
    assert columns["mission"].has_dictionary_page
    assert columns["instruments.list.element"].has_dictionary_page
    assert not columns["obs_id"].has_dictionary_page
    assert columns["pos_index"].statistics.min == 0
    assert columns["obs_id"].statistics is None
    assert {c.compression for c in columns.values()} == {"ZSTD"}


def test_frame_sink_and_as_declared_give_the_strings(tmp_path):
    parts = [_declared(50, seed) for seed in range(3)]
    sink = FrameSink(SCHEMA)
    for part in parts:
        sink.write(_coded(part))
    got = sink.finish()
    assert got.schema["mission"] == MISSIONS  # codes until the caller has sorted by them
    assert_frame_equal(as_declared(got, SCHEMA), pl.concat(parts))
    # string chunks (nothing coded) are written and read back as they are
    streamed = ParquetSink(tmp_path / "plain.parquet", SCHEMA)
    for part in parts:
        streamed.write(part)
    assert_frame_equal(pl.read_parquet(streamed.finish()), pl.concat(parts))


def test_an_empty_stream_is_an_empty_file_of_the_declared_schema(tmp_path):
    sink = ParquetSink(tmp_path / "none.parquet", SCHEMA)
    back = pl.read_parquet(sink.finish())
    assert back.height == 0
    assert back.schema == pl.Schema(SCHEMA)
    assert pq.read_schema(tmp_path / "none.parquet").field("mission").type == pa.large_string()


def test_a_failed_write_leaves_no_file_and_names_the_output(tmp_path):
    sink = ParquetSink(tmp_path / "bad.parquet", SCHEMA)
    sink.write(_coded(_declared(10, 0)))
    sink.write(pl.DataFrame({"pos_index": [1]}))  # lacks the declared columns
    with pytest.raises(InputError, match="bad.parquet"):
        sink.finish()
    sink.abort()
    assert not (tmp_path / "bad.parquet").exists()
    assert not (tmp_path / ".bad.parquet.part").exists()


def test_required_columns_are_written_without_nulls_and_read_back_alike(tmp_path):
    parts = [_declared(n, seed) for seed, n in enumerate([2000, 7])]
    required = ("pos_index", "mission", "separation_deg")
    sink = ParquetSink(tmp_path / "req.parquet", SCHEMA, required)
    for part in parts:
        sink.write(_coded(part))
    path = sink.finish()
    columns = pq.ParquetFile(path).schema
    kinds = {columns.column(i).path: columns.column(i).max_definition_level for i in range(6)}
    # required columns: no definition levels; obs_id (with nulls) keeps them
    assert kinds["pos_index"] == kinds["mission"] == kinds["separation_deg"] == 0
    assert kinds["obs_id"] == 1
    assert_frame_equal(pl.read_parquet(path), pl.concat(parts))
    assert not pq.read_schema(path).field("pos_index").nullable
    # a null in a required column stops the write, names it, and leaves no file
    bad = ParquetSink(tmp_path / "nulls.parquet", SCHEMA, ["obs_id"])
    bad.write(_coded(parts[0]))
    with pytest.raises(InputError, match=r"nulls.parquet.*'obs_id' holds 286 nulls"):
        bad.finish()
    bad.abort()
    assert not list(tmp_path.glob("*nulls.parquet*"))


def test_streamed_association_rows_equal_the_in_memory_strings(tmp_path):
    table = observation_table("xmm_pointed", [10.0, 10.2, 200.0], [0.0, 0.0, -30.0])
    swift = observation_table("swift", [10.1, 200.1], [0.0, -30.0])
    tables = {"xmm_pointed": table, "swift": swift}
    cat = pl.DataFrame({"ra": [10.05, 10.15, 200.05, 50.0], "dec": [0.0, 0.0, -30.0, 1.0]})
    whole = match_observations(cat, tables=tables, progress=False)
    assert whole.schema["mission"] == pl.String
    assert whole.schema["instruments"] == pl.List(pl.String)
    path = match_observations(cat, tables=tables, output=tmp_path / "m.parquet", progress=False)
    back = pl.read_parquet(path).drop("_healpix_29")
    key = ["pos_index", "mission", "obs_id"]
    assert_frame_equal(back.sort(key), whole.sort(key))
    assert set(back["mission"]) == {"xmm_pointed", "swift"}


def test_a_shared_frame_maps_back_to_the_frame_and_sends_row_ranges_as_one_number():
    """A frame shared with local Dask workers comes back equal, column order and types
    included; Int64 columns that count up by one (row numbers of a catalogue in HEALPix order)
    are not written, only their first value, and anything else (a repeat, a gap, a null, a
    descending run) is written as it is."""
    from daxa.crossmatch.shared_files import share

    n = 1000
    frame = pl.DataFrame(
        {
            "ra": np.linspace(0.0, 1.0, n),
            "pos_index": np.arange(7, 7 + n, dtype=np.int64),
            "gap": np.r_[0, np.arange(2, n + 1)].astype(np.int64),
            "repeat": np.r_[0, 0, np.arange(1, n - 1)].astype(np.int64),
            "down": np.arange(n, 0, -1, dtype=np.int64),
            "nulls": pl.Series([None, *range(1, n)], dtype=pl.Int64),
        }
    )
    shared, folder = share(frame)
    try:
        assert shared.ranges == (("pos_index", 7),)
        written = pa.ipc.open_file(pa.memory_map(shared.path)).read_all()
        assert "pos_index" not in written.column_names
        assert_frame_equal(shared.frame(), frame)
        only_range, folder2 = share(frame.select("pos_index"))  # nothing else to carry the height
        assert_frame_equal(only_range.frame(), frame.select("pos_index"))
        folder2.cleanup()
    finally:
        folder.cleanup()
