"""One HTTP session for every archive: timeouts, one retry policy, a daxa user agent.

Bodies are read completely and checked: against ``Content-Length`` when there is one, and
otherwise against the document's own end (:mod:`daxa.services.completeness`), so a connection
cut mid-answer is retried like a 5xx instead of reaching a parser as half a VOTable. Retries
follow :mod:`daxa.services.retry` (the same policy downloads use). Credentials go only where
they belong: a mirror's own ``user:password@`` to that mirror, never ``~/.netrc`` to every
host, and every URL in a log or an error is shown without them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

import requests

from daxa.config import credentials_for
from daxa.errors import ServiceError, ServiceUnavailableError
from daxa.services import completeness, inflate
from daxa.services.errordocs import error_message
from daxa.services.retry import (
    RETRY_STATUSES,
    GaveUp,
    Retryable,
    RetryPolicy,
    run,
)
from daxa.urls import origin, redact

log = logging.getLogger("daxa.services")

__all__ = ["RETRY_STATUSES", "ArchiveSession", "Response", "default_session", "make_session"]

#: Called with the complete answer; returns what is missing (retried), or ``None``.
Check = Callable[["Response", IO[bytes] | None], str | None]


def user_agent() -> str:
    from daxa._version import __version__

    return f"daxa/{__version__} (+https://github.com/daxa-project/daxa; python-requests)"


def make_session(pool: int = 10) -> requests.Session:
    """A ``requests`` session that reads no credentials from the environment (``~/.netrc``
    would send its ``default`` entry to every host); proxies and the CA bundle still apply."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent()
    session.trust_env = False
    session.verify = (
        os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    )
    adapter = requests.adapters.HTTPAdapter(
        pool_connections=8, pool_maxsize=max(4, pool), max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def proxies_for(url: str) -> dict[str, str]:
    """The environment's proxies for ``url`` (``*_proxy``, ``no_proxy``)."""
    return dict(requests.utils.get_environ_proxies(url))


@dataclass(frozen=True)
class Response:
    """A complete answer: status, headers (lower-case keys) and body bytes; ``url`` is shown
    without credentials."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class ArchiveSession:
    """A ``requests.Session`` with the retry policy daxa uses for every archive.

    Connection errors, read timeouts, truncated or incomplete bodies and 5xx/429 answers are
    retried up to ``retries`` times with exponential backoff (``Retry-After`` honoured, every
    wait capped at ``max_wait``); other 4xx answers are returned to the caller, which knows
    what they mean for its service.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 10.0,
        read_timeout: float = 300.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_wait: float = 30.0,
    ) -> None:
        self.timeout = (connect_timeout, read_timeout)
        self.policy = RetryPolicy(retries=retries, backoff=backoff, max_wait=max_wait)
        self._session = make_session()
        #: Called with the size of every chunk of every answer body as it arrives (progress).
        self.on_bytes: Callable[[int], None] | None = None

    @property
    def retries(self) -> int:
        return self.policy.retries

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ArchiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ArchiveSession({self.policy!r}, timeout={self.timeout!r})"

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        service: str | None = None,
        table: str | None = None,
        sink: IO[bytes] | None = None,
        check: Check | None = None,
    ) -> Response:
        """Send one request, retrying transient failures; return the complete answer.

        With ``sink`` the body is streamed into that file object (which is rewound and truncated
        before each attempt) and ``Response.body`` is empty. ``check`` may look at a
        successful answer and say what is missing from it (then it is retried like a cut body).
        """
        shown = redact(url)

        def attempt(_n: int) -> Response:
            try:
                with self._session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    stream=True,
                    auth=credentials_for(url),
                    proxies=proxies_for(url),
                ) as answer:
                    if self.policy.retries_status(method, answer.status_code, answer.headers):
                        raise Retryable(
                            f"HTTP {answer.status_code}{_said(answer)}",
                            retry_after=answer.headers.get("Retry-After"),
                        )
                    body = _read_body(answer, sink, shown, self.on_bytes)
                    _note_emulator(answer)
                    response = Response(
                        url=redact(answer.url),
                        status=answer.status_code,
                        headers={k.lower(): v for k, v in answer.headers.items()},
                        body=body,
                    )
            except requests.exceptions.Timeout:
                raise Retryable(f"no answer within {self.timeout[1]:g} s") from None
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                raise Retryable(f"connection failed ({type(exc).__name__})") from None
            except requests.exceptions.RequestException as exc:
                raise ServiceError(
                    f"request could not be sent: {type(exc).__name__}: {exc}",
                    service=service,
                    table=table,
                    url=shown,
                ) from None
            if check is not None and response.status < 400:
                missing = check(response, sink)
                if missing:
                    raise Retryable(missing)
            return response

        try:
            return run(self.policy, attempt, url=url, method=method)
        except GaveUp as exc:
            raise ServiceUnavailableError(
                f"{exc}. Check your network or the service's status page, or point daxa at a "
                "mirror (DAXA_MIRROR)",
                service=service,
                table=table,
                url=shown,
            ) from None

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)


