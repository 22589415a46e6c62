"""HTTP for downloads: timeouts, retries with backoff, per-host caps, Range resume.

A :class:`Transport` gives each thread its own ``requests`` session; retries connection
failures, cut or incomplete bodies, 5xx and 429 answers under the one retry policy table
fetches use too (:mod:`daxa.services.retry`: backoff, ``Retry-After`` honoured and capped);
holds at most ``per_host`` concurrent requests per host (never more than 10 for the XSA, which
drops connections above that); and sends basic auth only to the service credentials belong to
(never past a redirect to another host). :meth:`Transport.fetch` streams a file into its ``.part``, hashing it on the way; a
cut transfer resumes with an HTTP ``Range`` request guarded by ``If-Range``, and a server that
ignores the range or answers another span makes it start again, never append wrong bytes.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import requests
import urllib3

from daxa.config import credentials_for
from daxa.download.bodies import (
    Digest,
    TransferState,
    is_html,
    looks_html,
    span,
    unannounced_problem,
)
from daxa.download.credentials import Credentials
from daxa.errors import DownloadError
from daxa.services import completeness
from daxa.services.http import make_session
from daxa.services.inflate import max_inflated, too_big
from daxa.services.retry import (
    RETRY_STATUSES,
    GaveUp,
    Retryable,
    RetryPolicy,
    status_problem,
)
from daxa.services.retry import run as run_with_retries
from daxa.urls import redact

log = logging.getLogger("daxa.download")
_T = TypeVar("_T")

#: Most concurrent requests a service's host accepts, whatever ``per_host`` says.
SERVICE_CAPS: dict[str, int] = {"xsa_aio": 10}


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

    def retry_policy(self) -> RetryPolicy:
        """The retry part of this policy (the one policy table fetches use too)."""
        return RetryPolicy(retries=self.retries, backoff=self.backoff, max_wait=self.max_wait)


@dataclass
class Fetched:
    """What a completed transfer saw: bytes on disk, the size the server announced, headers."""

    size: int
    total: int | None
    headers: dict[str, str]
    resumed: bool = False
    received: int = 0
    sha256: str = ""


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
            # No credentials from the environment (netrc's ``default`` would go to every host):
            # daxa resolves them itself, bound to their hosts. Proxies are looked up per host.
            session = make_session(self.policy.per_host)
            session.headers["Accept-Encoding"] = "identity"
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
        return credentials_for(url)  # a mirror URL's own user:password, for that mirror only

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
            return NotFoundError(f"{what} not found (HTTP {status}): {redact(url)}")
        if status in (401, 403):
            return AccessDeniedError(
                f"access to {what} refused (HTTP {status}): {redact(url)}; proprietary data need "
                "credentials for this archive (credentials=..., an ini file or ~/.netrc)"
            )
        if 400 <= status < 500 and status not in RETRY_STATUSES and status != 416:
            return DownloadError(f"{what} refused with HTTP {status}: {redact(url)}")
        return None

    # -- listings and small pages ------------------------------------------------------------

    def _run(self, url: str, attempt: Callable[[int], _T]) -> _T:
        """``attempt`` under the one retry policy; a cancelled run stops between attempts."""

        def guarded(n: int) -> _T:
            if self.cancelled.is_set():
                raise CancelledError("download cancelled")
            try:
                return attempt(n)
            except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as exc:
                raise Retryable(f"connection problem ({type(exc).__name__})") from None

        try:
            return run_with_retries(self.policy.retry_policy(), guarded, url=url, sleep=self._sleep)
        except GaveUp as exc:
            raise DownloadError(
                f"gave up after {exc.attempts} attempts ({exc.problem}): {redact(url)}"
            ) from None

    def get_text(self, url: str, *, service: str | None = None, what: str = "listing") -> str:
        """The body of ``url`` as text (directory listings); retried like every transfer.

        A body sent without ``Content-Length`` must end like an HTML page (``</html>``), so a
        listing cut short never passes for a folder with fewer files; a compressed body may
        inflate only so far (:mod:`daxa.services.inflate`).
        """

        def attempt(n: int) -> str:
            with self.slot(url, service), self._get(url, {}, n) as answer:
                terminal = self._terminal(answer, url, what)
                if terminal is not None:
                    raise terminal
                if self.policy.retry_policy().retries_status(
                    "GET", answer.status_code, answer.headers
                ):
                    raise status_problem(answer.status_code, answer.headers)
                body = self._small_body(answer, url, what)
                return body.decode(answer.encoding or "utf-8", errors="replace")

        return self._run(url, attempt)

    def _small_body(self, answer: requests.Response, url: str, what: str) -> bytes:
        """A whole small body (a listing), checked for length, completeness and inflation."""
        encoding = answer.headers.get("Content-Encoding", "").strip().lower()
        encoded = encoding not in ("", "identity")
        chunks: list[bytes] = []
        size = 0
        for chunk in answer.raw.stream(1 << 16, decode_content=True):
            chunks.append(chunk)
            size += len(chunk)
            if encoded:
                compressed = answer.raw.tell()
                limit = max_inflated(compressed)
                if size > limit:
                    raise DownloadError(too_big(f"the {what} {redact(url)}", compressed, limit))
        body = b"".join(chunks)
        wire = answer.raw.tell() if encoded else len(body)
        expected = answer.headers.get("Content-Length")
        if expected and expected.isdigit():
            if wire < int(expected):
                raise Retryable(f"body cut at {wire} of {expected} bytes")
        else:
            missing = completeness.html_problem(body[-completeness.TAIL :])
            if missing and looks_html(answer, body):
                raise Retryable(f"{what} incomplete without a Content-Length: {missing}")
        return body

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
        answer (404, 401/403, other 4xx) raises at once; transient problems are retried. A FITS
        file sent without any length must be whole FITS (blocks, ``END``, the data its headers
        announce), or it is fetched again from the start.
        """
        state = TransferState()
        policy = self.policy.retry_policy()

        def attempt(n: int) -> Fetched:
            offset = part.stat().st_size if part.exists() else 0
            headers: dict[str, str] = {}
            if offset:
                headers["Range"] = f"bytes={offset}-"
                if state.validator:
                    headers["If-Range"] = state.validator
            with self.slot(url, service), self._get(url, headers, n) as answer:
                terminal = self._terminal(answer, url, "file")
                if terminal is not None:
                    raise terminal
                status = answer.status_code
                if policy.retries_status("GET", status, answer.headers):
                    raise status_problem(status, answer.headers)
                if status == 416:
                    part.unlink(missing_ok=True)
                    raise Retryable("HTTP 416 (range not satisfiable): starting again")
                if is_html(answer, url):
                    raise Retryable("the archive sent an HTML page instead of the file")
                received = self._receive(answer, part, offset, state, on_bytes, on_total)
            if isinstance(received, str):
                raise Retryable(received)
            if received.total is None:
                missing = unannounced_problem(part, url)
                if missing:
                    part.unlink(missing_ok=True)
                    state.validator = None
                    raise Retryable(f"file incomplete without a Content-Length: {missing}")
            return received

        return self._run(url, attempt)

    def _receive(
        self,
        answer: requests.Response,
        part: Path,
        offset: int,
        state: TransferState,
        on_bytes: Callable[[int], None] | None,
        on_total: Callable[[int], None] | None,
    ) -> Fetched | str:
        """Write a 200/206 body where it belongs; the complete transfer, or what went wrong."""
        start, total = span(answer, offset)
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
        hashed: Digest,
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
