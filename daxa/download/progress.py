"""Progress for downloads: files and bytes, with tqdm when it is installed.

Bars are drawn only when asked (``progress=True``) *and* stderr is a terminal (or
``DAXA_PROGRESS=1``); otherwise :class:`TransferProgress` counts silently, so tests, logs and
notebooks without widgets stay clean. Without tqdm a one-line text bar is drawn instead.

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
from typing import Any, TextIO


def progress_enabled(requested: bool, stream: TextIO | None = None) -> bool:
    """Draw bars only when requested and the stream is a terminal (``DAXA_PROGRESS`` overrides)."""
    if not requested:
        return False
    forced = os.environ.get("DAXA_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    stream = stream if stream is not None else sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


def _tqdm() -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm


class TransferProgress:
    """Two counters (files, bytes) shown as two tqdm bars or one text line; thread-safe."""

    def __init__(
        self,
        files_total: int,
        *,
        label: str = "download",
        enabled: bool = True,
        stream: TextIO | None = None,
    ) -> None:
        self.files_total = files_total
        self.files_done = 0
        self.files_failed = 0
        self.bytes_done = 0
        self.bytes_total = 0
        self.label = label
        self._lock = threading.Lock()
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._bars: tuple[Any, Any] | None = None
        self._last_draw = 0.0
        self._started = time.perf_counter()
        tqdm = _tqdm() if enabled else None
        if tqdm is not None:
            self._bars = (
                tqdm(total=files_total, desc=f"{label} files", unit="file", file=self._stream),
                tqdm(
                    total=0,
                    desc=f"{label} bytes",
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=self._stream,
                ),
            )

    def add_files(self, count: int) -> None:
        """More files to fetch (a new batch was planned)."""
        with self._lock:
            self.files_total += count
            if self._bars:
                self._bars[0].total = self.files_total
                self._bars[0].refresh()
        self._draw()

    def add_total(self, nbytes: int) -> None:
        """More bytes are expected (a size became known)."""
        with self._lock:
            self.bytes_total += nbytes
            if self._bars:
                self._bars[1].total = self.bytes_total
                self._bars[1].refresh()
        self._draw()

    def advance_bytes(self, nbytes: int) -> None:
        with self._lock:
            self.bytes_done += nbytes
            if self._bars:
                self._bars[1].update(nbytes)
        self._draw()

    def file_done(self, ok: bool = True) -> None:
        with self._lock:
            self.files_done += 1
            if not ok:
                self.files_failed += 1
            if self._bars:
                self._bars[0].update(1)
                if not ok:
                    self._bars[0].set_postfix(failed=self.files_failed)
        self._draw(force=True)

    def close(self) -> None:
        if self._bars:
            for bar in self._bars:
                bar.close()
            self._bars = None
        elif self._enabled:
            self._draw(force=True)
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self._enabled or self._bars is not None:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < 0.2:
            return
        self._last_draw = now
        elapsed = max(now - self._started, 1e-9)
        rate = self.bytes_done / elapsed / 2**20
        total = f"/{self.bytes_total / 2**20:.1f}" if self.bytes_total else ""
        failed = f", {self.files_failed} failed" if self.files_failed else ""
        line = (
            f"{self.label}: {self.files_done}/{self.files_total} files{failed}, "
            f"{self.bytes_done / 2**20:.1f}{total} MiB, {rate:.1f} MiB/s"
        )
        self._stream.write("\r" + line)
        self._stream.flush()
