"""INTEGRAL downloads: science windows and their revolution's auxiliary data (HEASARC tree).

A science window ``{scw}`` lives at ``integral/data/scw/{scw[:4]}/{scw}.{version}/`` (the
highest version unless one is asked for, found from the revolution's listing); its files are
fetched for the chosen instruments only (plus the shared ``swg``/spacecraft files), and the
revolution's ``aux/adp/{rev}.001/`` files, which every window of the revolution shares, are
fetched once into ``<mission>/aux/adp/{rev}.001/``. Files stay gzipped, as OSA reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from daxa.download.common import Lister, plan_each
from daxa.download.plan import Kind, Plan, RemoteFile
from daxa.download.transport import Transport
from daxa.errors import DownloadError

SERVICE = "heasarc_ftp"

#: Which instruments a science-window file belongs to, by a word in its name.
_INTEGRAL_OWNERS = (
    ("jmx1", ("JEMX1",)),
    ("jmx2", ("JEMX2",)),
    ("isgri", ("ISGRI",)),
    ("picsit", ("PICSIT",)),
    ("ibis", ("ISGRI", "PICSIT")),
    ("compton", ("ISGRI", "PICSIT")),
    ("spi", ("SPI",)),
    ("omc", ("OMC",)),
)


def integral_owner(name: str) -> tuple[str, ...] | None:
    """Instruments an INTEGRAL science-window file belongs to (None: shared).

    >>> integral_owner("jmx2_events.fits.gz"), integral_owner("swg.fits.gz")
    (('JEMX2',), None)
    """
    lower = name.lower()
    for word, owners in _INTEGRAL_OWNERS:
        if word in lower:
            return owners
    return None


def _integral_version(lister: Lister, scw: str, requested: str | None) -> str:
    rev = scw[:4]
    entries = lister.entries(f"integral/data/scw/{rev}")
    versions = sorted(
        e.name.split(".", 1)[1] for e in entries if e.is_dir and e.name.startswith(scw + ".")
    )
    if not versions:
        raise DownloadError(
            f"science window {scw} is not in the archive's revolution {rev} "
            f"({lister.url(f'integral/data/scw/{rev}')})"
        )
    if requested is not None:
        wanted = str(requested).zfill(3)
        if wanted not in versions:
            raise DownloadError(
                f"science window {scw} has no version {wanted}; available: {', '.join(versions)}"
            )
        return wanted
    return versions[-1]


def plan_integral(
    obs_ids: Sequence[str],
    instruments: Sequence[str],
    kind: Kind,
    version: str | None,
    session: Transport,
    *,
    workers: int = 8,
    **options: Any,
) -> Plan:
    """Plan INTEGRAL science windows: the window's files for the chosen instruments, plus the
    revolution's auxiliary data (``aux/adp/{rev}.001/``), which all windows of a revolution
    share (fetched once into ``<mission>/aux/adp/{rev}.001/``). Files stay gzipped, as OSA
    reads them. INTEGRAL has no pre-processed products, so ``kind`` makes no difference.
    """
    lister = Lister(session, SERVICE)

    def one(scw: str) -> tuple[list[RemoteFile], list[str]]:
        ver = _integral_version(lister, scw, version)
        folder = f"integral/data/scw/{scw[:4]}/{scw}.{ver}"
        files: list[RemoteFile] = []
        for entry in lister.entries(folder):
            if entry.is_dir:
                continue
            owner = integral_owner(entry.name)
            if owner is not None and not any(i in instruments for i in owner):
                continue
            files.append(lister.file(folder, entry, f"{scw}/{entry.name}", scw))
        aux = f"integral/data/aux/adp/{scw[:4]}.001"
        for entry in lister.entries(aux):
            if not entry.is_dir:
                files.append(lister.file(aux, entry, f"aux/adp/{scw[:4]}.001/{entry.name}", scw))
        notes = [f"science window version {ver}"]
        if kind == "products":
            notes.append("INTEGRAL has no pre-processed products; fetched the raw data")
        return files, notes

    return plan_each(
        "integral_pointed", obs_ids, one, workers=workers, on_planned=options.get("on_planned")
    )
