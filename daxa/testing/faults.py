"""Fault injection for the archive emulator: failures, delays, cut bodies, HTML error pages.

Rules apply to a path prefix (``"/heasarc_tap"`` covers ``/heasarc_tap/sync``) or an exact path,
and most last for a number of requests, so a test can say "the next two queries get a 503"
and then check that the client retried (:meth:`Faults.requests` counts what arrived). The same
rules can be set from another process through the emulator's ``/_emulator/faults`` endpoint,
for which :class:`RemoteFaults` is the client.

>>> faults = Faults()
>>> faults.fail("/heasarc_tap", times=1, status=503)
>>> faults.arrived("/heasarc_tap/sync").status
503
>>> faults.arrived("/heasarc_tap/sync").status is None
True
>>> faults.requests("/heasarc_tap")
2
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from daxa.errors import InputError

KINDS = ("fail", "delay", "truncate", "html_error")


@dataclass
class Rule:
    """One fault: what it does, where, and how many more requests it affects (None: all)."""

    kind: str
    path: str
    times: int | None = 1
    status: int = 503
    seconds: float = 0.0
    fraction: float = 0.5
    retry_after: float | None = None


@dataclass(frozen=True)
class Plan:
    """What to do to one request: wait, answer with a status or an HTML page, cut the body."""

    delay: float = 0.0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    html_error: bool = False
    truncate: float | None = None


def normalise_path(path: str) -> str:
    """The path part of ``path`` (a full URL is accepted), with one leading and no trailing slash.

    >>> normalise_path("http://127.0.0.1:8000/heasarc_tap/sync/")
    '/heasarc_tap/sync'
    """
    if "://" in path:
        path = urllib.parse.urlsplit(path).path
    path = "/" + path.strip().strip("/")
    return path


def path_matches(prefix: str, path: str) -> bool:
    """True when ``path`` is ``prefix`` or lies under it (``/a`` matches ``/a/b``, not ``/ab``).

    >>> path_matches("/sesame", "/sesame/-ox/~SNV"), path_matches("/ses", "/sesame")
    (True, False)
    """
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


class Faults:
    """The fault rules and request counts of one emulator; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []
        self._counts: Counter[str] = Counter()

    # -- programming faults -------------------------------------------------------------------

    def fail(
        self, path: str, times: int | None = 1, status: int = 503, retry_after: float | None = None
    ) -> None:
        """The next ``times`` requests under ``path`` get HTTP ``status`` (with ``Retry-After``)."""
        if not 100 <= int(status) <= 599:
            raise InputError(f"status {status} is not an HTTP status code (100-599)")
        self._add(Rule("fail", path, _times(times), status=int(status), retry_after=retry_after))

    def delay(self, path: str, seconds: float, times: int | None = None) -> None:
        """Wait ``seconds`` before answering requests under ``path`` (all of them by default)."""
        if not seconds >= 0:
            raise InputError(f"delay must be a number of seconds >= 0, not {seconds!r}")
        self._add(Rule("delay", path, _times(times), seconds=float(seconds)))

    def truncate(self, path: str, times: int | None = 1, fraction: float = 0.5) -> None:
        """Announce the full Content-Length but close the connection after ``fraction`` of it."""
        if not 0 <= fraction < 1:
            raise InputError(f"fraction must be in [0, 1), not {fraction!r}")
        self._add(Rule("truncate", path, _times(times), fraction=float(fraction)))

    def html_error(self, path: str, times: int | None = 1) -> None:
        """Answer 200 with an HTML error page where data was expected (what proxies do)."""
        self._add(Rule("html_error", path, _times(times)))

    def reset(self, counts: bool = True) -> None:
        """Remove every rule, and forget the request counts unless ``counts=False``."""
        with self._lock:
            self._rules.clear()
            if counts:
                self._counts.clear()

    def requests(self, path: str | None = None) -> int:
        """How many requests arrived under ``path`` (all of them when ``None``)."""
        with self._lock:
            if path is None:
                return sum(self._counts.values())
            prefix = normalise_path(path)
            return sum(n for p, n in self._counts.items() if path_matches(prefix, p))

    def rules(self) -> list[dict[str, Any]]:
        """The active rules, as plain dictionaries."""
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    # -- used by the server -------------------------------------------------------------------

    def arrived(self, path: str) -> Plan:
        """Count a request for ``path`` and use up the rules it triggers."""
        path = normalise_path(path)
        with self._lock:
            self._counts[path] += 1
            matching = [r for r in self._rules if path_matches(r.path, path)]
            delays = [r for r in matching if r.kind == "delay"]
            stop = next((r for r in matching if r.kind in ("fail", "html_error")), None)
            cut = next((r for r in matching if r.kind == "truncate"), None) if not stop else None
            for rule in [*delays, stop, cut]:
                if rule is not None:
                    self._use(rule)
            headers: dict[str, str] = {}
            if stop is not None and stop.retry_after is not None:
                headers["Retry-After"] = f"{stop.retry_after:g}"
            return Plan(
                delay=sum(r.seconds for r in delays),
                status=stop.status if stop is not None and stop.kind == "fail" else None,
                headers=headers,
                html_error=stop is not None and stop.kind == "html_error",
                truncate=cut.fraction if cut is not None else None,
            )

    def apply(self, command: dict[str, Any]) -> None:
        """Run one control-endpoint command, e.g. ``{"action": "fail", "path": "/x"}``."""
        if not isinstance(command, dict):
            raise InputError(f"a fault command is a JSON object, not {command!r}")
        args = dict(command)
        action = args.pop("action", None)
        if action == "reset":
            self.reset(**args)
            return
        if action not in KINDS:
            raise InputError(
                f"unknown fault action {action!r}; use one of: {', '.join(KINDS)}, reset"
            )
        try:
            getattr(self, action)(**args)
        except TypeError as exc:
            raise InputError(f"bad arguments for {action}: {exc}") from None

    def _add(self, rule: Rule) -> None:
        rule.path = normalise_path(rule.path)
        with self._lock:
            self._rules.append(rule)

    def _use(self, rule: Rule) -> None:
        if rule.times is None:
            return
        rule.times -= 1
        if rule.times <= 0:
            self._rules.remove(rule)


