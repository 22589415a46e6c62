"""A dependency-free progress bar for long CLI work (fetching, matching, downloading).

It draws on stderr only when stderr is a terminal, so logs and captured output stay clean; a
finished bar leaves one summary line. ``DAXA_PROGRESS=1`` forces drawing, ``0`` disables it.

>>> import io
>>> out = io.StringIO()
>>> with Progress(3, "fetch", stream=out, enabled=True, width=10) as bar:
...     bar.advance(note="xmm_pointed")
...     bar.advance(2)
>>> out.getvalue().splitlines()[-1].strip()
'fetch [##########] 3/3 ...'
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


def _default_enabled(stream: TextIO) -> bool:
    forced = os.environ.get("DAXA_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return bool(getattr(stream, "isatty", lambda: False)())


class Progress:
    """A bar of ``total`` steps labelled ``label``; ``advance`` moves it, ``note`` says on what.

    Redraws at most ten times a second so a tight loop does not spend its time printing.
    """

    def __init__(
        self,
        total: int | None,
        label: str,
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        width: int = 28,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _default_enabled(self.stream) if enabled is None else enabled
        self.width = width
        self.done = 0
        self.note = ""
        self._started = time.perf_counter()
        self._last_draw = 0.0
        self._drawn = False

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def advance(self, steps: int = 1, *, note: str | None = None) -> None:
        """Count ``steps`` more steps done (and say what is being worked on now)."""
        self.done += steps
        changed = note is not None and note != self.note
        if note is not None:
            self.note = note
        self._draw(force=changed)

    def set(self, done: int, total: int | None = None, *, note: str | None = None) -> None:
        """Jump to ``done`` of ``total`` (for callbacks that report absolute progress)."""
        self.done = done
        if total is not None:
            self.total = total
        changed = note is not None and note != self.note
        if note is not None:
            self.note = note
        self._draw(force=changed)  # a new task shows at once, however fast the last one was

    def close(self) -> None:
        """Draw the final state and end the line."""
        if not self.enabled:
            return
        self.note = ""
        self._draw(force=True)
        self.stream.write("\n")
        self.stream.flush()

    def _line(self) -> str:
        elapsed = time.perf_counter() - self._started
        if self.total:
            frac = min(1.0, self.done / self.total)
            filled = int(round(frac * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            count = f"{self.done}/{self.total}"
        else:
            spin = int(elapsed * 8) % self.width
            bar = "-" * spin + "#" + "-" * (self.width - spin - 1)
            count = f"{self.done}"
        note = f" {self.note}" if self.note else ""
        return f"{self.label} [{bar}] {count} {elapsed:5.1f}s{note}"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        line = self._line()
        self.stream.write("\r" + line[:119].ljust(min(119, max(len(line), 60))))
        self.stream.flush()
        self._drawn = True
