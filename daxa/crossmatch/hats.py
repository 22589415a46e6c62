"""HATS catalogues: write frames or Parquet files as HATS, and read HATS as inputs.

HATS (Hierarchical Adaptive Tiling Scheme, the format LSDB reads) stores a catalogue as one
Parquet file per HEALPix pixel, ``dataset/Norder=K/Dir=D/Npix=N.parquet`` with
``D = N // 10000 * 10000``; each pixel holds the rows whose order-29 NESTED index
``_healpix_29`` falls in it, sorted by that index. Pixels are chosen adaptively: a pixel is
split into its four children while it holds more than ``max_rows`` rows. Next to the data sit
``hats.properties`` (name, type, row count, RA/Dec columns), ``partition_info.csv`` (the
``Norder,Npix`` list) and ``dataset/_common_metadata`` / ``dataset/_metadata`` (schema and row
groups).

>>> import tempfile, polars as pl
>>> frame = pl.DataFrame({"ra": [10.0, 200.0, 200.1], "dec": [5.0, -30.0, -30.0]})
>>> out = write_hats(frame, tempfile.mkdtemp() + "/demo", max_rows=2)
>>> read_hats(out).sort("ra")["ra"].to_list()
[10.0, 200.0, 200.1]
>>> (out / "partition_info.csv").read_text().splitlines()[0]
'Norder,Npix'
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.errors import InputError
from daxa.inputs.hats import is_hats, partition_path, read_properties
from daxa.inputs.sources import HPX, open_hats, open_source

IntArray = npt.NDArray[np.int64]

__all__ = [
    "is_hats",  # reading lives in daxa.inputs; kept here for imports
    "open_hats",
    "read_hats",
    "read_properties",
    "write_hats",
]

#: Default most rows in one partition file (the HATS importer's default threshold).
DEFAULT_MAX_ROWS = 1_000_000
#: Deepest order partitions are split to.
MAX_PARTITION_ORDER = 12
_ROWS_PER_BATCH = 1_000_000


def read_hats(path: str | os.PathLike[str], columns: Sequence[str] | None = None) -> pl.DataFrame:
    """A whole HATS catalogue (or some of its columns) as one polars frame, in HEALPix order."""
    source = open_hats(path)
    return source.read(list(columns) if columns is not None else source.columns)


# --------------------------------------------------------------------------- partitioning


def plan_partitions(
    pixels: IntArray, counts: IntArray, order: int, max_rows: int
) -> list[tuple[int, int]]:
    """Adaptive ``(order, pixel)`` partitions from row counts of (sparse) pixels at ``order``.

    From the deepest order up, four sibling pixels merge into their parent when none of them
    was kept apart and together they hold at most ``max_rows`` rows; empty pixels are left
    out. Only a pixel at ``order`` itself may hold more than ``max_rows`` rows.

    >>> plan_partitions(np.arange(48), np.ones(48, dtype=np.int64), 1, 10)[:3]
    [(0, 0), (0, 1), (0, 2)]
    """
    pix = np.asarray(pixels, dtype=np.int64)
    cnt = np.asarray(counts, dtype=np.int64)
    mergeable = np.ones(pix.size, dtype=bool)
    final: list[tuple[int, int]] = []
    for k in range(order, 0, -1):
        parents, inverse = np.unique(pix >> 2, return_inverse=True)
        total = np.bincount(inverse, weights=cnt, minlength=parents.size).astype(np.int64)
        blocked = np.bincount(inverse, weights=~mergeable, minlength=parents.size) > 0
        ok = ~blocked & (total <= max_rows)
        stay = mergeable & ~ok[inverse] & (cnt > 0)
        final.extend((k, int(p)) for p in pix[stay])
        pix, cnt, mergeable = parents, total, ok
    final.extend((0, int(p)) for p in pix[mergeable & (cnt > 0)])
    return sorted(final, key=lambda op: op[1] << (2 * (29 - op[0])))


def _sparse_counts(keys: IntArray) -> tuple[IntArray, IntArray]:
    pixels, counts = np.unique(keys, return_counts=True)
    return pixels.astype(np.int64), counts.astype(np.int64)


def write_hats(
    data: Any,
    path: str | os.PathLike[str],
    *,
    ra: str = "ra",
    dec: str = "dec",
    name: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    overwrite: bool = False,
) -> Path:
    """Write a frame, Parquet file or any catalogue as a HATS catalogue that LSDB can open.

    A ``_healpix_29`` column is added from ``ra``/``dec`` when missing. Inputs larger than
    memory are fine when they are Parquet files sorted by ``_healpix_29`` (as daxa's streamed
    outputs are): they are read one batch at a time. Returns the catalogue folder.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from daxa.sky.healpix import healpix_index

    root = Path(path)
    if root.exists():
        if not overwrite:
            raise InputError(f"{root} already exists; pass overwrite=True to replace it")
        shutil.rmtree(root)
    source = open_source(data, what="HATS input")
    source.require([ra, dec])
    streaming = source.kind in ("parquet", "hats") and source.healpix_sorted
    if not streaming:
        frame = source.read(source.columns)
        if HPX not in frame.columns:
            frame = frame.with_columns(
                pl.Series(
                    HPX,
                    healpix_index(
                        frame[ra].cast(pl.Float64).to_numpy(),
                        frame[dec].cast(pl.Float64).to_numpy(),
                    ),
                    dtype=pl.Int64,
                )
            )
        frame = frame.sort(HPX)
        hpx_all = frame[HPX].to_numpy()
        n_rows = frame.height
    else:
        n_rows = source.n_rows
    order = MAX_PARTITION_ORDER
    if streaming:
        found: list[tuple[IntArray, IntArray]] = []
        for _, batch in source.iter_batches([HPX], _ROWS_PER_BATCH):
            found.append(_sparse_counts(batch[HPX].to_numpy() >> (2 * (29 - order))))
        keys = np.concatenate([f[0] for f in found]) if found else np.zeros(0, np.int64)
        weights = np.concatenate([f[1] for f in found]) if found else np.zeros(0, np.int64)
        pixels, inverse = np.unique(keys, return_inverse=True)
        counts = np.bincount(inverse, weights=weights, minlength=pixels.size).astype(np.int64)
    else:
        pixels, counts = _sparse_counts(hpx_all >> (2 * (29 - order)))
    parts = plan_partitions(pixels, counts, order, max_rows)
    starts = np.array([p << (2 * (29 - o)) for o, p in parts], dtype=np.int64)

    (root / "dataset").mkdir(parents=True)
    collector: list[Any] = []
    schema: pa.Schema | None = None

    def write_part(i: int, table: pa.Table) -> None:
        nonlocal schema
        o, p = parts[i]
        target = partition_path(root, o, p)
        target.parent.mkdir(parents=True, exist_ok=True)
        if schema is None:
            schema = table.schema
        table = table.cast(schema)
        pq.write_table(table, target, metadata_collector=collector)
        collector[-1].set_file_path(str(target.relative_to(root / "dataset")))

    if not streaming:
        bounds = np.searchsorted(hpx_all, starts, side="left")
        ends = np.append(bounds[1:], n_rows)
        for i, (a, b) in enumerate(zip(bounds.tolist(), ends.tolist(), strict=True)):
            write_part(i, frame.slice(a, b - a).to_arrow())
    else:
        current = -1
        pending: list[pl.DataFrame] = []

        def flush() -> None:
            if current >= 0 and pending:
                write_part(current, pl.concat(pending).to_arrow())

        for _, batch in source.iter_batches(source.columns, _ROWS_PER_BATCH):
            part_of = np.searchsorted(starts, batch[HPX].to_numpy(), side="right") - 1
            edges = np.flatnonzero(np.diff(part_of)) + 1
            for a, b in zip(
                np.r_[0, edges].tolist(), np.r_[edges, part_of.size].tolist(), strict=True
            ):
                if b <= a:
                    continue
                k = int(part_of[a])
                if k != current:
                    flush()
                    current, pending = k, []
                pending.append(batch.slice(a, b - a))
        flush()
    assert schema is not None or n_rows == 0
    if schema is None:
        schema = source.read(source.columns).to_arrow().schema
    pq.write_metadata(schema, root / "dataset" / "_common_metadata")
    if collector:
        pq.write_metadata(schema, root / "dataset" / "_metadata", metadata_collector=collector)
    pl.DataFrame(
        {"Norder": [o for o, _ in parts], "Npix": [p for _, p in parts]},
        schema={"Norder": pl.Int64, "Npix": pl.Int64},
    ).write_csv(root / "partition_info.csv")
    _write_properties(root, name or root.name, n_rows, ra, dec, parts, pixels, counts, order)
    return root


