"""Sending a result over SAMP to a client of a hub started here, on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from astropy.table import QTable
from astropy.time import Time

from daxa.errors import SampError
from daxa.outputs.samp import MTYPE, samp_classes, send_samp

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
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    (server,) = samp_classes("SAMPHubServer")
    lockfile = tmp_path / "samp-hub"
    hub = server(addr="127.0.0.1", lockfile=str(lockfile), web_profile=False)
    hub.start()
    monkeypatch.setenv("SAMP_HUB", f"std-lockurl:{lockfile.as_uri()}")
    try:
        yield hub
    finally:
        hub.stop()


class Receiver:
    """A SAMP client that loads every table it is sent (as TOPCAT would)."""

    def __init__(self) -> None:
        (client,) = samp_classes("SAMPIntegratedClient")
        self.client = client(name="receiver", addr="127.0.0.1")
        self.got = threading.Event()
        self.params: dict[str, Any] = {}
        self.table: Any = None

    def __enter__(self) -> Receiver:
        self.client.connect()
        self.client.bind_receive_notification(MTYPE, self._receive)
        return self

    def _receive(self, private_key: str, sender_id: str, mtype: str, params: dict, extra: dict):
        self.params = params
        self.table = QTable.read(params["url"], format="votable")
        self.got.set()

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()


def test_a_listening_client_loads_the_table(hub: Any, tmp_path: Path) -> None:
    with Receiver() as receiver:
        url = send_samp(FRAME, name="my obs", addr="127.0.0.1", folder=tmp_path)
        assert receiver.got.wait(30), "the receiver got no message"
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
