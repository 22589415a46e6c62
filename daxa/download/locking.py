"""One process at a time per ObsID folder: concurrent runs into the same folder wait, never clobber.

Each ObsID has a lock file ``<dest>/.daxa-locks/<mission>/<obs_id>.lock`` (outside the
mission folder, which holds only data, so a failed ObsID leaves no folder behind). A run holds the locks of the ObsIDs it is
working on while it sweeps their leftovers, fetches their files and writes their manifests;
another run asking for the same ObsIDs waits, then finds them complete and skips them. The
locks are ``flock`` locks (:mod:`filelock`): the system releases them when a process dies, so
a killed run never leaves a stale lock. Several locks are only ever waited for in sorted
order, holding no other, so two runs cannot deadlock.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> with ObsLocks(root) as mine, ObsLocks(root) as other:
...     mine.try_acquire(["0123", "0456"]), other.try_acquire(["0456", "0789"])
(['0123', '0456'], ['0789'])
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from pathlib import Path

from filelock import FileLock, Timeout

from daxa.download.layout import check_component

log = logging.getLogger("daxa.download")

#: Folder of the lock files, in the download root (beside the mission folders).
LOCK_DIR = ".daxa-locks"
#: How long a run waits for another process to finish an ObsID before reporting it busy.
LOCK_WAIT_S = 6 * 3600.0

__all__ = ["LOCK_DIR", "LOCK_WAIT_S", "ObsLocks", "destination_lock_path", "lock_path"]


def lock_path(mission_root: Path, obs_id: str) -> Path:
    """The lock file of one ObsID."""
    return _lock_dir(mission_root) / f"{check_component(obs_id, what='ObsID')}.lock"


def _lock_dir(mission_root: Path) -> Path:
    root = Path(mission_root)
    return root.parent / LOCK_DIR / root.name


def destination_lock_path(mission_root: Path, rel: str) -> Path:
    """The lock file of a file several ObsIDs share (INTEGRAL revolution data, a CalPV field
    tarball): no ObsID lock covers it, so it has its own while it is fetched."""
    digest = hashlib.sha256(rel.encode()).hexdigest()[:20]
    return _lock_dir(mission_root) / "shared" / f"{digest}.lock"


class ObsLocks:
    """The ObsID locks one run holds in one mission folder (released on exit)."""

    def __init__(self, mission_root: Path) -> None:
        self.root = Path(mission_root)
        self._held: dict[str, FileLock] = {}

    def _lock(self, obs_id: str) -> FileLock:
        path = lock_path(self.root, obs_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        return FileLock(str(path))

    def try_acquire(self, obs_ids: Iterable[str]) -> list[str]:
        """Take the locks that are free right now; return those ObsIDs (in the given order)."""
        got = []
        for obs_id in obs_ids:
            if obs_id in self._held:
                got.append(obs_id)
                continue
            lock = self._lock(obs_id)
            try:
                lock.acquire(timeout=0)
            except Timeout:
                continue
            self._held[obs_id] = lock
            got.append(obs_id)
        return got

    def acquire(
        self, obs_ids: Iterable[str], *, timeout: float | None = None
    ) -> tuple[list[str], list[str]]:
        """Wait (in sorted order, up to ``timeout`` s each, default :data:`LOCK_WAIT_S`) for
        the locks of ``obs_ids``; return the ObsIDs locked and those still busy after it."""
        timeout = LOCK_WAIT_S if timeout is None else timeout
        got, busy = [], []
        for obs_id in sorted(set(obs_ids)):
            if obs_id in self._held:
                got.append(obs_id)
                continue
            lock = self._lock(obs_id)
            log.info(
                "waiting for another daxa process downloading ObsID %s into %s", obs_id, self.root
            )
            try:
                lock.acquire(timeout=timeout, poll_interval=0.05)
            except Timeout:
                busy.append(obs_id)
                continue
            self._held[obs_id] = lock
            got.append(obs_id)
        return got, busy

    def release(self, obs_ids: Iterable[str] | None = None) -> None:
        """Release the locks of ``obs_ids`` (all held locks when ``None``)."""
        for obs_id in list(self._held) if obs_ids is None else list(obs_ids):
            lock = self._held.pop(obs_id, None)
            if lock is not None:
                lock.release()

    def __enter__(self) -> ObsLocks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
