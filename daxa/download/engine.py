"""The transfer engine every downloader shares: execute a plan.

:func:`run_plan` runs the files of a plan in a thread pool over a
:class:`~daxa.download.transport.Transport`, fetching each destination once even when several
ObsIDs share it and reusing files a manifest already vouches for. Each attempt streams into its
own temporary file beside the destination (resuming with ``Range`` after a cut), which must
pass every check before anything is moved into place: size and digest
(:mod:`daxa.download.verify`), then content by type (:mod:`daxa.download.content`: FITS
structure and checksums, gzip CRCs, tar members, no error page where data was expected) on the
file and on what it unpacks to (:mod:`daxa.download.finish`). A file that fails is fetched afresh, then reported; a finished
file is never deleted or replaced by a failed attempt, and no temporary file survives. One
failing ObsID never stops the others.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from filelock import FileLock

from daxa.atomic import TEMP_PREFIX, TEMP_SUFFIX, temporary_sibling
from daxa.download.content import check_content
from daxa.download.finish import finish_plain, finish_tar, tar_name
from daxa.download.layout import inside
from daxa.download.locking import destination_lock_path
from daxa.download.manifest import FileRecord, Manifest
from daxa.download.plan import RemoteFile
from daxa.download.transport import (
    SERVICE_CAPS,
    AccessDeniedError,
    CancelledError,
    CorruptFileError,
    Fetched,
    NotFoundError,
    Policy,
    Transport,
)
from daxa.download.verify import verify_transfer
from daxa.errors import DownloadError
from daxa.progress import TransferProgress

log = logging.getLogger("daxa.download")

__all__ = [
    "SERVICE_CAPS",
    "AccessDeniedError",
    "CancelledError",
    "CorruptFileError",
    "Fetched",
    "FileOutcome",
    "NotFoundError",
    "Policy",
    "Transport",
    "run_plan",
    "transfer_group",
]

#: How many times a file that arrived corrupted is fetched again from scratch.
CORRUPTION_RETRIES = 2


@dataclass
class FileOutcome:
    """What happened to one planned file."""

    remote: RemoteFile
    outputs: list[FileRecord] = field(default_factory=list)
    remote_size: int | None = None
    error: str | None = None
    fetched_bytes: int = 0
    reused: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def _intact(outcome: FileOutcome, mission_root: Path) -> bool:
    """True when every output of an earlier outcome is still on disk with its size."""
    for record in outcome.outputs:
        path = inside(mission_root, record.path)
        if not path.is_file() or path.stat().st_size != record.size:
            return False
    return bool(outcome.outputs)


def transfer_group(
    group: list[RemoteFile],
    mission_root: Path,
    transport: Transport,
    *,
    progress: TransferProgress | None = None,
    check_fits: bool = True,
) -> list[FileOutcome]:
    """Fetch one destination (shared by every RemoteFile in ``group``) and finish each file.

    Never raises for a failed file: the outcomes carry the reasons. Each attempt streams into
    its own temporary file beside the destination, which is checked (size, digest, content by
    type) before anything is moved into place: a failure, here or in another process fetching
    the same file, never deletes or replaces a finished file, and leaves no temporary behind.
    ``check_fits`` turns the content checks (FITS, gzip, tar, error pages) on.
    """
    first = group[0]
    final = inside(mission_root, first.dest_relpath)
    outcomes = [FileOutcome(remote) for remote in group]
    fetched_bytes = 0
    last_error: DownloadError | None = None

    def bytes_seen(n: int) -> None:
        nonlocal fetched_bytes
        fetched_bytes += n
        if progress is not None:
            progress.advance_bytes(n)

    with _destination_lock(mission_root, group, final):
        for _ in range(CORRUPTION_RETRIES + 1):
            temp = temporary_sibling(final)
            try:
                fetched = transport.fetch(
                    first.url,
                    temp,
                    service=first.service,
                    on_bytes=bytes_seen,
                    on_total=progress.add_total if progress is not None else None,
                )
                digest = verify_transfer(temp, first, fetched)
                for outcome in outcomes:
                    outcome.remote_size = fetched.size
                if first.extract is None:
                    records = finish_plain(first, temp, mission_root, digest, check_fits)
                    for outcome in outcomes:
                        outcome.outputs = list(records)
                else:
                    if check_fits:
                        check_content(temp, name=tar_name(final), source=first.url)
                    for outcome in outcomes:
                        try:
                            outcome.outputs = finish_tar(
                                outcome.remote, temp, mission_root, check_fits
                            )
                        except CorruptFileError:
                            raise
                        except DownloadError as exc:
                            outcome.error = str(exc)
                last_error = None
                break
            except CorruptFileError as exc:
                log.warning("%s; fetching it again", exc)
                last_error = exc
                for outcome in outcomes:
                    outcome.outputs = []
                    outcome.error = None
            except DownloadError as exc:
                last_error = exc
                break
            except OSError as exc:  # the local disk: full, read-only, permissions
                last_error = DownloadError(f"could not write {final}: {exc}")
                break
            finally:
                temp.unlink(missing_ok=True)
    for outcome in outcomes:
        outcome.fetched_bytes = fetched_bytes
        if last_error is not None:
            outcome.error = str(last_error)
            outcome.outputs = []
    return outcomes


@contextlib.contextmanager
def _destination_lock(mission_root: Path, group: list[RemoteFile], final: Path) -> Iterator[None]:
    """For a file outside its ObsIDs' folders (shared by ObsIDs, so no ObsID lock covers it),
    hold its own lock while fetching it and sweep what a killed run left of it."""
    if all(PurePosixPath(r.dest_relpath).parts[0] == r.obs_id for r in group):
        yield  # inside a locked ObsID folder: swept with it
        return
    with FileLock(str(destination_lock_path(mission_root, group[0].dest_relpath))):
        names = {final.name, PurePosixPath(group[0].output_relpath).name}
        ours = re.compile(
            rf"\.?(?:{'|'.join(re.escape(TEMP_PREFIX + n) for n in names)})"
            rf"\.[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}(?:\.unpack-\d+-\d+)?"
        )
        if final.parent.is_dir():
            for stale in final.parent.iterdir():
                if ours.fullmatch(stale.name):
                    stale.unlink(missing_ok=True)
        yield


def run_plan(
    files: Sequence[RemoteFile],
    mission_root: Path,
    transport: Transport,
    *,
    manifests: dict[str, Manifest] | None = None,
    max_workers: int = 8,
    progress: TransferProgress | None = None,
    deep_verify: bool = False,
    check_fits: bool = True,
    on_obs_done: Callable[[str, list[FileOutcome]], None] | None = None,
    fetched: dict[str, FileOutcome] | None = None,
) -> list[FileOutcome]:
    """Execute ``files``; return one outcome per planned file (in plan order).

    Files that an ObsID's manifest already records intact are reused without any request.
    Files sharing a destination are fetched once; ``fetched`` (destination → outcome) carries
    that across calls, so a file shared by ObsIDs of different batches is not fetched again.
    ``on_obs_done(obs_id, outcomes)`` is called (in the calling thread) as soon as every file
    of an ObsID is finished, so its manifest can be written before the rest of the run ends.
    ``progress`` gets the number of files this call fetches added to its total.
    """
    manifests = manifests or {}
    fetched = fetched if fetched is not None else {}
    outcomes: dict[int, FileOutcome] = {}
    groups: dict[str, list[tuple[int, RemoteFile]]] = {}
    for index, remote in enumerate(files):
        manifest = manifests.get(remote.obs_id)
        entry = (
            manifest.good_entry(remote.url, mission_root, deep=deep_verify) if manifest else None
        )
        earlier = fetched.get(remote.dest_relpath)
        if entry is not None:
            outcomes[index] = FileOutcome(
                remote, list(entry.outputs), entry.remote_size, reused=True
            )
        elif earlier is not None and _intact(earlier, mission_root):
            outcomes[index] = FileOutcome(
                remote, list(earlier.outputs), earlier.remote_size, reused=True
            )
        else:
            groups.setdefault(remote.dest_relpath, []).append((index, remote))

    if progress is not None:
        progress.add_files(len(groups))
    remaining: dict[str, int] = {}
    for members in groups.values():
        for _, remote in members:
            remaining[remote.obs_id] = remaining.get(remote.obs_id, 0) + 1

    def outcomes_of(obs_id: str) -> list[FileOutcome]:
        return [o for _, o in sorted(outcomes.items()) if o.remote.obs_id == obs_id]

    def settle(index: int, outcome: FileOutcome) -> None:
        outcomes[index] = outcome
        obs_id = outcome.remote.obs_id
        remaining[obs_id] -= 1
        if remaining[obs_id] == 0 and on_obs_done is not None:
            on_obs_done(obs_id, outcomes_of(obs_id))

    if on_obs_done is not None:
        for obs_id in dict.fromkeys(f.obs_id for f in files):
            if obs_id not in remaining:
                on_obs_done(obs_id, outcomes_of(obs_id))

    if not groups:
        return [outcomes[i] for i in range(len(files))]
    workers = max(1, min(max_workers, len(groups)))
    pending: dict[Future[list[FileOutcome]], list[int]] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="daxa-dl") as pool:
        try:
            for members in groups.values():
                future = pool.submit(
                    transfer_group,
                    [remote for _, remote in members],
                    mission_root,
                    transport,
                    progress=progress,
                    check_fits=check_fits,
                )
                pending[future] = [index for index, _ in members]
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    indices = pending.pop(future)
                    results = future.result()
                    if results and results[0].ok and not results[0].remote.transient:
                        fetched[results[0].remote.dest_relpath] = results[0]
                    if progress is not None:
                        progress.file_done(all(r.ok for r in results))
                    for index, result in zip(indices, results, strict=True):
                        settle(index, result)
        except BaseException:
            transport.cancelled.set()
            for future in pending:
                future.cancel()
            raise
    return [outcomes[i] for i in range(len(files))]
