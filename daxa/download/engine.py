"""The transfer engine every downloader shares.

* **Transport** — HTTP with a ``requests`` session per thread, connect/read timeouts, retries
  with exponential backoff for connection failures, cut bodies, 5xx and 429 (``Retry-After`` is
  honoured, capped), a cap on concurrent requests per host (XMM's archive drops connections
  above 10, so the XSA is never given more), and basic auth only for the host the credentials
  belong to.
* **Transfers** — each file streams into ``<name>.part``; a cut transfer resumes with an HTTP
  ``Range`` request (``If-Range`` guards against the file changing meanwhile); the size is
  checked against ``Content-Length``/``Content-Range`` and the plan, the SHA-256 against the
  plan or a ``Repr-Digest``/``Digest`` header when the archive gives one; only then is the
  ``.part`` renamed. Unpacking checks gzip CRCs, and FITS ``CHECKSUM``/``DATASUM`` keywords are
  verified when present: a corrupted file is deleted and fetched again. When a file finally
  fails, its ``.part`` and anything half-unpacked are removed.
* **Runs** — :func:`run_plan` executes a plan with a thread pool, fetching each destination
  once even when several ObsIDs share it, reusing files a manifest already vouches for, and
  reporting per remote file what happened, so one failing ObsID never stops the others.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import requests
import urllib3

from daxa.download.credentials import Credentials
from daxa.download.layout import inside, part_path
from daxa.download.manifest import FileRecord, Manifest, file_record, sha256_file
from daxa.download.plan import RemoteFile, TarExtract
from daxa.download.progress import TransferProgress
from daxa.download.unpack import extract_tar, unpack_file
from daxa.errors import DownloadError
from daxa.services.http import RETRY_STATUSES, user_agent

log = logging.getLogger("daxa.download")

#: Most concurrent requests a service's host accepts, whatever ``per_host`` says.
SERVICE_CAPS: dict[str, int] = {"xsa_aio": 10}
#: How many times a file that arrived corrupted is fetched again from scratch.
CORRUPTION_RETRIES = 2
_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".evt", ".img", ".ftz", ".lc", ".pha", ".hk")


class NotFoundError(DownloadError):
    """The archive answered 404/410: the file or folder is not there."""


class AccessDeniedError(DownloadError):
    """The archive answered 401/403: proprietary data or wrong credentials."""


class CorruptFileError(DownloadError):
    """A file arrived complete but its content fails a check (size, digest, CRC, FITS checksum)."""


class CancelledError(DownloadError):
    """The run was interrupted."""


@dataclass(frozen=True)
class Policy:
    """Timeouts, retries and concurrency of the transport."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.5
    max_wait: float = 30.0
    per_host: int = 4
    chunk_size: int = 1 << 20

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``attempt`` (1-based); ``Retry-After`` wins, capped."""
        if retry_after is not None:
            return min(self.max_wait, max(0.0, retry_after))
        return min(self.max_wait, self.backoff * 2 ** (attempt - 1))


@dataclass
class Fetched:
    """What a completed transfer saw: bytes on disk, the size the server announced, headers."""

    size: int
    total: int | None
    headers: dict[str, str]
    resumed: bool = False
    received: int = 0
    sha256: str = ""


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class Transport:
    """HTTP for downloads (see the module docstring); safe to share between threads."""

    def __init__(
        self,
        policy: Policy | None = None,
        credentials: Sequence[Credentials] = (),
    ) -> None:
        self.policy = policy or Policy()
        if self.policy.per_host < 1:
            raise DownloadError("per_host must be at least 1")
        self.credentials = [c for c in credentials if c.host]
        self.cancelled = threading.Event()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._sessions: list[requests.Session] = []
        self._proxy_cache: dict[str, dict[str, str]] = {}
        self.requests_sent = 0
        self.retries_made = 0

    # -- plumbing ----------------------------------------------------------------------------

    def session(self) -> requests.Session:
        """This thread's session (connection reuse without sharing a pool between threads)."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = user_agent()
            session.headers["Accept-Encoding"] = "identity"
            # The environment is read once (proxies per host, CA bundle), not per request;
            # credentials come from daxa's own resolution (netrc included), host-bound.
            session.trust_env = False
            session.verify = (
                os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
            )
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=8, pool_maxsize=max(4, self.policy.per_host), max_retries=0
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def slot(self, url: str, service: str | None = None) -> Iterator[None]:
        """Hold one of the host's concurrent-request slots."""
        host = urllib.parse.urlsplit(url).netloc.lower()
        with self._lock:
            semaphore = self._slots.get(host)
            if semaphore is None:
                limit = min(self.policy.per_host, SERVICE_CAPS.get(service or "", 1 << 30))
                semaphore = self._slots[host] = threading.BoundedSemaphore(limit)
        semaphore.acquire()
        try:
            yield
        finally:
            semaphore.release()

    def _auth(self, url: str) -> tuple[str, str] | None:
        for creds in self.credentials:
            if creds.applies_to(url):
                return creds.auth()
        return None

    def _count(self, retry: bool = False) -> None:
        with self._lock:
            self.requests_sent += 1
            if retry:
                self.retries_made += 1

    def _sleep(self, seconds: float) -> None:
        if self.cancelled.wait(seconds):
            raise CancelledError("download cancelled")

    def _proxies(self, url: str) -> dict[str, str]:
        """The environment's proxies for ``url``'s host (``*_proxy``, ``no_proxy``), looked up
        once per host instead of on every request as ``requests`` would."""
        host = urllib.parse.urlsplit(url).netloc.lower()
        with self._lock:
            found = self._proxy_cache.get(host)
        if found is None:
            found = dict(requests.utils.get_environ_proxies(url))
            with self._lock:
                self._proxy_cache[host] = found
        return found

    def _get(self, url: str, headers: dict[str, str], attempt: int) -> requests.Response:
        self._count(retry=attempt > 0)
        return self.session().get(
            url,
            headers=headers,
            stream=True,
            timeout=(self.policy.connect_timeout, self.policy.read_timeout),
            auth=self._auth(url),
            allow_redirects=True,
            proxies=self._proxies(url),
        )

    @staticmethod
    def _terminal(answer: requests.Response, url: str, what: str) -> DownloadError | None:
        status = answer.status_code
        if status in (404, 410):
            return NotFoundError(f"{what} not found (HTTP {status}): {url}")
        if status in (401, 403):
            return AccessDeniedError(
                f"access to {what} refused (HTTP {status}): {url}; proprietary data need "
                "credentials for this archive (credentials=..., an ini file or ~/.netrc)"
            )
        if 400 <= status < 500 and status not in RETRY_STATUSES and status != 416:
            return DownloadError(f"{what} refused with HTTP {status}: {url}")
        return None

    # -- listings and small pages ------------------------------------------------------------

    def get_text(self, url: str, *, service: str | None = None, what: str = "listing") -> str:
        """The body of ``url`` as text (directory listings); retried like every transfer."""
        problem = "no attempt made"
        for attempt in range(self.policy.retries + 1):
            if self.cancelled.is_set():
                raise CancelledError("download cancelled")
            retry_after = None
            try:
                with self.slot(url, service), self._get(url, {}, attempt) as answer:
                    terminal = self._terminal(answer, url, what)
                    if terminal is not None:
                        raise terminal
                    if answer.status_code in RETRY_STATUSES:
                        problem = f"HTTP {answer.status_code}"
                        retry_after = _retry_after(answer.headers)
                    else:
                        body = answer.content
                        expected = answer.headers.get("Content-Length")
                        if expected and expected.isdigit() and len(body) < int(expected):
                            problem = f"body cut at {len(body)} of {expected} bytes"
                        else:
                            return body.decode(answer.encoding or "utf-8", errors="replace")
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                problem = f"connection problem ({type(exc).__name__})"
            if attempt < self.policy.retries:
                self._sleep(self.policy.wait(attempt + 1, retry_after))
        raise DownloadError(
            f"{what} failed after {self.policy.retries + 1} attempts ({problem}): {url}"
        )

    # -- file transfers ----------------------------------------------------------------------

    def fetch(
        self,
        url: str,
        part: Path,
        *,
        service: str | None = None,
        on_bytes: Callable[[int], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> Fetched:
        """Stream ``url`` into ``part``, resuming with Range after a cut; return what was seen.

        The caller decides what to do with the complete ``.part`` (verify, rename). A terminal
        answer (404, 401/403, other 4xx) raises at once; transient problems are retried.
        """
        problem = "no attempt made"
        state = _TransferState()
        for attempt in range(self.policy.retries + 1):
            if self.cancelled.is_set():
                raise CancelledError("download cancelled")
            offset = part.stat().st_size if part.exists() else 0
            headers: dict[str, str] = {}
            if offset:
                headers["Range"] = f"bytes={offset}-"
                if state.validator:
                    headers["If-Range"] = state.validator
            retry_after = None
            try:
                with self.slot(url, service), self._get(url, headers, attempt) as answer:
                    terminal = self._terminal(answer, url, "file")
                    if terminal is not None:
                        raise terminal
                    status = answer.status_code
                    if status in RETRY_STATUSES:
                        problem = f"HTTP {status}"
                        retry_after = _retry_after(answer.headers)
                    elif status == 416:
                        problem = "HTTP 416 (range not satisfiable): starting again"
                        part.unlink(missing_ok=True)
                    elif _is_html(answer, url):
                        problem = "the archive sent an HTML page instead of the file"
                    else:
                        received = self._receive(answer, part, offset, state, on_bytes, on_total)
                        if isinstance(received, Fetched):
                            return received
                        problem = received
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                problem = f"connection problem ({type(exc).__name__})"
            if attempt < self.policy.retries:
                log.info("retrying %s (%s)", url, problem)
                self._sleep(self.policy.wait(attempt + 1, retry_after))
        raise DownloadError(f"gave up after {self.policy.retries + 1} attempts ({problem}): {url}")

    def _receive(
        self,
        answer: requests.Response,
        part: Path,
        offset: int,
        state: _TransferState,
        on_bytes: Callable[[int], None] | None,
        on_total: Callable[[int], None] | None,
    ) -> Fetched | str:
        """Write a 200/206 body where it belongs; the complete transfer, or what went wrong."""
        start, total = _span(answer, offset)
        if start != offset:
            part.unlink(missing_ok=True)  # the server ignored the Range, or sent another span
            if start != 0:
                return f"the server sent bytes from {start}, not {offset}: starting again"
        state.resumed = state.resumed or start > 0
        state.validator = answer.headers.get("ETag") or answer.headers.get("Last-Modified")
        if total is not None and not state.announced and on_total is not None:
            on_total(total)
            state.announced = True
        if start == 0 or state.hashed.bytes != start:
            state.hashed.restart(part, start)
        length = answer.headers.get("Content-Length")
        got, cut = self._stream_body(answer, part, start, on_bytes, state.hashed)
        state.received += got
        if cut or (length is not None and length.isdigit() and got < int(length)):
            return f"transfer cut after {start + got} bytes"
        return Fetched(
            part.stat().st_size,
            total,
            {k.lower(): v for k, v in answer.headers.items()},
            state.resumed,
            state.received,
            state.hashed.hexdigest(),
        )

    def _stream_body(
        self,
        answer: requests.Response,
        part: Path,
        start: int,
        on_bytes: Callable[[int], None] | None,
        hashed: _Digest,
    ) -> tuple[int, bool]:
        """Append the body to ``part`` (hashing it on the way); return the bytes received and
        whether the transfer was cut."""
        got = 0
        part.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "ab" if start else "wb") as out:
            try:
                for chunk in answer.raw.stream(self.policy.chunk_size, decode_content=False):
                    if self.cancelled.is_set():
                        raise CancelledError("download cancelled")
                    out.write(chunk)
                    hashed.update(chunk)
                    got += len(chunk)
                    if on_bytes is not None:
                        on_bytes(len(chunk))
            except (urllib3.exceptions.HTTPError, requests.exceptions.RequestException):
                return got, True
        return got, False


@dataclass
class _TransferState:
    """What one file's attempts share: the validator for If-Range, the running digest."""

    validator: str | None = None
    hashed: _Digest = field(default_factory=lambda: _Digest())
    announced: bool = False
    received: int = 0
    resumed: bool = False


class _Digest:
    """SHA-256 of a ``.part`` file kept up to date while it is written (no second read)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self.bytes = 0

    def restart(self, part: Path, upto: int) -> None:
        """Hash the first ``upto`` bytes already on disk (after an unexpected resume point)."""
        self._hash = hashlib.sha256()
        self.bytes = 0
        if upto:
            with open(part, "rb") as handle:
                while self.bytes < upto and (chunk := handle.read(min(1 << 20, upto - self.bytes))):
                    self.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self.bytes += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def _is_html(answer: requests.Response, url: str) -> bool:
    kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
    name = urllib.parse.urlsplit(url).path.lower()
    return kind in ("text/html", "application/xhtml+xml") and not name.endswith((".html", ".htm"))


def _span(answer: requests.Response, offset: int) -> tuple[int, int | None]:
    """Where this answer's body starts in the file, and the file's full size when known."""
    if answer.status_code == 206:
        match = _CONTENT_RANGE.match(answer.headers.get("Content-Range", ""))
        if match:
            total = None if match.group(3) == "*" else int(match.group(3))
            return int(match.group(1)), total
        return -1, None  # a 206 we cannot place: start again
    length = answer.headers.get("Content-Length")
    return 0, int(length) if length and length.isdigit() else None


# -- verification ----------------------------------------------------------------------------


def _announced_sha256(headers: dict[str, str]) -> str | None:
    """A SHA-256 of the whole file from ``Repr-Digest`` (RFC 9530) or ``Digest`` (RFC 3230)."""
    for name in ("repr-digest", "digest"):
        value = headers.get(name)
        if not value:
            continue
        for item in value.split(","):
            key, _, encoded = item.strip().partition("=")
            if key.strip().lower() == "sha-256":
                encoded = encoded.strip().strip(":")
                try:
                    return base64.b64decode(encoded).hex()
                except ValueError:
                    return None
    return None


def verify_transfer(part: Path, remote: RemoteFile, fetched: Fetched) -> str:
    """The SHA-256 of a complete ``.part`` after checking it; CorruptFileError if it fails."""
    size = part.stat().st_size
    if fetched.total is not None and size != fetched.total:
        raise CorruptFileError(f"{remote.url}: {size} bytes on disk, server said {fetched.total}")
    if remote.size is not None and size != remote.size:
        raise CorruptFileError(f"{remote.url}: {size} bytes, the archive lists {remote.size}")
    digest = fetched.sha256 if fetched.sha256 and fetched.size == size else sha256_file(part)
    wanted = remote.sha256 or (None if fetched.resumed else _announced_sha256(fetched.headers))
    if wanted is not None and digest != wanted.lower():
        raise CorruptFileError(f"{remote.url}: SHA-256 does not match the archive's")
    return digest


def verify_fits(path: Path) -> None:
    """Check FITS ``CHECKSUM``/``DATASUM`` keywords where present; CorruptFileError if wrong.

    Uses astropy's ``verify_checksum``/``verify_datasum`` (not its warnings: catching warnings
    is not thread-safe, and files are verified in parallel).
    """
    if not path.name.lower().endswith(_FITS_SUFFIXES):
        return
    with open(path, "rb") as handle:
        if handle.read(9) != b"SIMPLE  =":
            return
    from astropy.io import fits

    try:
        with fits.open(path, memmap=False) as hdus:
            hdus.readall()
            for index, hdu in enumerate(hdus):
                # 1: valid, 0: wrong, 2: the keyword is absent (nothing to check)
                if hdu.verify_datasum() == 0 or hdu.verify_checksum() == 0:
                    raise CorruptFileError(
                        f"{path.name} fails its FITS checksum (HDU {index}): corrupted"
                    )
    except CorruptFileError:
        raise
    except Exception as exc:  # astropy's errors (or warnings turned into errors) on bad bytes
        raise CorruptFileError(f"{path.name} is not a readable FITS file ({exc})") from None


# -- running a plan --------------------------------------------------------------------------


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


def _choose_members(extract: TarExtract) -> Callable[[PurePosixPath], PurePosixPath | None]:
    keep = [re.compile(p) for p in extract.keep]
    drop = [re.compile(p) for p in extract.drop]
    into = PurePosixPath(extract.into)

    def choose(member: PurePosixPath) -> PurePosixPath | None:
        name = member.name
        if name.startswith("."):
            return None
        if keep and not any(p.search(name) for p in keep):
            return None
        if any(p.search(name) for p in drop):
            return None
        return into / name

    return choose


def _finish_plain(
    remote: RemoteFile, final: Path, mission_root: Path, digest: str, check_fits: bool
) -> list[FileRecord]:
    """Unpack (if asked), verify FITS, cut TMs; return the records of what is now on disk."""
    path = final
    if remote.unpack is not None:
        try:
            path = unpack_file(final, remote.unpack)
        except DownloadError as exc:
            raise CorruptFileError(str(exc)) from None
        digest = ""
    if check_fits:
        verify_fits(path)
    rel = path.relative_to(mission_root).as_posix()
    records = [file_record(mission_root, rel, digest or None)]
    if remote.cut_tms:
        records += _cut(remote, [path], mission_root)
    return records


def _cut(remote: RemoteFile, paths: list[Path], mission_root: Path) -> list[FileRecord]:
    from daxa.download.erosita import cut_event_list

    records = []
    for path in paths:
        if "EventList" in path.name and remote.cut_tms:
            cut = cut_event_list(path, remote.cut_tms)
            records.append(file_record(mission_root, cut.relative_to(mission_root).as_posix()))
    return records


def _finish_tar(
    remote: RemoteFile, final: Path, mission_root: Path, check_fits: bool
) -> list[FileRecord]:
    assert remote.extract is not None
    nested = re.compile(remote.extract.nested) if remote.extract.nested else None
    try:
        written = extract_tar(
            final,
            mission_root,
            _choose_members(remote.extract),
            nested_tar=(lambda p: bool(nested.search(p.name))) if nested else None,
        )
    except DownloadError as exc:
        if "not a readable tar" in str(exc):
            raise CorruptFileError(str(exc)) from None
        raise
    if not written:
        raise DownloadError(
            f"{remote.url} holds no files for ObsID {remote.obs_id} "
            f"(looked for {', '.join(remote.extract.keep) or 'any file'})"
        )
    try:
        if check_fits:
            for path in written:
                verify_fits(path)
    except CorruptFileError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    records = [file_record(mission_root, p.relative_to(mission_root).as_posix()) for p in written]
    if remote.cut_tms:
        records += _cut(remote, written, mission_root)
    return records


def transfer_group(
    group: list[RemoteFile],
    mission_root: Path,
    transport: Transport,
    *,
    progress: TransferProgress | None = None,
    check_fits: bool = True,
) -> list[FileOutcome]:
    """Fetch one destination (shared by every RemoteFile in ``group``) and finish each file.

    Never raises for a failed file: the outcomes carry the reasons. A ``.part``, a transient
    tarball or a half-unpacked file never survives a failure.
    """
    first = group[0]
    final = inside(mission_root, first.dest_relpath)
    part = part_path(final)
    outcomes = [FileOutcome(remote) for remote in group]
    fetched_bytes = 0
    last_error: DownloadError | None = None

    def bytes_seen(n: int) -> None:
        nonlocal fetched_bytes
        fetched_bytes += n
        if progress is not None:
            progress.advance_bytes(n)

    try:
        for _ in range(CORRUPTION_RETRIES + 1):
            part.unlink(missing_ok=True)
            try:
                fetched = transport.fetch(
                    first.url,
                    part,
                    service=first.service,
                    on_bytes=bytes_seen,
                    on_total=progress.add_total if progress is not None else None,
                )
                digest = verify_transfer(part, first, fetched)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(part, final)
                for outcome in outcomes:
                    outcome.remote_size = fetched.size
                if first.extract is None:
                    records = _finish_plain(first, final, mission_root, digest, check_fits)
                    for outcome in outcomes:
                        outcome.outputs = list(records)
                else:
                    for outcome in outcomes:
                        try:
                            outcome.outputs = _finish_tar(
                                outcome.remote, final, mission_root, check_fits
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
                final.unlink(missing_ok=True)
                for outcome in outcomes:
                    for record in outcome.outputs:
                        inside(mission_root, record.path).unlink(missing_ok=True)
                    outcome.outputs = []
                    outcome.error = None
            except DownloadError as exc:
                last_error = exc
                break
            except OSError as exc:  # the local disk: full, read-only, permissions
                last_error = DownloadError(f"could not write {final}: {exc}")
                break
    except BaseException:
        part.unlink(missing_ok=True)
        if first.transient:
            final.unlink(missing_ok=True)
        raise
    finally:
        part.unlink(missing_ok=True)
        if first.transient:
            final.unlink(missing_ok=True)
    for outcome in outcomes:
        outcome.fetched_bytes = fetched_bytes
        if last_error is not None:
            outcome.error = str(last_error)
            outcome.outputs = []
    if last_error is not None and first.extract is None:
        final.unlink(missing_ok=True)
    return outcomes


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
