"""Progress bars: a redrawn line in terminals, plain lines in logs, a display handle in Jupyter."""

from __future__ import annotations

import io
import sys
import types

import pytest

from daxa.progress import Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_redraws_one_line():
    out = _Tty()
    with Progress(10, "matching", stream=out, min_interval=0) as bar:
        assert bar.mode == "terminal"
        for _ in range(5):
            bar.update(2)
    text = out.getvalue()
    assert text.count("\r") == 6 and text.endswith("\n")
    assert "matching: 4/10 rows (40%)" in text
    assert "matching: 10/10 rows (100%) in" in text.splitlines()[-1]


def test_logs_get_throttled_lines():
    out = io.StringIO()
    with Progress(3_000_000, "summary", stream=out) as bar:
        assert bar.mode == "lines" and bar.min_interval >= 5.0
        for _ in range(3):
            bar.update(1_000_000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2  # the first update, then the final line
    assert lines[-1].startswith("summary: 3.00M/3.00M rows (100%) in")


def test_disabled_is_silent():
    out = io.StringIO()
    with Progress(5, "quiet", stream=out, enabled=False) as bar:
        bar.update(5)
    assert out.getvalue() == ""


def test_notebook_updates_a_display_handle(monkeypatch: pytest.MonkeyPatch):
    shown: list[str] = []

    class Handle:
        def update(self, obj: object) -> None:
            shown.append(obj.data)  # type: ignore[attr-defined]

    class Shell:
        pass

    Shell.__name__ = "ZMQInteractiveShell"
    fake_ipython = types.ModuleType("IPython")
    fake_ipython.get_ipython = lambda: Shell()  # type: ignore[attr-defined]
    display_mod = types.ModuleType("IPython.display")

    class HTML:
        def __init__(self, data: str) -> None:
            self.data = data

    def display(obj: object, display_id: bool = False) -> Handle:
        shown.append(obj.data)  # type: ignore[attr-defined]
        return Handle()

    display_mod.HTML = HTML  # type: ignore[attr-defined]
    display_mod.display = display  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", fake_ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)
    with Progress(4, "nb", min_interval=0) as bar:
        assert bar.mode == "notebook"
        bar.update(4)
    assert len(shown) == 3
    assert "<progress value='1.0000'" in shown[-1] and "nb: 4/4 rows (100%) in" in shown[-1]
