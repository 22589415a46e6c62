"""Progress bars for long work (fetching, selecting, matching, downloading), in one place.

A terminal (or terminal IPython) gets one line redrawn with ``\\r`` on standard error; a Jupyter
kernel gets an HTML line updated in place through a display handle (no ipywidgets needed); a
log file or pipe gets a plain line at most every few seconds. Updates are throttled, so calling
:meth:`Progress.update` once per chunk costs nothing measurable. A finished bar leaves one
summary line.

``DAXA_PROGRESS=1`` forces drawing and ``0`` silences every bar. :class:`BarProgress` is the
CLI's flavour (a ``[####----]`` bar naming the current task, drawn only on a terminal unless
forced) and :class:`TransferProgress` counts files and bytes for downloads (tqdm when it is
installed, the text line otherwise).

>>> import io
>>> out = io.StringIO()
>>> with Progress(4, "matching", unit="rows", stream=out, mode="lines", min_interval=0) as bar:
...     bar.update(2)
...     bar.update(2)
>>> print(out.getvalue().splitlines()[-1])
matching: 4/4 rows (100%) in ...s
>>> out = io.StringIO()
>>> with BarProgress(3, "fetch", stream=out, enabled=True, width=10, mode="terminal") as bar:
...     bar.advance(note="xmm_pointed")
...     bar.advance(2)
>>> out.getvalue().splitlines()[-1].split("\\r")[-1].strip()
'fetch [##########] 3/3 ...'
>>> p = TransferProgress(2, enabled=False)
>>> p.add_total(100); p.advance_bytes(60); p.file_done(); p.close()
>>> p.files_done, p.bytes_done, p.bytes_total
(1, 60, 100)
"""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import IO, Any, Literal

Mode = Literal["auto", "terminal", "notebook", "lines", "off"]


