"""Sending results to TOPCAT, Aladin or any SAMP client (``astropy.samp``).

The result is written as a VOTable (:func:`daxa.outputs.write_table`: units, UCDs, times and
coordinate systems) to a file in a temporary folder, and its URL is sent with the
``table.load.votable`` message, as a call each receiver answers once the table is loaded (a
fire-and-forget notification is lost when the hub passes it on after the sender has left).
The file stays.
"""

from __future__ import annotations

import tempfile
import uuid
import warnings
from pathlib import Path
from typing import Any

from daxa.errors import SampError
from daxa.outputs.writers import write_table

#: The SAMP message that asks a client to load a VOTable from a URL.
MTYPE = "table.load.votable"


def samp_classes(*names: str) -> tuple[Any, ...]:
    """Classes of ``astropy.samp`` (deprecated in astropy 8 in favour of pyvo, still the
    same protocol); the deprecation warning is not the user's concern."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="astropy.samp was deprecated")
        import astropy.samp as samp

    return tuple(getattr(samp, n) for n in names)


def send_samp(
    result: Any,
    name: str | None = None,
    *,
    recipient: str | None = None,
    client_name: str = "daxa",
    addr: str = "127.0.0.1",
    folder: str | Path | None = None,
    timeout: float = 60,
) -> str:
    """Send ``result`` (a frame, a :class:`~daxa.Selection`, a match result...) to the
    SAMP clients listening for tables (TOPCAT, Aladin), or only to ``recipient`` (a client id).

    A SAMP hub must be running (TOPCAT and Aladin start one). ``name`` is the table's name in
    the receiving application; ``folder`` where the VOTable is written (default: a new
    temporary folder); ``addr`` the address daxa's SAMP client listens on (the standard
    profile is local to one machine). Each receiver is asked with a SAMP call and answers
    once it has loaded the table (at most ``timeout`` seconds). Returns the URL sent. Raises
    :class:`~daxa.errors.SampError` when no hub runs, no client listens for tables or one
    of them does not load it.
    """
    SAMPHubError, SAMPIntegratedClient = samp_classes("SAMPHubError", "SAMPIntegratedClient")
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="daxa-samp-"))
    table_id = f"daxa-{uuid.uuid4().hex[:12]}"
    path = write_table(result, folder / f"{table_id}.vot", format="votable")
    url = path.resolve().as_uri()
    message = {
        "samp.mtype": MTYPE,
        "samp.params": {"url": url, "table-id": table_id, "name": name or "daxa result"},
    }
    client = SAMPIntegratedClient(name=client_name, description="daxa results", addr=addr)
    try:
        client.connect()
    except SAMPHubError as exc:
        raise SampError(
            f"no SAMP hub to send the table to ({exc}); start TOPCAT or Aladin (they run a "
            f"hub), then call again; the VOTable is at {path}"
        ) from None
    try:
        recipients = [recipient] if recipient is not None else _listeners(client)
        if not recipients:
            raise SampError(
                f"no SAMP client is listening for {MTYPE!r} messages; open TOPCAT or Aladin; "
                f"the VOTable is at {path}"
            )
        for rid in recipients:
            # a call, answered once the table is loaded: a notification is dropped by the hub
            # when the sender disconnects before it is passed on (astropy's hub does so)
            try:
                response = client.call_and_wait(rid, message, timeout=str(int(timeout)))
            except Exception as exc:
                response = {"samp.status": "samp.error", "samp.error": {"samp.errortxt": exc}}
            if response.get("samp.status") == "samp.error":
                why = response.get("samp.error", {}).get("samp.errortxt", "no reason given")
                raise SampError(
                    f"the SAMP client {rid!r} did not load the table ({why}); the VOTable is at "
                    f"{path}"
                )
    finally:
        client.disconnect()
    return url


def _listeners(client: Any) -> list[str]:
    """Ids of the connected clients that load tables."""
    return list(client.get_subscribed_clients(MTYPE))