def _write_properties(
    root: Path,
    name: str,
    n_rows: int,
    ra: str,
    dec: str,
    parts: list[tuple[int, int]],
    pixels: IntArray,
    counts: IntArray,
    order: int,
) -> None:
    from daxa._version import __version__

    sky_fraction = sum(4.0 ** (-o) for o, _ in parts) / 12.0  # area of the partitions
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M%Z")
    largest = max((_rows_in(pixels, counts, order, o, p) for o, p in parts), default=0)
    lines = [
        "#HATS catalog",
        f"obs_collection={name}",
        "dataproduct_type=object",
        f"hats_nrows={n_rows}",
        f"hats_col_ra={ra}",
        f"hats_col_dec={dec}",
        f"hats_col_healpix={HPX}",
        "hats_col_healpix_order=29",
        "hats_npix_suffix=.parquet",
        f"hats_max_rows={largest}",
        f"hats_order={max((o for o, _ in parts), default=0)}",
        f"moc_sky_fraction={sky_fraction:.5f}",
        f"hats_builder=daxa v{__version__}",
        f"hats_creation_date={now.replace(':', chr(92) + ':')}",
        "hats_version=v1.0",
    ]
    text = "\n".join(lines) + "\n"
    (root / "hats.properties").write_text(text, encoding="utf-8")
    (root / "properties").write_text(text, encoding="utf-8")


def _rows_in(pixels: IntArray, counts: IntArray, order: int, o: int, p: int) -> int:
    width = 4 ** (order - o)
    a, b = np.searchsorted(pixels, [p * width, (p + 1) * width])
    return int(counts[a:b].sum())
