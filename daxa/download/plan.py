"""What a downloader produces: a plan of remote files and where each one goes.

A downloader (see :mod:`daxa.download.registry`) turns ObsIDs and options into a :class:`Plan`;
the transfer engine (:mod:`daxa.download.engine`) executes it. Destinations are relative to the
mission folder (``<dest>/<mission>/``): an ObsID's own files live under ``<obs_id>/``, files
several ObsIDs share (INTEGRAL revolution data, a CalPV field tarball) live elsewhere in the
mission folder and are fetched once.

>>> f = RemoteFile("https://h/x.fits.gz", "0123/x.fits.gz", "0123", "heasarc_ftp", unpack="gzip")
>>> f.output_relpath
'0123/x.fits'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from daxa.download.layout import safe_relpath

Unpack = Literal["gzip", "lzw"]
Kind = Literal["raw", "products"]


@dataclass(frozen=True)
class TarExtract:
    """How to unpack a tarball for one ObsID.

    Members whose file name matches one of ``keep`` (regular expressions searched in the
    base name; empty keeps all) and none of ``drop`` are written under ``into`` (relative to
    the mission folder), flattened to their base names. Members whose name matches ``nested``
    are tar archives themselves and are opened in turn.
    """

    into: str
    keep: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    nested: str | None = None


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: its URL, where it goes, and what to do with it once complete.

    ``size`` is the exact size when the archive states it (eRODat listings do, Apache listings
    round it); ``sha256`` a checksum when the archive gives one. ``unpack`` decompresses the
    file in place (``"gzip"`` or ``"lzw"``); ``extract`` unpacks a tarball; ``cut_tms`` writes
    an eROSITA event list cut to those telescope modules next to the full one.
    """

    url: str
    dest_relpath: str
    obs_id: str
    service: str
    size: int | None = None
    sha256: str | None = None
    unpack: Unpack | None = None
    extract: TarExtract | None = None
    cut_tms: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        safe_relpath(self.dest_relpath)
        if self.extract is not None:
            safe_relpath(self.extract.into)

    @property
    def output_relpath(self) -> str:
        """Where the (decompressed) file ends up, relative to the mission folder."""
        rel = self.dest_relpath
        if self.unpack == "gzip" and rel.lower().endswith(".gz"):
            return rel[:-3]
        if self.unpack == "lzw" and rel.endswith(".Z"):
            return rel[:-2]
        return rel

    @property
    def transient(self) -> bool:
        """True when the downloaded file itself is not kept (a tarball that gets extracted)."""
        return self.extract is not None


@dataclass
class Plan:
    """Remote files for some ObsIDs, plus the ObsIDs that could not be planned and why."""

    mission: str
    files: list[RemoteFile] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    #: Facts worth reporting per ObsID (e.g. "pipeline version 010", a missing products folder).
    notes: dict[str, list[str]] = field(default_factory=dict)

    def for_obs(self, obs_id: str) -> list[RemoteFile]:
        return [f for f in self.files if f.obs_id == obs_id]

    def note(self, obs_id: str, text: str) -> None:
        self.notes.setdefault(obs_id, []).append(text)

    def extend(self, other: Plan) -> None:
        self.files += other.files
        self.failed.update(other.failed)
        for obs_id, texts in other.notes.items():
            self.notes.setdefault(obs_id, []).extend(texts)
