"""XMM-Newton downloads: the XSA's AIO tarball (default) or the HEASARC tree.

* ``source="xsa"``: one request per ObsID to the AIO servlet
  (``data-action-aio?obsno=...&level=ODF``), which answers with a tar holding a ``.TAR`` of
  the ODF files; only the chosen instruments' files (plus the spacecraft ``SC`` files and the
  ``MANIFEST``) are extracted into ``<obs_id>/ODF/``. ``kind="products"`` adds the PPS tar
  (``level=PPS``) unpacked into ``<obs_id>/PPS/``. The XSA host gets at most 10 concurrent
  requests (it drops connections above that).
* ``source="heasarc"``: the ``xmm/data/rev0/{obsid}/ODF/`` listing, fetching only the chosen
  instruments' files (gunzipped), and ``PPS/`` for products.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from daxa.config import service_url
from daxa.download.common import Lister, plan_each, unpack_kind
from daxa.download.plan import Kind, Plan, RemoteFile, TarExtract
from daxa.download.transport import Transport
from daxa.errors import DownloadError, InputError

SOURCES = ("xsa", "heasarc")
#: Spacecraft files every ODF needs, whatever the instruments.
SPACECRAFT = "SC"


def odf_keep(obs_id: str, instruments: Sequence[str]) -> tuple[str, ...]:
    """Regexes of the ODF file names to keep for ``instruments`` (plus SC and MANIFEST).

    >>> import re
    >>> keep = odf_keep("0201903501", ["PN"])
    >>> [bool(any(re.search(k, n) for k in keep)) for n in
    ...  ["0896_0201903501_PNS00301IME.FIT", "0896_0201903501_M1S00101IME.FIT", "MANIFEST.123"]]
    [True, False, True]
    """
    tags = "|".join([*instruments, SPACECRAFT])
    return (rf"_{obs_id}_({tags})", r"^MANIFEST")


def pps_keep(obs_id: str, instruments: Sequence[str]) -> tuple[str, ...]:
    """Regexes of PPS names to keep: the chosen instruments' and the combined (EPX, CA...) ones."""
    others = "M1|M2|PN|OM|R1|R2"
    unwanted = "|".join(i for i in others.split("|") if i not in instruments) or "NONE"
    return (rf"^P{obs_id}(?!({unwanted}))", r"^MANIFEST")


def _aio_url(obs_id: str, level: str) -> str:
    return f"{service_url('xsa_aio')}/data-action-aio?obsno={obs_id}&level={level}"


def _plan_xsa(obs_id: str, instruments: Sequence[str], kind: Kind) -> list[RemoteFile]:
    files = [
        RemoteFile(
            _aio_url(obs_id, "ODF"),
            f"{obs_id}/.{obs_id}_ODF.tar",
            obs_id,
            "xsa_aio",
            extract=TarExtract(
                f"{obs_id}/ODF", keep=odf_keep(obs_id, instruments), nested=r"(?i)\.tar$"
            ),
        )
    ]
    if kind == "products":
        files.append(
            RemoteFile(
                _aio_url(obs_id, "PPS"),
                f"{obs_id}/.{obs_id}_PPS.tar",
                obs_id,
                "xsa_aio",
                extract=TarExtract(f"{obs_id}/PPS", keep=pps_keep(obs_id, instruments)),
            )
        )
    return files


def _plan_heasarc(
    obs_id: str, instruments: Sequence[str], kind: Kind, lister: Lister
) -> list[RemoteFile]:
    folder = f"xmm/data/rev0/{obs_id}"
    lister.entries(folder)  # NotFoundError when the ObsID is not there
    parts = [("ODF", odf_keep(obs_id, instruments))]
    if kind == "products":
        parts.append(("PPS", pps_keep(obs_id, instruments)))
    files: list[RemoteFile] = []
    for sub, keep in parts:
        entries = lister.try_list(f"{folder}/{sub}")
        if entries is None:
            raise DownloadError(f"the archive folder of ObsID {obs_id} lacks {sub}/")
        patterns = [re.compile(k) for k in keep]
        for entry in entries:
            if entry.is_dir or not any(p.search(entry.name) for p in patterns):
                continue
            # ODF files are gunzipped; PPS files (.FTZ, .PDF, .HTM...) are kept as they are.
            unpack = unpack_kind(entry.name) if sub == "ODF" else None
            files.append(
                lister.file(
                    f"{folder}/{sub}", entry, f"{obs_id}/{sub}/{entry.name}", obs_id, unpack=unpack
                )
            )
    if not files:
        raise DownloadError(f"no ODF files for ObsID {obs_id} and {', '.join(instruments)}")
    return files


def plan_xmm(
    obs_ids: Sequence[str],
    instruments: Sequence[str],
    kind: Kind,
    version: str | None,
    session: Transport,
    *,
    workers: int = 8,
    source: str = "xsa",
    **options: Any,
) -> Plan:
    """Plan XMM-Newton pointed downloads from the XSA (``source="xsa"``) or HEASARC."""
    if source not in SOURCES:
        raise InputError(f"XMM source must be one of {', '.join(SOURCES)}, not {source!r}")
    if source == "xsa":
        return plan_each(
            "xmm_pointed",
            obs_ids,
            lambda o: _plan_xsa(o, instruments, kind),
            workers=workers,
            on_planned=options.get("on_planned"),
        )
    lister = Lister(session, "heasarc_ftp")
    return plan_each(
        "xmm_pointed",
        obs_ids,
        lambda o: _plan_heasarc(o, instruments, kind, lister),
        workers=workers,
        on_planned=options.get("on_planned"),
    )
