"""Progress bars for long work (fetching, selecting, matching, downloading): one system, tqdm.

Every bar is a ``tqdm.auto`` bar (a widget in Jupyter when ipywidgets is installed, a redrawn
line in a terminal), wrapped so the callers keep one small interface: :class:`Progress` counts
units (rows, tasks) and can name the task in hand; :class:`TransferProgress` counts files and
bytes for downloads and table fetches, from several threads.

Switches: ``enabled=False`` (every public function's ``progress=False``) silences a bar;
``enabled=None`` draws only on a terminal; ``DAXA_PROGRESS=0`` silences every bar and ``1``
draws those not disabled explicitly, even into a log. Written to a log (not a terminal), a bar
redraws at most every few seconds.

>>> import io
>>> out = io.StringIO()
>>> with Progress(4, "matching", unit="rows", stream=out, enabled=True) as bar:
...     bar.update(2, note="chunk 1")
...     bar.update(2)
>>> bar.done, "matching" in out.getvalue() and "4/4" in out.getvalue()
(4, True)
>>> p = TransferProgress(2, enabled=False)
>>> p.add_total(100); p.advance_bytes(60); p.file_done(); p.close()
>>> p.files_done, p.bytes_done, p.bytes_total
(1, 60, 100)
"""

from __future__ import annotations

import os
import sys
import threading
from types import TracebackType
from typing import IO, Any

#: Seconds between redraws when the stream is not a terminal (a log or a pipe).
LOG_INTERVAL = 5.0


def _forced() -> bool | None:
    """``DAXA_PROGRESS``: ``True`` for ``1``, ``False`` for ``0``, else ``None``."""
    forced = os.environ.get("DAXA_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return None


def _is_tty(stream: IO[str]) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def progress_enabled(requested: bool, stream: IO[str] | None = None) -> bool:
    """Draw bars only when requested and the stream is a terminal (``DAXA_PROGRESS`` overrides)."""
    if not requested:
        return False
    forced = _forced()
    if forced is not None:
        return forced
    return _is_tty(stream if stream is not None else sys.stderr)


def _decide(enabled: bool | None, stream: IO[str]) -> bool:
    if enabled is None:
        return progress_enabled(True, stream)
    return bool(enabled) and _forced() is not False


def _in_notebook() -> bool:
    """True inside a Jupyter kernel, where ``tqdm.auto`` draws a widget on its own."""
    shell = sys.modules.get("IPython")
    try:
        ip = shell.get_ipython() if shell is not None else None  # type: ignore[attr-defined]
    except Exception:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def make_bar(
    total: float | None,
    desc: str,
    *,
    unit: str,
    enabled: bool,
    stream: IO[str],
    min_interval: float = 0.1,
    bytes_: bool = False,
) -> Any:
    """A ``tqdm.auto`` bar; ``stream`` is used outside notebooks (a widget has none)."""
    from tqdm.auto import tqdm

    tty = _is_tty(stream)
    kwargs: dict[str, Any] = {}
    if not _in_notebook():
        kwargs["file"] = stream
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        # 1.23M rows or 3.50 MB, but 3/4 missions
        unit_scale=bytes_ or total is None or total >= 10_000,
        unit_divisor=1024 if bytes_ else 1000,
        disable=not enabled,
        mininterval=min_interval if tty else max(min_interval, LOG_INTERVAL),
        dynamic_ncols=tty,
        leave=True,
        **kwargs,
    )


