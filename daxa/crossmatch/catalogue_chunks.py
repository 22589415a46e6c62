"""One chunk of a catalogue × catalogue match: its left rows against the right rows near them.

:func:`match_frames` gives a chunk's output rows; :func:`catalogue_task` first reads what a
chunk needs (its own rows and the strips of rows just outside it) when the catalogues are
files. Pairs are kept only for the chunk's own left rows, so each appears exactly once and
chunked, local and Dask runs agree row for row with a match in one piece.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from daxa.crossmatch.chunked import PreparedSource, with_strip
from daxa.crossmatch.frame_pieces import take
from daxa.crossmatch.inputs import HPX

IntArray = npt.NDArray[np.int64]

How = Literal["all", "nearest", "best"]
Join = Literal["inner", "left"]


@dataclass(frozen=True)
class CatalogueOptions:
    how: How
    join: Join
    radius: float | None  # None: per row, in the ``_radius`` column of the radius_of side
    radius_of: Literal["left", "right"]
    left_columns: tuple[str, ...]
    right_columns: tuple[tuple[str, str], ...]  # (prepared name, output name)
    streaming: bool
    two_phase: bool = (
        False  # how='best' in chunks: candidates first (daxa.crossmatch.catalogue_best)
    )


def _sorted_by_index(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.height < 2 or frame["pos_index"].is_sorted():
        return frame
    return frame.sort("pos_index")


def _search(left: pl.DataFrame, right: pl.DataFrame, opts: CatalogueOptions) -> Any:
    from daxa.sky import pairs as sky

    func = {"all": sky.pair_search, "nearest": sky.nearest, "best": sky.best_match_symmetric}[
        opts.how
    ]
    if opts.radius is not None:
        radius: Any = opts.radius
    else:
        radius = (left if opts.radius_of == "left" else right)["_radius"].to_numpy()
    return func(
        left["ra"].to_numpy(),
        left["dec"].to_numpy(),
        right["ra"].to_numpy(),
        right["dec"].to_numpy(),
        radius,
        radius_of=opts.radius_of,
    )


def match_frames(core: pl.DataFrame, right: pl.DataFrame, opts: CatalogueOptions) -> pl.DataFrame:
    """The output rows of ``core`` left rows against ``right`` (its margin included). A
    symmetric best match here is one in a single piece; in chunks it takes two phases
    (:mod:`daxa.crossmatch.catalogue_best`)."""
    core = _sorted_by_index(core)
    right = _sorted_by_index(right)
    p = _search(core, right, opts)
    return chunk_output(core, right, p.left, p.right, p.separation, opts)


def chunk_output(
    core: pl.DataFrame,
    right: pl.DataFrame,
    li: IntArray,
    ri: IntArray,
    sep: npt.NDArray[np.float64],
    opts: CatalogueOptions,
) -> pl.DataFrame:
    """The output rows of pairs (``core`` row ``li``, ``right`` row ``ri``, ``sep``), with the
    chosen columns of both sides and, for ``join='left'``, the core rows without a pair."""
    out: dict[str, Any] = {
        "left_index": take(core["pos_index"], li),
        "right_index": take(right["pos_index"], ri),
        "separation_deg": pl.Series(sep, dtype=pl.Float64),
    }
    for name in opts.left_columns:
        out[name] = core[name].gather(li)
    for src, name in opts.right_columns:
        out[name] = right[src].gather(ri)
    if opts.streaming:
        out[HPX] = take(core[HPX], li)
    frame = pl.DataFrame(out)
    if opts.join == "left":
        matched = np.zeros(core.height, dtype=bool)
        matched[li] = True
        lonely = np.flatnonzero(~matched)
        if lonely.size:
            extra: dict[str, Any] = {"left_index": core["pos_index"].gather(lonely)}
            for name in opts.left_columns:
                extra[name] = core[name].gather(lonely)
            if opts.streaming:
                extra[HPX] = core[HPX].gather(lonely)
            frame = pl.concat([frame, pl.DataFrame(extra)], how="diagonal_relaxed")
    if not opts.streaming and _strictly_increasing(frame["left_index"]):
        return frame  # one row per left row, in order (a best match, usually): sorted already
    keys = [HPX, "left_index"] if opts.streaming else ["left_index"]
    return frame.sort([*keys, "separation_deg", "right_index"], nulls_last=True)


def _strictly_increasing(series: pl.Series) -> bool:
    values = series.to_numpy()
    return bool((values[1:] > values[:-1]).all())


def load_chunk(
    left: PreparedSource | pl.DataFrame,
    right: PreparedSource | pl.DataFrame,
    right_strip: pl.DataFrame | None,
    lo: int,
    hi: int,
    *,
    left_hpx: bool = True,
) -> tuple[pl.DataFrame, pl.DataFrame, IntArray]:
    """A chunk's own left rows, the right rows of the chunk and of its strip (``right_strip``:
    rows outside the chunk within the margin), and the left rows skipped there; sides given
    as files are read here (on a worker: from the files; the left rows without
    ``_healpix_29`` unless ``left_hpx``)."""
    skipped = np.zeros(0, dtype=np.int64)
    if isinstance(left, PreparedSource):
        core, skipped = left.load_range(lo, hi, hpx=left_hpx)
    else:
        core = left
    if core.height and isinstance(right, PreparedSource):
        right = right.load_range(lo, hi)[0]
    if core.height and right_strip is not None:
        assert isinstance(right, pl.DataFrame)
        right = with_strip(right, right_strip, lo)
    return core, right, skipped  # type: ignore[return-value]


def catalogue_task(
    match: Callable[[pl.DataFrame, pl.DataFrame, CatalogueOptions], Any],
    left: PreparedSource | pl.DataFrame,
    right: PreparedSource | pl.DataFrame,
    right_strip: pl.DataFrame | None,
    lo: int,
    hi: int,
    opts: CatalogueOptions,
    shared: dict[str, Any],
) -> tuple[Any, IntArray]:
    """One chunk ``[lo, hi)``: its rows read as :func:`load_chunk` does, then ``match(core,
    right, opts)`` (:func:`match_frames`, or the first phase of a best match in chunks)."""
    # the left rows' _healpix_29 only goes into a streamed output
    core, right_all, skipped = load_chunk(left, right, right_strip, lo, hi, left_hpx=opts.streaming)
    if core.height == 0:
        return pl.DataFrame(), skipped
    return match(core, right_all, opts), skipped
