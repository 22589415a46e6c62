"""One retry policy for every request daxa sends: table fetches, listings and downloads.

Built on urllib3's :class:`~urllib3.util.Retry`: which statuses are retried (429 and the 5xx
that mean "try later"), exponential backoff, and ``Retry-After`` (seconds or an HTTP date,
capped at ``max_wait``). The same policy object also counts the failures urllib3 cannot see
inside a request: a body cut short or incomplete (no ``Content-Length`` and no proper end), a
connection dropped mid-body. :func:`run` drives one loop for all of them; callers say what one
attempt is and raise :class:`Retryable` when it is worth another.

>>> policy = RetryPolicy(retries=2, backoff=0.0)
>>> tries = []
>>> def attempt(n):
...     tries.append(n)
...     if n < 2:
...         raise Retryable("HTTP 503")
...     return "ok"
>>> run(policy, attempt, url="http://127.0.0.1/x", sleep=lambda s: None)
'ok'
>>> tries
[0, 1, 2]
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from urllib3.exceptions import InvalidHeader, MaxRetryError
from urllib3.util import Retry

from daxa.urls import redact

log = logging.getLogger("daxa.services")

#: Answers that mean "try again later".
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")


class Retryable(Exception):
    """One attempt failed in a way worth another try; ``problem`` says how."""

    def __init__(self, problem: str, *, retry_after: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


class GaveUp(Exception):
    """Every attempt failed; ``problem`` is the last one."""

    def __init__(self, attempts: int, problem: str) -> None:
        super().__init__(f"gave up after {attempts} attempts; last problem: {problem}")
        self.attempts = attempts
        self.problem = problem


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: ``retries`` more attempts, waits of
    ``backoff * 2**(n-1)`` seconds (the first retry is immediate), ``Retry-After`` honoured,
    every wait capped at ``max_wait``."""

    retries: int = 4
    backoff: float = 0.5
    max_wait: float = 30.0

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ValueError("retries must be >= 0")

    def start(self) -> Retry:
        """A fresh urllib3 ``Retry`` for one request (its counters go down as attempts fail)."""
        return Retry(
            total=self.retries,
            connect=None,
            read=None,
            status=None,
            other=None,
            redirect=False,
            allowed_methods=None,  # TAP queries are POSTs, and safe to repeat
            status_forcelist=RETRY_STATUSES,
            backoff_factor=self.backoff,
            backoff_max=self.max_wait,
            retry_after_max=max(0, math.ceil(self.max_wait)),
            respect_retry_after_header=True,
            raise_on_status=False,
        )

    def retries_status(self, method: str, status: int, headers: Mapping[str, str]) -> bool:
        """True when an answer with ``status`` is to be retried (``Retry-After`` included)."""
        return self.start().is_retry(method, status, has_retry_after="Retry-After" in headers)


def status_problem(status: int, headers: Mapping[str, str]) -> Retryable:
    """The :class:`Retryable` for a "try later" answer, carrying its ``Retry-After``."""
    return Retryable(f"HTTP {status}", retry_after=headers.get("Retry-After"))


def _wait(retry: Retry, retry_after: str | None, cap: float) -> float:
    if retry_after is not None:
        try:
            return min(cap, retry.parse_retry_after(retry_after))
        except InvalidHeader:
            pass
    return retry.get_backoff_time()


def run(
    policy: RetryPolicy,
    attempt: Callable[[int], T],
    *,
    url: str,
    method: str = "GET",
    sleep: Callable[[float], object] = time.sleep,
    on_retry: Callable[[int], None] | None = None,
) -> T:
    """Call ``attempt(n)`` (``n`` = 0, 1, ...) until it returns; retry on :class:`Retryable`.

    Raises :class:`GaveUp` when the policy's retries are spent. Any other exception from
    ``attempt`` (a 404, a refused request) ends the loop at once.
    """
    retry = policy.start()
    n = 0
    while True:
        try:
            return attempt(n)
        except Retryable as exc:
            try:
                retry = retry.increment(method, redact(url), error=exc)
            except MaxRetryError:
                raise GaveUp(n + 1, exc.problem) from None
            wait = _wait(retry, exc.retry_after, policy.max_wait)
            log.info("retrying %s in %.1f s (%s)", redact(url), wait, exc.problem)
            if on_retry is not None:
                on_retry(n + 1)
            if wait > 0:
                sleep(wait)
            n += 1
