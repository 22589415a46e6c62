"""``download()``: plan with the mission's downloader, transfer, write manifests, report.

The result says, per ObsID, whether it is complete, which files it holds, how many bytes were
fetched now, and why it failed when it did. A re-run fetches only what is missing or bad: an
ObsID whose manifest is complete for the same request and whose files are intact makes no
request at all; a partly downloaded one fetches only the files its manifest does not vouch for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from daxa.config import service_url
from daxa.download import locking
from daxa.download.credentials import CredentialsArg, resolve_credentials
from daxa.download.engine import FileOutcome, run_plan
from daxa.download.layout import (
    DEFAULT_DEST,
    MANIFEST_NAME,
    PathLike,
    manifest_path,
    mission_dir,
    sweep_partials,
)
from daxa.download.locking import ObsLocks
from daxa.download.manifest import Manifest
from daxa.download.plan import Kind, Plan
from daxa.download.registry import DOWNLOADERS
from daxa.download.report import DownloadReport, ObsResult
from daxa.download.transport import Policy, Transport
from daxa.errors import InputError
from daxa.missions import check_obs_ids, get_mission, normalise_instruments
from daxa.progress import TransferProgress, progress_enabled

log = logging.getLogger("daxa.download")

#: The services that hold each mission's proprietary data: its credentials are bound to these
#: hosts only (XMM's to the XSA, never to HEASARC, whose XMM copy is public).
MISSION_SERVICES: dict[str, tuple[str, ...]] = {
    "xmm_pointed": ("xsa_aio",),
    "erosita_calpv": ("erosita_edr",),
    "erosita_all_sky_de_dr1": ("erosita_dr1",),
}
#: ObsIDs listed, then fetched, per round of a large download.
BATCH_OBS = 128


def _instrument_map(
    mission: str, obs_ids: list[str], instruments: Any
) -> dict[str, tuple[str, ...]]:
    spec = get_mission(mission)
    if instruments is None:
        default = spec.default_instruments
        return {o: default for o in obs_ids}
    if isinstance(instruments, Mapping):
        out = {}
        for obs_id in obs_ids:
            chosen = instruments.get(obs_id)
            out[obs_id] = (
                normalise_instruments(spec, chosen) if chosen else spec.default_instruments
            )
        return out
    chosen = normalise_instruments(spec, instruments)
    return {o: chosen for o in obs_ids}


def _request(kind: str, instruments: tuple[str, ...], version: str | None) -> dict[str, Any]:
    return {"kind": kind, "instruments": list(instruments), "version": version}


def download(
    mission: str,
    obs_ids: str | Iterable[str],
    *,
    instruments: Sequence[str] | Mapping[str, Sequence[str]] | str | None = None,
    dest: PathLike = DEFAULT_DEST,
    kind: Kind = "raw",
    version: str | int | None = None,
    credentials: CredentialsArg = None,
    max_workers: int = 8,
    per_host: int = 4,
    progress: bool = True,
    verify: Literal["size", "sha256"] = "size",
    check_fits: bool = True,
    retries: int = 4,
    backoff: float = 0.5,
    connect_timeout: float = 10.0,
    read_timeout: float = 60.0,
    **options: Any,
) -> DownloadReport:
    """Download ``obs_ids`` of ``mission`` into ``<dest>/<mission>/<obs_id>/``.

    ``instruments`` (default: the mission's defaults) may also map ObsID → instruments, so each
    observation fetches only the instruments that cover what you look for. ``kind="products"``
    adds the archive's pre-processed products; ``version`` picks the eRASS1 pipeline version
    (default: the highest). ``verify="sha256"`` re-hashes files a manifest vouches for before
    trusting them and lists the archive again, so damaged files and files an earlier (cut)
    listing missed are fetched (default: sizes only, and a complete ObsID is not listed).
    Runs into the same ``dest`` may overlap: an ObsID another process is downloading is
    waited for (see :mod:`daxa.download.locking`), then skipped when it completed it.
    ``credentials`` — ``(user, password)``, a mapping, an ini file, or ``~/.netrc`` by
    default — are sent only to the mission's archive hosts.
    ``options`` go to the mission's downloader (``starts`` for Swift, ``source`` for XMM,
    ``fields`` for CalPV; see :mod:`daxa.download.registry`).

    Never raises for a failed ObsID: check :attr:`DownloadReport.failed` or call
    :meth:`DownloadReport.raise_for_failures`.
    """
    started = time.perf_counter()
    spec = get_mission(mission)
    if kind not in ("raw", "products"):
        raise InputError(f"kind must be 'raw' or 'products', not {kind!r}")
    if verify not in ("size", "sha256"):
        raise InputError(f"verify must be 'size' or 'sha256', not {verify!r}")
    if max_workers < 1 or per_host < 1:
        raise InputError("max_workers and per_host must be at least 1")
    ids = list(dict.fromkeys(check_obs_ids(spec, obs_ids)))
    version_text = None if version is None else str(version)
    chosen = _instrument_map(spec.name, ids, instruments)
    root = mission_dir(dest, spec.name)
    report = DownloadReport(spec.name, Path(dest), kind)
    deep = verify == "sha256"

    # 1. ObsIDs already complete for this request need nothing (not even a listing); a deep
    #    check (verify="sha256") re-lists them too, so a file an earlier listing missed is found.
    manifests: dict[str, Manifest] = {}
    todo: list[str] = []
    for obs_id in ids:
        manifest = Manifest.load(manifest_path(dest, spec.name, obs_id))
        if manifest is not None:
            manifests[obs_id] = manifest
        if not deep and _vouched(manifest, kind, chosen[obs_id], version_text, root):
            report.results[obs_id] = _complete(obs_id, manifest, root)  # type: ignore[arg-type]
        else:
            todo.append(obs_id)

    if todo:
        creds = [
            c
            for service in MISSION_SERVICES.get(spec.name, ("heasarc_ftp",))
            if (
                c := resolve_credentials(
                    credentials, service_url(service), service=service, mission=spec.name
                )
            )
            is not None
        ]
        policy = Policy(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries=retries,
            backoff=backoff,
            per_host=per_host,
        )
        enabled = progress_enabled(progress)
        listing = TransferProgress(len(todo), label=f"{spec.name} listing", enabled=enabled)
        bar = TransferProgress(0, label=spec.name, enabled=enabled)
        fetched: dict[str, FileOutcome] = {}
        # Plan and fetch in batches: the first files arrive (and manifests are written) long
        # before thousands of ObsIDs are listed. CalPV ObsIDs share field tarballs: one batch.
        size = len(todo) if spec.name == "erosita_calpv" else BATCH_OBS

        def run(batch: list[str], transport: Transport) -> None:
            """Plan and fetch ``batch``, whose ObsID locks this run holds."""
            asked = len(batch)
            batch = _unclaimed(batch, report, manifests, chosen, kind, version_text, root, deep)
            for _ in range(asked - len(batch)):  # completed by another process meanwhile
                listing.file_done()
            if not batch:
                return
            plan = _plan(
                spec.name,
                batch,
                chosen,
                kind,
                version_text,
                transport,
                max_workers,
                {**options, "on_planned": lambda _obs: listing.file_done()},
            )
            _execute(
                report, plan, batch, chosen, manifests, root, transport, dest, kind,
                version_text, max_workers, bar, deep, check_fits, fetched,
            )  # fmt: skip

        try:
            with Transport(policy, creds) as transport, ObsLocks(root) as locks:
                for start in range(0, len(todo), size):
                    # ObsIDs another process is downloading wait until the free ones are done.
                    batch = todo[start : start + size]
                    free = locks.try_acquire(batch)
                    run(free, transport)
                    locks.release(free)
                    if busy := [o for o in batch if o not in free]:
                        taken, still_busy = locks.acquire(busy)
                        for obs_id in still_busy:
                            report.results[obs_id] = ObsResult(
                                obs_id, "failed", reason=_busy(root, obs_id)
                            )
                            listing.file_done()
                        run(taken, transport)
                        locks.release(taken)
                report.requests = transport.requests_sent
                report.retries = transport.retries_made
        finally:
            listing.close()
            bar.close()
    report.results = {o: report.results[o] for o in ids}
    report.seconds = time.perf_counter() - started
    log.info("%s", report)
    return report


def _vouched(
    manifest: Manifest | None,
    kind: str,
    instruments: tuple[str, ...],
    version: str | None,
    root: Path,
    deep: bool = False,
) -> bool:
    """True when ``manifest`` is complete for this request and its files are intact."""
    return (
        manifest is not None
        and manifest.covers(kind, instruments, version)
        and not manifest.verify(root, deep=deep)
    )


def _complete(obs_id: str, manifest: Manifest, root: Path) -> ObsResult:
    return ObsResult(
        obs_id,
        "ok",
        files=len(manifest.files),
        bytes=manifest.total_bytes,
        notes=list(manifest.notes),
        path=root / obs_id,
    )


def _busy(root: Path, obs_id: str) -> str:
    return (
        f"another daxa process is still downloading ObsID {obs_id} into {root} after "
        f"{locking.LOCK_WAIT_S:g} s; run again when it has finished"
    )


def _unclaimed(
    batch: list[str],
    report: DownloadReport,
    manifests: dict[str, Manifest],
    chosen: dict[str, tuple[str, ...]],
    kind: str,
    version: str | None,
    root: Path,
    deep: bool,
) -> list[str]:
    """The ObsIDs of ``batch`` (locked by this run) that still need work.

    Under the lock the manifest is read again: another process may have completed the ObsID
    while this one waited (then it is reported complete, with no request). Leftovers of a
    killed run are swept now, when no other process can be writing there.
    """
    remaining = []
    for obs_id in batch:
        manifest = Manifest.load(root / obs_id / MANIFEST_NAME)
        if manifest is None:
            manifests.pop(obs_id, None)
        else:
            manifests[obs_id] = manifest
        if not deep and _vouched(manifest, kind, chosen[obs_id], version, root):
            report.results[obs_id] = _complete(obs_id, manifest, root)  # type: ignore[arg-type]
            continue
        sweep_partials(root / obs_id)
        remaining.append(obs_id)
    return remaining


def _plan(
    mission: str,
    obs_ids: list[str],
    chosen: dict[str, tuple[str, ...]],
    kind: Kind,
    version: str | None,
    transport: Transport,
    workers: int,
    options: Mapping[str, Any],
) -> Plan:
    """Plan per group of ObsIDs sharing the same instruments."""
    plan = Plan(mission)
    groups: dict[tuple[str, ...], list[str]] = {}
    for obs_id in obs_ids:
        groups.setdefault(chosen[obs_id], []).append(obs_id)
    for instruments, members in groups.items():
        plan.extend(
            DOWNLOADERS[mission](
                members, instruments, kind, version, transport, workers=workers, **options
            )
        )
    return plan


def _execute(
    report: DownloadReport,
    plan: Plan,
    todo: list[str],
    chosen: dict[str, tuple[str, ...]],
    manifests: dict[str, Manifest],
    root: Path,
    transport: Transport,
    dest: PathLike,
    kind: str,
    version: str | None,
    max_workers: int,
    bar: TransferProgress,
    deep: bool,
    check_fits: bool,
    fetched: dict[str, FileOutcome],
) -> None:
    mission = plan.mission
    for obs_id, reason in plan.failed.items():
        report.results[obs_id] = ObsResult(obs_id, "failed", reason=reason)

    def finish(obs_id: str, outcomes: list[FileOutcome]) -> None:
        # Entries of earlier requests stay: their files are still there and still valid.
        manifest = manifests.get(obs_id) or Manifest(mission, obs_id)
        manifest.failed = {}
        for outcome in outcomes:
            if outcome.ok:
                manifest.record(outcome.remote.url, outcome.outputs, outcome.remote_size)
            else:
                manifest.fail(outcome.remote.url, outcome.error or "failed")
        resolved = plan.notes.get(obs_id, [])
        manifest.notes = list(resolved)
        request = _request(kind, chosen[obs_id], _resolved_version(resolved, version))
        urls = [o.remote.url for o in outcomes]
        if added := manifest.expect(urls, same_request=manifest.request == request):
            log.warning(
                "%s %s: the archive now lists %d file(s) an earlier listing did not show; "
                "fetching them: %s", mission, obs_id, len(added), ", ".join(added[:5]),
            )  # fmt: skip
        manifest.request = request
        manifest.finish(complete=not manifest.failed, when=datetime.now(UTC))
        manifest.save(manifest_path(dest, mission, obs_id))
        new = [o for o in outcomes if not o.reused]
        fetched_bytes = 0
        for o in new:  # a file shared by several ObsIDs counts for the first one only
            if o.remote.dest_relpath not in report.counted:
                report.counted.add(o.remote.dest_relpath)
                fetched_bytes += o.fetched_bytes
        failures = {o.remote.url: o.error or "failed" for o in outcomes if not o.ok}
        failures.update({u: why for u, why in manifest.failed.items() if u not in failures})
        reason = None
        if failures:
            first_error = next(iter(failures.values()))
            total = max(len(outcomes), len(manifest.expected))
            reason = (
                f"{len(failures)} of {total} file(s) failed; first: {first_error}"
                if len(failures) > 1
                else first_error
            )
        report.results[obs_id] = ObsResult(
            obs_id,
            "ok" if manifest.complete else "failed",
            files=len(manifest.files),
            bytes=manifest.total_bytes,
            fetched_files=sum(1 for o in new if o.ok),
            fetched_bytes=fetched_bytes,
            reason=reason,
            failures=failures,
            notes=list(resolved),
            path=root / obs_id,
        )

    files = [f for f in plan.files if f.obs_id in todo and f.obs_id not in plan.failed]
    run_plan(
        files,
        root,
        transport,
        manifests=manifests,
        max_workers=max_workers,
        progress=bar,
        deep_verify=deep,
        check_fits=check_fits,
        on_obs_done=finish,
        fetched=fetched,
    )
    for obs_id in todo:
        if obs_id not in report.results:
            report.results[obs_id] = ObsResult(obs_id, "failed", reason="nothing was planned")


def _resolved_version(notes: list[str], requested: str | None) -> str | None:
    for note in notes:
        if note.startswith("pipeline version "):
            return note.split()[-1]
    return requested


def download_selection(selection: Any, **kwargs: Any) -> DownloadReport:
    """:func:`download` for a selection: any object with ``mission``, ``obs_ids`` and
    ``instruments`` (a :class:`daxa.selection.Selection`).

    When the selection has positional steps, each observation fetches only the instruments
    that cover a position (its ``associations``); its table supplies Swift start times and
    CalPV tarballs, so no extra look-up is needed.
    """
    mission = get_mission(selection.mission).name
    obs_ids = list(selection.obs_ids)
    chosen = tuple(getattr(selection, "instruments", ()) or ())
    instruments: Any = kwargs.pop("instruments", None) or (chosen or None)
    associations = getattr(selection, "associations", None)
    if (
        isinstance(associations, pl.DataFrame)
        and associations.height
        and "instruments" in associations.columns
        and not isinstance(instruments, Mapping)
    ):
        per_obs = (
            associations.explode("instruments")
            .group_by("obs_id")
            .agg(pl.col("instruments").drop_nulls().unique())
        )
        allowed = set(instruments or get_mission(mission).default_instruments)
        mapping = {
            o: sorted(allowed & set(i))
            for o, i in zip(per_obs["obs_id"], per_obs["instruments"], strict=True)
        }
        instruments = {o: mapping.get(o) or sorted(allowed) for o in obs_ids}
    table = getattr(selection, "table", None)
    if isinstance(table, pl.DataFrame):
        if mission == "swift" and "start" in table.columns and "starts" not in kwargs:
            kwargs["starts"] = dict(zip(table["obs_id"], table["start"], strict=True))
        if (
            mission == "erosita_calpv"
            and "download_url" in table.columns
            and "fields" not in kwargs
        ):
            kwargs["fields"] = dict(zip(table["obs_id"], table["download_url"], strict=True))
    return download(mission, obs_ids, instruments=instruments, **kwargs)
