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

KINDS = ("fail", "delay", "truncate", "html_error", "error_document", "unreachable")
#: Schema drift commands (they change a served table, not one request).
DRIFT = ("drop_column", "rename_column", "retype_column")
#: How real services word a failed query (see :func:`daxa.testing.votable.error_document`).
ERROR_STYLES = ("status_element", "status_value", "info_error")


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
    style: str = "status_element"
    message: str = ""


@dataclass(frozen=True)
class Plan:
    """What to do to one request: wait, answer with a status or an HTML page, cut the body."""

    delay: float = 0.0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    html_error: bool = False
    truncate: float | None = None
    unreachable: bool = False
    error_document: tuple[int, str, str] | None = None  # (status, style, message)


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
        self._drift: list[tuple[str, str, str, str]] = []
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

    def error_document(
        self,
        path: str,
        style: str = "status_element",
        message: str = "the query failed on the service",
        status: int = 400,
        times: int | None = 1,
    ) -> None:
        """Answer with a VOTable error document in one real ``style`` and HTTP ``status``.

        Styles: ``status_element`` (``QUERY_STATUS`` ERROR, the message as element text, as
        ESAC TAP+ and HEASARC write it), ``status_value`` (``QUERY_STATUS`` ERROR with no text,
        the message in the ``value`` of an ``INFO name="Error"``, the Cone Search 1.03 form),
        ``info_error`` (an ``INFO name="ERROR"`` with the text and no ``QUERY_STATUS``, as
        IRSA answers). A status of 200 sends the document as a normal answer.
        """
        if style not in ERROR_STYLES:
            raise InputError(
                f"unknown error style {style!r}; use one of: {', '.join(ERROR_STYLES)}"
            )
        if not 200 <= int(status) <= 599:
            raise InputError(f"status {status} is not an HTTP status code for an answer (200-599)")
        self._add(
            Rule("error_document", path, _times(times), status=int(status), style=style,
                 message=str(message))
        )  # fmt: skip

    def unreachable(self, path: str, times: int | None = None) -> None:
        """Close the connection without answering requests under ``path`` (all by default):
        what a client sees when a service is down or firewalled."""
        self._add(Rule("unreachable", path, _times(times)))

    def drop_column(self, table: str, column: str) -> None:
        """Serve ``table`` without ``column`` (in its answers and in ``TAP_SCHEMA``)."""
        with self._lock:
            self._drift.append((table.lower(), "drop", column, ""))

    def rename_column(self, table: str, column: str, new_name: str) -> None:
        """Serve ``table``'s ``column`` as ``new_name`` (in its answers and in ``TAP_SCHEMA``)."""
        if not new_name:
            raise InputError("rename_column needs a non-empty new_name")
        with self._lock:
            self._drift.append((table.lower(), "rename", column, new_name))

    def retype_column(self, table: str, column: str) -> None:
        """Serve ``table``'s ``column`` as text (e.g. numbers turned into strings)."""
        with self._lock:
            self._drift.append((table.lower(), "retype", column, ""))

    def drift(self, table: str) -> list[tuple[str, str, str]]:
        """The column changes applied to ``table``, in order: ``(op, column, new_name)``."""
        with self._lock:
            return [(op, col, new) for t, op, col, new in self._drift if t == table.lower()]

    def reset(self, counts: bool = True) -> None:
        """Remove every rule and drift, and forget the request counts unless ``counts=False``."""
        with self._lock:
            self._rules.clear()
            self._drift.clear()
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
            stopping = ("fail", "html_error", "error_document", "unreachable")
            stop = next((r for r in matching if r.kind in stopping), None)
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
                unreachable=stop is not None and stop.kind == "unreachable",
                error_document=(stop.status, stop.style, stop.message)
                if stop is not None and stop.kind == "error_document"
                else None,
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
        if action not in KINDS and action not in DRIFT:
            raise InputError(
                f"unknown fault action {action!r}; use one of: {', '.join(KINDS + DRIFT)}, reset"
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

    def error_document(
        self,
        path: str,
        style: str = "status_element",
        message: str = "the query failed on the service",
        status: int = 400,
        times: int | None = 1,
    ) -> None:
        self._send({"action": "error_document", "path": path, "style": style,
                    "message": message, "status": status, "times": times})  # fmt: skip

    def unreachable(self, path: str, times: int | None = None) -> None:
        self._send({"action": "unreachable", "path": path, "times": times})

    def drop_column(self, table: str, column: str) -> None:
        self._send({"action": "drop_column", "table": table, "column": column})

    def rename_column(self, table: str, column: str, new_name: str) -> None:
        self._send({"action": "rename_column", "table": table, "column": column,
                    "new_name": new_name})  # fmt: skip

    def retype_column(self, table: str, column: str) -> None:
        self._send({"action": "retype_column", "table": table, "column": column})

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
