"""What :func:`~daxa.download.download` returns: per-ObsID outcomes, as a report or a frame."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl

from daxa.errors import DownloadError

Status = Literal["ok", "failed"]

__all__ = ["DownloadReport", "ObsResult", "Status"]


@dataclass
class ObsResult:
    """The outcome for one ObsID."""

    obs_id: str
    status: Status
    files: int = 0
    bytes: int = 0
    fetched_files: int = 0
    fetched_bytes: int = 0
    reason: str | None = None
    failures: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class DownloadReport:
    """Per-ObsID outcomes of one :func:`download` call."""

    mission: str
    dest: Path
    kind: str
    results: dict[str, ObsResult] = field(default_factory=dict)
    seconds: float = 0.0
    requests: int = 0
    retries: int = 0
    #: Destinations whose bytes are already counted (shared files count once).
    counted: set[str] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> list[str]:
        """ObsIDs that are completely downloaded."""
        return [o for o, r in self.results.items() if r.ok]

    @property
    def failed(self) -> dict[str, str]:
        """ObsIDs that are not, with the reason."""
        return {o: r.reason or "failed" for o, r in self.results.items() if not r.ok}

    @property
    def fetched_bytes(self) -> int:
        """Bytes transferred by this call (a file several ObsIDs share counted once)."""
        return sum(r.fetched_bytes for r in self.results.values())

    @property
    def all_ok(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> DownloadReport:
        """Raise :class:`~daxa.errors.DownloadError` naming every failed ObsID, if any."""
        failed = self.failed
        if failed:
            lines = "; ".join(f"{o}: {why}" for o, why in list(failed.items())[:10])
            more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
            raise DownloadError(f"{len(failed)} {self.mission} ObsID(s) failed: {lines}{more}")
        return self

    def to_frame(self) -> pl.DataFrame:
        """One row per ObsID: status, files, bytes on disk, bytes fetched now, reason."""
        rows = [
            (r.obs_id, r.status, r.files, r.bytes, r.fetched_files, r.fetched_bytes, r.reason)
            for r in self.results.values()
        ]
        return pl.DataFrame(
            rows,
            schema={
                "obs_id": pl.String,
                "status": pl.String,
                "files": pl.Int64,
                "bytes": pl.Int64,
                "fetched_files": pl.Int64,
                "fetched_bytes": pl.Int64,
                "reason": pl.String,
            },
            orient="row",
        )

    def __str__(self) -> str:
        n_ok, n_failed = len(self.ok), len(self.failed)
        text = (
            f"{self.mission}: {n_ok} ObsID(s) complete, {n_failed} failed; "
            f"{self.fetched_bytes / 2**20:.1f} MiB fetched in {self.seconds:.1f} s "
            f"under {self.dest / self.mission}"
        )
        for obs_id, why in list(self.failed.items())[:20]:
            text += f"\n  {obs_id}: {why}"
        return text
