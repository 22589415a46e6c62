"""A SAMP hub and a table-loading client on 127.0.0.1, for tests and for trying ``--samp``
without TOPCAT (the notebook uses them too).

>>> import polars as pl
>>> from daxa.outputs import send_samp
>>> with local_hub(), TableReceiver() as receiver:
...     _ = send_samp(pl.DataFrame({"obs_id": ["a", "b"], "ra": [1.0, 2.0], "dec": [0.0, 1.0]}))
...     receiver.wait(30)
...     len(receiver.table), str(receiver.table["ra"].unit)
True
(2, 'deg')
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from daxa.outputs.samp import MTYPE, samp_classes


@contextmanager
def local_hub(folder: str | os.PathLike[str] | None = None) -> Iterator[Any]:
    """Run a SAMP hub on 127.0.0.1 (no web profile) and point ``SAMP_HUB`` at it meanwhile."""
    from astropy import log

    (server,) = samp_classes("SAMPHubServer")
    level = log.level
    log.setLevel("WARNING")  # no "Hub started/stopped" chatter
    with tempfile.TemporaryDirectory() as tmp:
        lockfile = Path(folder or tmp) / "samp-hub"
        hub = server(addr="127.0.0.1", lockfile=str(lockfile), web_profile=False)
        hub.start()
        before = os.environ.get("SAMP_HUB")
        os.environ["SAMP_HUB"] = f"std-lockurl:{lockfile.as_uri()}"
        try:
            yield hub
        finally:
            hub.stop()
            log.setLevel(level)
            if before is None:
                os.environ.pop("SAMP_HUB", None)
            else:
                os.environ["SAMP_HUB"] = before


class TableReceiver:
    """A SAMP client that loads every table it is sent with astropy, as TOPCAT would."""

    def __init__(self, name: str = "receiver") -> None:
        (client,) = samp_classes("SAMPIntegratedClient")
        self.client = client(name=name, addr="127.0.0.1")
        self.got = threading.Event()
        self.params: dict[str, Any] = {}
        self.table: Any = None

    def __enter__(self) -> TableReceiver:
        self.client.connect()
        self.client.bind_receive_notification(MTYPE, self._receive)
        self.client.bind_receive_call(MTYPE, self._receive_call)
        return self

    def _receive_call(
        self,
        private_key: str,
        sender_id: str,
        msg_id: str,
        mtype: str,
        params: dict[str, Any],
        extra: Any,
    ) -> None:
        """A call: load the table, then answer (as TOPCAT does)."""
        try:
            self._receive(private_key, sender_id, mtype, params, extra)
        except Exception as exc:
            reply = {"samp.status": "samp.error", "samp.error": {"samp.errortxt": str(exc)}}
        else:
            reply = {"samp.status": "samp.ok", "samp.result": {}}
        self.client.reply(msg_id, reply)

    def _receive(
        self, private_key: str, sender_id: str, mtype: str, params: dict[str, Any], extra: Any
    ) -> None:
        from astropy.table import QTable

        self.params = params
        self.table = QTable.read(params["url"], format="votable")
        self.got.set()

    def wait(self, timeout: float) -> bool:
        """True once a table arrived (waits at most ``timeout`` seconds)."""
        return self.got.wait(timeout)

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()
