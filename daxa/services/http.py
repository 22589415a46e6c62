"""One HTTP session for every archive: timeouts, retries with backoff, a daxa user agent.

Bodies are read completely and checked against ``Content-Length``, so a connection cut
mid-answer is retried like a 5xx instead of reaching a parser as half a VOTable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

import requests

from daxa.errors import ServiceError, ServiceUnavailableError

log = logging.getLogger("daxa.services")

RETRY_STATUSES = frozenset({500, 502, 503, 504, 429})


def user_agent() -> str:
    from daxa import __version__

    return f"daxa/{__version__} (+https://github.com/daxa-project/daxa; python-requests)"


@dataclass(frozen=True)
class Response:
    """A complete answer: status, headers (lower-case keys) and body bytes."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class ArchiveSession:
    """A ``requests.Session`` with the retry policy daxa uses for every archive.

    Connection errors, read timeouts, truncated bodies and 5xx/429 answers are retried up to
    ``retries`` times, waiting ``backoff * 2**attempt`` seconds (capped at ``max_wait``); other
    4xx answers are returned to the caller, which knows what they mean for its service.
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
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.timeout = (connect_timeout, read_timeout)
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._session = requests.Session()
        self._session.headers["User-Agent"] = user_agent()
        #: Called with the size of every chunk of every answer body as it arrives (progress).
        self.on_bytes: Callable[[int], None] | None = None

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> ArchiveSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
    ) -> Response:
        """Send one request, retrying transient failures; return the complete answer.

        With ``sink`` the body is streamed into that file object (which is rewound and truncated
        before each attempt) and ``Response.body`` is empty.
        """
        last_problem = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                wait = min(self.max_wait, self.backoff * 2 ** (attempt - 1))
                log.info("retrying %s in %.1f s (%s)", url, wait, last_problem)
                time.sleep(wait)
            try:
                with self._session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    stream=True,
                ) as answer:
                    if answer.status_code in RETRY_STATUSES:
                        last_problem = f"HTTP {answer.status_code}"
                        continue
                    body = _read_body(answer, sink, self.on_bytes)
                    return Response(
                        url=answer.url,
                        status=answer.status_code,
                        headers={k.lower(): v for k, v in answer.headers.items()},
                        body=body,
                    )
            except _Truncated as exc:
                last_problem = str(exc)
            except requests.exceptions.Timeout:
                last_problem = f"no answer within {self.timeout[1]:g} s"
            except (
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
            ) as exc:
                last_problem = f"connection failed ({type(exc).__name__})"
            except requests.exceptions.RequestException as exc:
                raise ServiceError(
                    f"request could not be sent: {exc}", service=service, table=table, url=url
                ) from exc
        raise ServiceUnavailableError(
            f"gave up after {self.retries + 1} attempts; last problem: {last_problem}. "
            "Check your network or the service's status page, or point daxa at a mirror "
            "(DAXA_MIRROR)",
            service=service,
            table=table,
            url=url,
        )

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Response:
        return self.request("POST", url, **kwargs)


class _Truncated(Exception):
    pass


def _read_body(
    answer: requests.Response, sink: IO[bytes] | None, on_bytes: Callable[[int], None] | None
) -> bytes:
    expected = answer.headers.get("Content-Length")
    received = 0
    chunks: list[bytes] = []
    if sink is not None:
        sink.seek(0)
        sink.truncate()
    for chunk in answer.iter_content(chunk_size=1 << 20):
        received += len(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
        if sink is not None:
            sink.write(chunk)
        else:
            chunks.append(chunk)
    if expected is not None and expected.isdigit() and received < int(expected):
        raise _Truncated(f"body truncated: {received} of {expected} bytes")
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
