"""Sending a result over SAMP to a client of a hub started here, on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from astropy.time import Time

from daxa.errors import SampError
from daxa.outputs.samp import send_samp
from daxa.testing.samp import TableReceiver, local_hub

FRAME = pl.DataFrame(
    {
        "mission": ["chandra", "xmm_pointed"],
        "obs_id": ["00123", "0201230101"],
        "ra": [83.633, 10.5],
        "dec": [22.0145, -5.25],
        "start": [datetime(2020, 5, 1, 3, 4, 5, tzinfo=UTC), None],
        "exposure": [35_000.0, None],
    }
)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Any]:
    with local_hub(tmp_path) as running:
        yield running


def test_a_listening_client_loads_the_table(hub: Any, tmp_path: Path) -> None:
    with TableReceiver() as receiver:
        url = send_samp(FRAME, name="my obs", addr="127.0.0.1", folder=tmp_path)
        # a call, answered once loaded: the table is there when send_samp returns (a
        # notification could be dropped by the hub once the sender had disconnected)
        assert receiver.got.is_set(), "send_samp returned before the table was loaded"
    assert receiver.params["url"] == url and receiver.params["name"] == "my obs"
    table = receiver.table
    assert list(table["obs_id"]) == ["00123", "0201230101"]
    assert str(table["ra"].unit) == "deg" and table["dec"].value.tolist() == [22.0145, -5.25]
    start = Time(table["start"][0].to_value("d"), format="mjd", scale="utc")
    assert abs((start - Time("2020-05-01T03:04:05", scale="utc")).to_value("s")) < 1e-3
    assert np.ma.is_masked(table["exposure"][1])


def test_no_listener_and_no_hub_are_our_errors(
    hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SampError, match="no SAMP client is listening"):
        send_samp(FRAME, addr="127.0.0.1", folder=tmp_path)
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:{(tmp_path / 'no-hub').as_uri()}")
    with pytest.raises(SampError, match="no SAMP hub"):
        send_samp(FRAME, addr="127.0.0.1", folder=tmp_path)


def test_a_client_that_cannot_load_the_table_is_our_error(hub: Any, tmp_path: Path) -> None:
    def broken(*args: Any) -> None:
        raise ValueError("this client reads no VOTable")

    with TableReceiver(name="broken") as receiver:
        receiver._receive = broken  # type: ignore[method-assign]
        with pytest.raises(SampError, match="did not load the table.*VOTable is at"):
            send_samp(FRAME, addr="127.0.0.1", folder=tmp_path, timeout=20)