def _forced() -> bool | None:
    """``DAXA_PROGRESS``: ``True`` for ``1``, ``False`` for ``0``, else ``None``."""
    forced = os.environ.get("DAXA_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return None


def progress_enabled(requested: bool, stream: IO[str] | None = None) -> bool:
    """Draw bars only when requested and the stream is a terminal (``DAXA_PROGRESS`` overrides)."""
    if not requested:
        return False
    forced = _forced()
    if forced is not None:
        return forced
    stream = stream if stream is not None else sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (not in terminal IPython)."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()  # type: ignore[attr-defined]
    except Exception:
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def _format_count(n: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= size:
            return f"{n / size:.2f}{suffix}"
    return f"{n:g}"


class Progress:
    """A throttled progress bar; ``enabled=False`` (or ``mode='off'``) makes it silent.

    ``enabled=None`` draws only when the stream is a terminal; ``DAXA_PROGRESS=0`` silences
    any bar and ``1`` draws one that was not disabled explicitly. ``mode='auto'`` picks
    ``notebook`` in a Jupyter kernel, ``terminal`` when the stream is a TTY and ``lines``
    otherwise. ``note`` (in :meth:`update`, :meth:`set`) says what is being worked on now.
    """

    def __init__(
        self,
        total: int | None,
        desc: str,
        *,
        unit: str = "rows",
        enabled: bool | None = True,
        mode: Mode = "auto",
        stream: IO[str] | None = None,
        min_interval: float = 0.2,
    ) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.count = 0
        self.note = ""
        self.stream = stream if stream is not None else sys.stderr
        self.min_interval = min_interval
        self._start = time.perf_counter()
        self._last = -1e300
        self._width = 0  # length of the last terminal line, to blank what a shorter one leaves
        self._handle: Any = None
        if enabled is None:
            enabled = progress_enabled(True, self.stream)
        elif enabled and _forced() is False:
            enabled = False
        if not enabled:
            mode = "off"
        if mode == "auto":
            if _in_notebook():
                mode = "notebook"
            elif getattr(self.stream, "isatty", lambda: False)():
                mode = "terminal"
            else:
                mode = "lines"
                self.min_interval = max(self.min_interval, 5.0)
        self.mode: Mode = mode
        if mode == "notebook":
            try:
                from IPython.display import display

                self._handle = display(self._html(), display_id=True)
            except Exception:
                self.mode = "lines"

    @property
    def label(self) -> str:
        return self.desc

    @property
    def done(self) -> int:
        return self.count

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def _elapsed(self) -> float:
        return time.perf_counter() - self._start

    def _text(self, final: bool = False) -> str:
        elapsed = self._elapsed()
        done = _format_count(self.count)
        if self.total:
            pct = 100.0 * self.count / self.total
            text = f"{self.desc}: {done}/{_format_count(self.total)} {self.unit} ({pct:.0f}%)"
            if not final and self.count:
                eta = elapsed * (self.total - self.count) / self.count
                text += f", {elapsed:.1f}s elapsed, ~{eta:.0f}s left"
        else:
            text = f"{self.desc}: {done} {self.unit}"
        if final:
            text += f" in {elapsed:.1f}s"
        if self.note and not final:
            text += f" {self.note}"
        return text

    def _html(self, final: bool = False) -> Any:
        from IPython.display import HTML

        frac = min(1.0, self.count / self.total) if self.total else 0.0
        bar = f"<progress value='{frac:.4f}' max='1' style='width:20em'></progress> "
        return HTML(bar + self._text(final))

    def _draw(self, final: bool = False) -> None:
        if self.mode == "off":
            return
        if self.mode == "notebook" and self._handle is not None:
            self._handle.update(self._html(final))
        elif self.mode == "terminal":
            text = self._text(final)
            self.stream.write("\r" + text.ljust(self._width) + ("\n" if final else ""))
            self._width = len(text)
            self.stream.flush()
        else:
            self.stream.write(self._text(final) + "\n")
            self.stream.flush()

    def _maybe_draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self._last >= self.min_interval:
            self._last = now
            self._draw()

    def _set_note(self, note: str | None) -> bool:
        changed = note is not None and note != self.note
        if note is not None:
            self.note = note
        return changed

    def update(self, n: int = 1, *, note: str | None = None) -> None:
        """Count ``n`` more units done and redraw if the last redraw is old enough.

        A new ``note`` (a new task) is shown at once, however fast the last one was.
        """
        self.count += n
        self._maybe_draw(force=self._set_note(note))

    advance = update

    def set(self, done: int, total: int | None = None, *, note: str | None = None) -> None:
        """Jump to ``done`` of ``total`` (for callbacks that report absolute progress)."""
        self.count = done
        if total is not None:
            self.total = total
        self._maybe_draw(force=self._set_note(note))

    def close(self) -> None:
        """Draw the final state (once)."""
        if self.mode != "off":
            self.note = ""
            self._draw(final=True)
            self.mode = "off"

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
    """The CLI's bar: ``label [####----] done/total elapsed note``, on a terminal by default.

    It is drawn as soon as it is entered, so the first task shows before it finishes.
    """

    def __init__(
        self,
        total: int | None,
        label: str,
        *,
        stream: IO[str] | None = None,
        enabled: bool | None = None,
        mode: Mode = "auto",
        width: int = 28,
        min_interval: float = 0.1,
    ) -> None:
        self.bar_width = width
        super().__init__(
            total,
            label,
            unit="",
            enabled=enabled,
            mode=mode,
            stream=stream,
            min_interval=min_interval,
        )

    def _text(self, final: bool = False) -> str:
        elapsed = self._elapsed()
        if self.total:
            frac = min(1.0, self.count / self.total)
            filled = int(round(frac * self.bar_width))
            bar = "#" * filled + "-" * (self.bar_width - filled)
            count = f"{self.count}/{self.total}"
        else:
            spin = int(elapsed * 8) % self.bar_width
            bar = "-" * spin + "#" + "-" * (self.bar_width - spin - 1)
            count = f"{self.count}"
        note = f" {self.note}" if self.note else ""
        return f"{self.desc} [{bar}] {count} {elapsed:5.1f}s{note}"

    def __enter__(self) -> BarProgress:
        self._maybe_draw(force=True)
        return self


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm


class TransferProgress(Progress):
    """Two counters (files, bytes) shown as two tqdm bars or one text line; thread-safe.

    ``enabled`` is the caller's decision (see :func:`progress_enabled`); the text line is
    redrawn in place.
    """

    def __init__(
        self,
        files_total: int,
        *,
        label: str = "download",
        enabled: bool = True,
        stream: IO[str] | None = None,
        mode: Mode = "terminal",
    ) -> None:
        super().__init__(
            files_total, label, unit="files", enabled=enabled, mode=mode, stream=stream
        )
        self.files_failed = 0
        self.bytes_done = 0
        self.bytes_total = 0
        self._lock = threading.Lock()
        self._bars: tuple[Any, Any] | None = None
        tqdm = _tqdm() if self.enabled else None
        if tqdm is not None:
            self._bars = (
                tqdm(total=files_total, desc=f"{label} files", unit="file", file=self.stream),
                tqdm(
                    total=0,
                    desc=f"{label} bytes",
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=self.stream,
                ),
            )
            self.mode = "off"  # tqdm draws

    @property
    def files_total(self) -> int:
        return self.total or 0

    @property
    def files_done(self) -> int:
        return self.count

    def add_files(self, count: int) -> None:
        """More files to fetch (a new batch was planned)."""
        with self._lock:
            self.total = self.files_total + count
            if self._bars:
                self._bars[0].total = self.files_total
                self._bars[0].refresh()
            self._maybe_draw()

    def add_total(self, nbytes: int) -> None:
        """More bytes are expected (a size became known)."""
        with self._lock:
            self.bytes_total += nbytes
            if self._bars:
                self._bars[1].total = self.bytes_total
                self._bars[1].refresh()
            self._maybe_draw()

    def advance_bytes(self, nbytes: int) -> None:
        with self._lock:
            self.bytes_done += nbytes
            if self._bars:
                self._bars[1].update(nbytes)
            self._maybe_draw()

    def file_done(self, ok: bool = True) -> None:
        with self._lock:
            self.count += 1
            if not ok:
                self.files_failed += 1
            if self._bars:
                self._bars[0].update(1)
                if not ok:
                    self._bars[0].set_postfix(failed=self.files_failed)
            self._maybe_draw(force=True)

    def close(self) -> None:
        with self._lock:
            if self._bars:
                for bar in self._bars:
                    bar.close()
                self._bars = None
            super().close()

    def _text(self, final: bool = False) -> str:
        elapsed = max(self._elapsed(), 1e-9)
        rate = self.bytes_done / elapsed / 2**20
        total = f"/{self.bytes_total / 2**20:.1f}" if self.bytes_total else ""
        failed = f", {self.files_failed} failed" if self.files_failed else ""
        return (
            f"{self.desc}: {self.files_done}/{self.files_total} files{failed}, "
            f"{self.bytes_done / 2**20:.1f}{total} MiB, {rate:.1f} MiB/s"
        )
