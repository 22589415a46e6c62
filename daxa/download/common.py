"""Helpers every downloader shares: listing remote folders and planning ObsIDs concurrently."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from daxa.config import DEFAULT_SERVICE_URLS, service_url
from daxa.download.listing import ListingEntry, parse_listing
from daxa.download.plan import Plan, RemoteFile
from daxa.download.transport import CancelledError, NotFoundError, Transport
from daxa.errors import DownloadError
from daxa.urls import quote_path

#: What a per-ObsID planner returns: the files, plus notes (optional facts worth reporting).
Planned = list[RemoteFile] | tuple[list[RemoteFile], list[str]]


class Lister:
    """Fetch and parse listings of one service, remembering each page for this planning run."""

    def __init__(self, transport: Transport, service: str) -> None:
        self.transport = transport
        self.service = service
        self.base = service_url(service)
        self._pages: dict[str, list[ListingEntry]] = {}
        self._page_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        """The URL of folder ``path`` (relative to the service root), with a trailing slash;
        each segment is percent-encoded, so a listed name with ``#``, ``?``, ``%`` or a space is
        asked for as itself."""
        path = quote_path(path.strip("/"))
        return f"{self.base}/{path}/" if path else f"{self.base}/"

    def entries(self, path: str) -> list[ListingEntry]:
        """Entries of folder ``path``; NotFoundError when the folder is not there."""
        url = self.url(path)
        with self._lock:
            if url in self._pages:
                return self._pages[url]
            page_lock = self._page_locks.setdefault(url, threading.Lock())
        with page_lock:  # one request per page, even when several ObsIDs need it at once
            with self._lock:
                if url in self._pages:
                    return self._pages[url]
            entries = parse_listing(self.transport.get_text(url, service=self.service), url)
            with self._lock:
                self._pages[url] = entries
        return entries

    def file(
        self, path: str, entry: ListingEntry, dest_relpath: str, obs_id: str, **extra: Any
    ) -> RemoteFile:
        """The file ``entry`` listed in folder ``path``, to be saved at ``dest_relpath``; its
        size is kept only where the listing states it exactly (``extra``: unpack, ...)."""
        return RemoteFile(
            self.url(f"{path}/{entry.name}").rstrip("/"),
            dest_relpath,
            obs_id,
            self.service,
            size=entry.size if entry.size_exact else None,
            **extra,
        )

    def try_list(self, path: str) -> list[ListingEntry] | None:
        """Entries of ``path``, or ``None`` when it does not exist."""
        try:
            return self.entries(path)
        except NotFoundError:
            return None


def rebase(url: str, service: str) -> str:
    """``url`` on the real archive moved onto the currently configured ``service`` URL.

    Tables store real archive URLs (the CalPV tarballs); under a mirror or the emulator the
    same path is fetched from there instead.

    >>> rebase("https://nxsa.esac.esa.int/nxsa-sl/servlet/x?a=1", "xsa_aio")
    'https://nxsa.esac.esa.int/nxsa-sl/servlet/x?a=1'
    """
    real = DEFAULT_SERVICE_URLS[service]
    if url.startswith(real + "/") or url == real:
        return service_url(service) + url[len(real) :]
    return url


def plan_each(
    mission: str,
    obs_ids: Iterable[str],
    plan_one: Callable[[str], Planned],
    *,
    workers: int = 8,
    on_planned: Callable[[str], None] | None = None,
) -> Plan:
    """Plan each ObsID with ``plan_one`` in a thread pool; failures are recorded, not raised.

    A DownloadError (or a listing that is not there) for one ObsID marks that ObsID failed with
    the error's message; the others are planned as usual. ``on_planned(obs_id)`` is called as
    each ObsID is done (a progress bar).
    """
    ids = list(dict.fromkeys(obs_ids))
    plan = Plan(mission)

    def run(obs_id: str) -> tuple[str, Planned | None, str | None]:
        try:
            return obs_id, plan_one(obs_id), None
        except CancelledError:
            raise
        except NotFoundError as exc:
            return obs_id, None, f"ObsID {obs_id} is not in the archive ({exc})"
        except DownloadError as exc:
            return obs_id, None, str(exc)
        finally:
            if on_planned is not None:
                on_planned(obs_id)

    if len(ids) <= 1 or workers <= 1:
        results = [run(o) for o in ids]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(ids))) as pool:
            results = list(pool.map(run, ids))
    for obs_id, planned, error in results:
        if error is not None or planned is None:
            plan.failed[obs_id] = error or "nothing planned"
            continue
        files, notes = planned if isinstance(planned, tuple) else (planned, [])
        plan.files += files
        for note in notes:
            plan.note(obs_id, note)
    return plan


def unpack_kind(name: str) -> str | None:
    """How a file called ``name`` is decompressed: ``gzip`` for ``.gz``, ``lzw`` for ``.Z``."""
    if name.endswith(".gz"):
        return "gzip"
    if name.endswith(".Z"):
        return "lzw"
    return None
