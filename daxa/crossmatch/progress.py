"""Progress bars for long cross-matches that work in a terminal, plain IPython and notebooks.

A terminal (or terminal IPython) gets one line redrawn with ``\\r`` on standard error; a Jupyter
kernel gets an HTML line updated in place through a display handle (no ipywidgets needed); a
log file or pipe gets a plain line at most every few seconds. Updates are throttled, so calling
:meth:`Progress.update` once per chunk costs nothing measurable.

>>> import io
>>> out = io.StringIO()
>>> with Progress(4, "matching", unit="rows", stream=out, mode="lines", min_interval=0) as bar:
...     bar.update(2)
...     bar.update(2)
>>> print(out.getvalue().splitlines()[-1])
matching: 4/4 rows (100%) in ...s
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO, Any, Literal

Mode = Literal["auto", "terminal", "notebook", "lines", "off"]


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

    ``mode='auto'`` picks ``notebook`` in a Jupyter kernel, ``terminal`` when the stream is a
    TTY and ``lines`` otherwise.
    """

    def __init__(
        self,
        total: int | None,
        desc: str,
        *,
        unit: str = "rows",
        enabled: bool = True,
        mode: Mode = "auto",
        stream: IO[str] | None = None,
        min_interval: float = 0.2,
    ) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.count = 0
        self.stream = stream if stream is not None else sys.stderr
        self.min_interval = min_interval
        self._start = time.perf_counter()
        self._last = -1e300
        self._handle: Any = None
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

    def _text(self, final: bool = False) -> str:
        elapsed = time.perf_counter() - self._start
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
            self.stream.write("\r" + self._text(final) + ("\n" if final else ""))
            self.stream.flush()
        else:
            self.stream.write(self._text(final) + "\n")
            self.stream.flush()

    def update(self, n: int = 1) -> None:
        """Count ``n`` more units done and redraw if the last redraw is old enough."""
        self.count += n
        now = time.perf_counter()
        if now - self._last >= self.min_interval:
            self._last = now
            self._draw()

    def close(self) -> None:
        """Draw the final state (once)."""
        if self.mode != "off":
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
