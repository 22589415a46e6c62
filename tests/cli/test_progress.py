"""The CLI's progress bar: drawn on terminals only, and it shows what is being worked on."""

from __future__ import annotations

import io

import pytest

from daxa.progress import BarProgress as Progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAXA_PROGRESS", raising=False)
    out = io.StringIO()
    with Progress(3, "fetching", stream=out) as bar:
        bar.advance(3, note="swift")
    assert out.getvalue() == ""


def test_draws_on_a_terminal_with_the_current_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAXA_PROGRESS", raising=False)
    out = _Tty()
    with Progress(4, "fetching", stream=out, width=8) as bar:
        for name in ("xmm_pointed", "chandra", "swift", "asca"):
            bar.set(bar.done, note=name)
            bar.advance()
    frames = [f.strip() for f in out.getvalue().split("\r") if f.strip()]
    # each task's name appears as soon as it starts, even when the tasks are instant
    for i, name in enumerate(("xmm_pointed", "chandra", "swift", "asca")):
        assert any(f.startswith("fetching [") and f" {i}/4 " in f and f.endswith(name)
                   for f in frames), name  # fmt: skip
    assert frames[-1].startswith("fetching [########] 4/4")
    assert out.getvalue().endswith("\n")


@pytest.mark.parametrize(("env", "drawn"), [("1", True), ("0", False)])
def test_env_forces_or_silences(monkeypatch: pytest.MonkeyPatch, env: str, drawn: bool) -> None:
    monkeypatch.setenv("DAXA_PROGRESS", env)
    out = _Tty() if not drawn else io.StringIO()
    with Progress(None, "matching", stream=out) as bar:
        bar.advance(5)
    assert bool(out.getvalue()) is drawn
    if drawn:
        assert "matching [" in out.getvalue() and " 5 " in out.getvalue()
