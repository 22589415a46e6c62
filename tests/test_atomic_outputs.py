"""Every file daxa writes for the user (CLI tables, SQL results, plots, saved selections) is
replaced atomically: a writer failing half-way leaves the previous file and no temporary."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import polars as pl
import pytest

from daxa.cli import _output
from daxa.errors import InputError
from daxa.sql import cli as sql_cli

FRAME = pl.DataFrame({"obs_id": ["a", "b", "c"], "ra": [1.0, 2.0, 3.0]})


def _half_then_disk_full(path: str | os.PathLike[str]) -> None:
    with open(path, "wb") as handle:
        handle.write(b"half a fi")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".ndjson", ".fits"])
def test_cli_table_output_failing_midway_keeps_the_old_file(tmp_path, monkeypatch, suffix):
    target = tmp_path / f"out{suffix}"
    _output.write_table(FRAME, target)
    before = target.read_bytes()
    monkeypatch.setattr(_output, "_write_as", lambda table, path, kind: _half_then_disk_full(path))
    with pytest.raises(InputError, match=rf"could not write {target}: No space.*unchanged"):
        _output.write_table(FRAME.head(1), target)
    assert target.read_bytes() == before
    assert _only(tmp_path) == [target.name]


@pytest.mark.parametrize(
    ("suffix", "fmt"), [(".csv", "csv"), (".parquet", "parquet"), (".json", "json")]
)
def test_sql_output_failing_midway_keeps_the_old_file(tmp_path, monkeypatch, suffix, fmt):
    target = tmp_path / f"result{suffix}"
    sql_cli._write(FRAME, target, fmt)
    before = target.read_bytes()
    for method in ("write_csv", "write_parquet", "write_ndjson"):
        monkeypatch.setattr(
            pl.DataFrame, method, lambda self, path, *a, **k: _half_then_disk_full(path)
        )
    with pytest.raises(InputError, match=rf"could not write {target}.*unchanged"):
        sql_cli._write(FRAME.head(1), target, fmt)
    assert target.read_bytes() == before
    assert _only(tmp_path) == [target.name]


def test_sql_output_is_complete_and_in_the_asked_format(tmp_path):
    target = tmp_path / "r.parquet"
    sql_cli._write(FRAME, target, "parquet")
    assert pl.read_parquet(target).equals(FRAME)


def test_plot_save_failing_midway_keeps_the_old_image(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from daxa import plots

    fig = Figure()
    fig.add_subplot().plot([0, 1], [1, 0])
    target = plots.save(fig, tmp_path / "sky.png")
    before = target.read_bytes()
    assert before.startswith(b"\x89PNG")

    class Broken(Figure):
        def savefig(self, fname, *args, **kwargs):
            _half_then_disk_full(fname)

    with pytest.raises(OSError, match="No space"):
        plots.save(Broken(), target)
    assert target.read_bytes() == before
    assert _only(tmp_path) == ["sky.png"]
    # the format follows the target's suffix even though the temporary name has another
    pdf = plots.save(fig, tmp_path / "sky.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