#: Origins (scheme, host, port) whose answers said they come from daxa's emulator.
_SYNTHETIC_ORIGINS: set[tuple[str, str, int | None]] = set()


def _note_emulator(answer: requests.Response) -> None:
    """Remember origins that answer as daxa's emulator (``X-Daxa-Emulator: synthetic``, or
    the emulator's ``Server`` name)."""
    marked = answer.headers.get("X-Daxa-Emulator", "").strip().lower() == "synthetic"
    server = answer.headers.get("Server", "").startswith("daxa-archive-emulator")
    if marked or server:
        _SYNTHETIC_ORIGINS.add(origin(answer.url))


def is_synthetic(url: str) -> bool:
    """True when ``url``'s host has answered this process as daxa's emulator (synthetic data)."""
    return origin(url) in _SYNTHETIC_ORIGINS


#: How much of a failed answer is read to find the service's own message.
_ERROR_BODY_LIMIT = 1 << 16


def _said(answer: requests.Response) -> str:
    """``": <the service's message>"`` when a failed answer is an error VOTable, else ``""``."""
    if "xml" not in answer.headers.get("content-type", "").lower():
        return ""
    try:
        head = answer.raw.read(_ERROR_BODY_LIMIT, decode_content=True) or b""
    except Exception:  # the message is a courtesy: never let reading it fail the request
        return ""
    message = error_message(head)
    return f": {message}" if message else ""


def _read_body(
    answer: requests.Response,
    sink: IO[bytes] | None,
    shown: str,
    on_bytes: Callable[[int], None] | None = None,
) -> bytes:
    """The whole body; :class:`Retryable` when it is shorter than announced, or (without a
    length) when it does not end the way its kind of document ends."""
    expected = answer.headers.get("Content-Length")
    encoding = answer.headers.get("Content-Encoding", "").strip().lower()
    encoded = encoding not in ("", "identity")
    received = 0
    chunks: list[bytes] = []
    head = b""
    if sink is not None:
        sink.seek(0)
        sink.truncate()
    for chunk in answer.iter_content(chunk_size=1 << 20):
        received += len(chunk)
        if len(head) < completeness.TAIL:
            head += chunk[: completeness.TAIL - len(head)]
        if encoded:
            compressed = answer.raw.tell()
            limit = inflate.max_inflated(compressed)
            if received > limit:
                raise ServiceError(inflate.too_big(f"the answer from {shown}", compressed, limit))
        if on_bytes is not None:
            on_bytes(len(chunk))
        if sink is not None:
            sink.write(chunk)
        else:
            chunks.append(chunk)
    wire = answer.raw.tell() if encoded else received
    if expected is not None and expected.isdigit():
        if wire < int(expected):
            raise Retryable(f"body truncated: {wire} of {expected} bytes")
    elif answer.status_code < 400 and answer.request.method != "HEAD":
        kind = completeness.kind_of(
            answer.headers.get("Content-Type", "").split(";")[0].strip().lower(), head, shown
        )
        if sink is not None:
            sink.flush()

            def read(offset: int, n: int) -> bytes:
                sink.seek(offset)
                return sink.read(n)

            missing = completeness.problem(kind, read, received)
            sink.seek(0, os.SEEK_END)
        else:
            whole = b"".join(chunks)
            chunks = [whole]
            missing = completeness.problem(kind, lambda o, n: whole[o : o + n], received)
        if missing:
            raise Retryable(f"body incomplete without a Content-Length: {missing}")
    if sink is not None:
        sink.flush()
        return b""
    return b"".join(chunks)


_default: list[ArchiveSession] = []


def default_session() -> ArchiveSession:
    """The process-wide session used when a function is not given one."""
    if not _default:
        _default.append(ArchiveSession())
    return _default[0]