def _times(times: int | None) -> int | None:
    if times is None:
        return None
    if int(times) != times or times < 1:
        raise InputError(f"times must be a whole number >= 1 (or None for always), not {times!r}")
    return int(times)


class RemoteFaults:
    """The :class:`Faults` API for an emulator in another process, through its control endpoint.

    ``RemoteFaults("http://127.0.0.1:8765").fail("/heasarc_tap", times=2)``
    """

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def fail(
        self, path: str, times: int | None = 1, status: int = 503, retry_after: float | None = None
    ) -> None:
        self._send(
            {
                "action": "fail",
                "path": path,
                "times": times,
                "status": status,
                "retry_after": retry_after,
            }
        )

    def delay(self, path: str, seconds: float, times: int | None = None) -> None:
        self._send({"action": "delay", "path": path, "seconds": seconds, "times": times})

    def truncate(self, path: str, times: int | None = 1, fraction: float = 0.5) -> None:
        self._send({"action": "truncate", "path": path, "times": times, "fraction": fraction})

    def html_error(self, path: str, times: int | None = 1) -> None:
        self._send({"action": "html_error", "path": path, "times": times})

    def reset(self, counts: bool = True) -> None:
        self._send({"action": "reset", "counts": counts})

    def requests(self, path: str | None = None) -> int:
        query = "?" + urllib.parse.urlencode({"path": path}) if path is not None else ""
        with urllib.request.urlopen(
            f"{self.base_url}/_emulator/requests{query}", timeout=self.timeout
        ) as answer:
            return int(json.load(answer)["count"])

    def rules(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(
            f"{self.base_url}/_emulator/faults", timeout=self.timeout
        ) as answer:
            return list(json.load(answer)["rules"])

    def _send(self, command: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.base_url}/_emulator/faults",
            data=json.dumps(command).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")
            raise InputError(f"the emulator refused {command}: {detail}") from None