class Progress:
    """A counting bar: ``update(n, note=...)`` adds ``n`` units and names the task in hand.

    ``enabled``: True draws (unless ``DAXA_PROGRESS=0``), False never, None on a terminal
    only. The counters work whether or not the bar is drawn.
    """

    def __init__(
        self,
        total: int | None,
        desc: str,
        *,
        unit: str = "rows",
        enabled: bool | None = True,
        stream: IO[str] | None = None,
        min_interval: float = 0.1,
    ) -> None:
        self.desc = desc
        self.unit = unit
        self.note = ""
        self._done = 0
        self._total = total
        self.stream = stream if stream is not None else sys.stderr
        self._enabled = _decide(enabled, self.stream)
        self._bar = make_bar(
            total,
            desc,
            unit=unit or "it",
            enabled=self._enabled,
            stream=self.stream,
            min_interval=min_interval,
        )

    @property
    def label(self) -> str:
        return self.desc

    @property
    def total(self) -> int | None:
        return self._total

    @property
    def done(self) -> int:
        return self._done

    count = done

    @property
    def enabled(self) -> bool:
        return self._enabled

    def _set_note(self, note: str | None) -> None:
        if note is not None and note != self.note:
            self.note = note
            self._bar.set_postfix_str(note, refresh=True)

    def update(self, n: int = 1, *, note: str | None = None) -> None:
        """Count ``n`` more units done; a new ``note`` (a new task) is shown at once."""
        self._set_note(note)
        self._done += n
        self._bar.update(n)

    advance = update

    def set(self, done: int, total: int | None = None, *, note: str | None = None) -> None:
        """Jump to ``done`` of ``total`` (for callbacks that report absolute progress)."""
        if total is not None:
            self._total = self._bar.total = total
        self._set_note(note)
        step, self._done = done - self._done, done
        self._bar.update(step)

    def close(self) -> None:
        """Draw the final state and release the line (once)."""
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class BarProgress(Progress):
    """The CLI's bar over tasks (missions): drawn on a terminal only unless forced, and
    showing the first task as soon as it starts."""

    def __init__(
        self,
        total: int | None,
        label: str,
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        unit: str = "mission",
    ) -> None:
        super().__init__(total, label, unit=unit, enabled=enabled, stream=stream)

    def __enter__(self) -> BarProgress:
        self._bar.refresh()
        return self


class TransferProgress:
    """Two counters, files and bytes, as two tqdm bars; safe to call from several threads.

    ``enabled`` is the caller's decision (see :func:`progress_enabled`).
    """

    def __init__(
        self,
        files_total: int,
        *,
        label: str = "download",
        enabled: bool | None = True,
        stream: IO[str] | None = None,
        unit: str = "file",
    ) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _decide(enabled, self.stream)
        self.files_total = files_total
        self.files_done = 0
        self.files_failed = 0
        self.bytes_done = 0
        self.bytes_total = 0
        self._lock = threading.Lock()
        self._files = make_bar(
            files_total, f"{label} {unit}s", unit=unit, enabled=self.enabled, stream=self.stream
        )
        self._bytes = make_bar(
            None, f"{label} bytes", unit="B", enabled=self.enabled, stream=self.stream, bytes_=True
        )

    def set_note(self, note: str) -> None:
        """Name the file or table in hand (shown beside the files bar at once)."""
        with self._lock:
            self._files.set_postfix_str(note, refresh=True)

    def add_files(self, count: int) -> None:
        """More files to fetch (a new batch was planned)."""
        with self._lock:
            self.files_total += count
            self._files.total = self.files_total
            self._files.refresh()

    def add_total(self, nbytes: int) -> None:
        """More bytes are expected (a size became known)."""
        with self._lock:
            self.bytes_total += nbytes
            self._bytes.total = self.bytes_total
            self._bytes.refresh()

    def advance_bytes(self, nbytes: int) -> None:
        with self._lock:
            self.bytes_done += nbytes
            self._bytes.update(nbytes)

    def file_done(self, ok: bool = True) -> None:
        with self._lock:
            self.files_done += 1
            self._files.update(1)
            if not ok:
                self.files_failed += 1
                self._files.set_postfix(failed=self.files_failed)

    def close(self) -> None:
        with self._lock:
            self._files.close()
            self._bytes.close()

    def __enter__(self) -> TransferProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
