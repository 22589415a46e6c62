"""What ``daxa match`` prints about a result, tallied batch by batch.

A streamed result can be far larger than memory, so its per-mission totals are never computed
on the whole table: :class:`PairTally` and :class:`SummaryTally` take it a batch at a time
(the file's row groups, or one in-memory frame) and keep only counters, one bit per catalogue
row per mission, and the distinct ObsIDs (at most the size of the mission tables).

>>> tally = PairTally()
>>> tally.add(pl.DataFrame({"mission": ["a", "a", "b"], "pos_index": [0, 0, 9], "obs_id": ["1", "2", "1"]}))
>>> tally.add(pl.DataFrame({"mission": ["a"], "pos_index": [3], "obs_id": ["1"]}))
>>> tally.table().rows(), tally.rows_matched()
([('a', 3, 2, 2), ('b', 1, 1, 1)], 3)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class Bitset:
    """A growing set of non-negative integers, one bit each."""

    def __init__(self) -> None:
        self.bits = np.zeros(0, dtype=np.uint8)

    def add(self, values: npt.NDArray[np.int64]) -> None:
        if values.size == 0:
            return
        uniq = np.unique(values)
        need = int(uniq[-1] >> 3) + 1
        if need > self.bits.size:
            grown = np.zeros(max(need, 2 * self.bits.size), dtype=np.uint8)
            grown[: self.bits.size] = self.bits
            self.bits = grown
        for b in range(8):  # within one low-bit value the bytes are distinct
            sel = uniq[(uniq & 7) == b]
            self.bits[sel >> 3] |= np.uint8(1 << b)

    def __or__(self, other: Bitset) -> Bitset:
        out = Bitset()
        n = max(self.bits.size, other.bits.size)
        out.bits = np.zeros(n, dtype=np.uint8)
        out.bits[: self.bits.size] |= self.bits
        out.bits[: other.bits.size] |= other.bits
        return out

    def count(self) -> int:
        return int(_POPCOUNT[self.bits].sum(dtype=np.int64))


class PairTally:
    """Per mission: pairs, distinct catalogue rows matched, distinct observations."""

    def __init__(self) -> None:
        self.pairs: dict[str, int] = {}
        self.rows: dict[str, Bitset] = {}
        self.obs: dict[str, pl.Series] = {}  # distinct ObsIDs, as compact Arrow strings

    def add(self, frame: pl.DataFrame) -> None:
        for (mission,), part in frame.group_by("mission", maintain_order=True):
            name = str(mission)
            self.pairs[name] = self.pairs.get(name, 0) + part.height
            self.rows.setdefault(name, Bitset()).add(part["pos_index"].to_numpy())
            seen = part["obs_id"].unique()
            if name in self.obs:
                seen = pl.concat([self.obs[name], seen]).unique()
            self.obs[name] = seen

    def rows_matched(self) -> int:
        union = Bitset()
        for bits in self.rows.values():
            union = union | bits
        return union.count()

    def table(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "mission": list(self.pairs),
                "pairs": list(self.pairs.values()),
                "rows_matched": [self.rows[m].count() for m in self.pairs],
                "observations": [self.obs[m].len() for m in self.pairs],
            },
            schema={
                "mission": pl.String,
                "pairs": pl.Int64,
                "rows_matched": pl.Int64,
                "observations": pl.Int64,
            },
        )


class SummaryTally:
    """Per mission, from coverage-summary rows (mission totals only): rows covered, the
    observations and the exposure (ks) summed."""

    def __init__(self) -> None:
        self.sums: dict[str, list[float]] = {}

    def add(self, frame: pl.DataFrame) -> None:
        if "instrument" in frame.columns:
            frame = frame.filter(pl.col("instrument").is_null())
        exposure = pl.col("exposure").sum() if "exposure" in frame.columns else pl.lit(0.0)
        parts = frame.group_by("mission", maintain_order=True).agg(
            covered=pl.col("n_obs").gt(0).sum(), obs=pl.col("n_obs").sum(), exp=exposure
        )
        for mission, covered, obs, exp in parts.iter_rows():
            got = self.sums.setdefault(str(mission), [0, 0, 0.0])
            got[0] += int(covered or 0)
            got[1] += int(obs or 0)
            got[2] += float(exp or 0.0)

    def table(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "mission": list(self.sums),
                "rows_covered": [int(v[0]) for v in self.sums.values()],
                "observations": [int(v[1]) for v in self.sums.values()],
                "exposure_ks": [v[2] / 1e3 for v in self.sums.values()],
            },
            schema={
                "mission": pl.String,
                "rows_covered": pl.Int64,
                "observations": pl.Int64,
                "exposure_ks": pl.Float64,
            },
        )


def batches(path: Path, columns: list[str], rows: int = 1 << 16) -> Iterator[pl.DataFrame]:
    """The chosen columns of a Parquet file, a bounded batch at a time (one thread, no
    pre-buffering: threaded reads hold several row groups at once)."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path, pre_buffer=False)
    present = [c for c in columns if c in pf.schema_arrow.names]
    for batch in pf.iter_batches(batch_size=rows, columns=present, use_threads=False):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame
