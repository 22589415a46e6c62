"""Progress of long matches: one tqdm bar counting catalogue rows, quiet unless asked."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest

from daxa.crossmatch import match_observations
from daxa.filters._examples import observation_table
from daxa.progress import LOG_INTERVAL, Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_counts_rows():
    out = _Tty()
    with Progress(10, "matching", stream=out) as bar:
        for _ in range(5):
            bar.update(2)
    last = out.getvalue().replace("\n", "\r").split("\r")
    assert "matching" in out.getvalue() and any("10/10" in f and "rows" in f for f in last)
    assert bar.done == 10 and bar.total == 10


def test_logs_redraw_rarely():
    out = io.StringIO()  # a log file, not a terminal
    with Progress(3_000_000, "summary", stream=out) as bar:
        assert bar._bar.mininterval >= LOG_INTERVAL
        for _ in range(3):
            bar.update(1_000_000)
    assert "3.00M/3.00M" in out.getvalue()


def test_disabled_is_silent(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DAXA_PROGRESS", "1")  # an explicit False wins over the environment
    out = _Tty()
    with Progress(5, "quiet", stream=out, enabled=False) as bar:
        bar.update(5)
    assert out.getvalue() == "" and bar.done == 5


def test_a_match_reports_its_rows(monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("DAXA_PROGRESS", "1")
    rng = np.random.default_rng(3)
    table = observation_table("xmm_pointed", rng.uniform(0, 10, 50), rng.uniform(-5, 5, 50))
    cat = pl.DataFrame({"ra": rng.uniform(0, 10, 1234), "dec": rng.uniform(-5, 5, 1234)})
    match_observations(cat, ["xmm_pointed"], tables={"xmm_pointed": table}, progress=True)
    err = capsys.readouterr().err
    assert "1234/1234" in err and "rows" in err
    match_observations(cat, ["xmm_pointed"], tables={"xmm_pointed": table}, progress=False)
    assert capsys.readouterr().err == ""
