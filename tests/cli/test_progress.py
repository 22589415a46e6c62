"""The CLI's progress bars (tqdm): drawn on terminals only, naming the task in hand, and
counting bytes while tables are fetched."""

from __future__ import annotations

import io

import pytest

from daxa.progress import BarProgress as Progress
from daxa.progress import TransferProgress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _frames(text: str) -> list[str]:
    return [f.strip() for f in text.replace("\n", "\r").split("\r") if f.strip()]


def test_silent_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAXA_PROGRESS", raising=False)
    out = io.StringIO()
    with Progress(3, "fetching", stream=out) as bar:
        bar.advance(3, note="swift")
    assert out.getvalue() == "" and bar.done == 3


def test_draws_on_a_terminal_with_the_current_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAXA_PROGRESS", raising=False)
    out = _Tty()
    names = ("xmm_pointed", "chandra", "swift", "asca")
    with Progress(4, "fetching", stream=out) as bar:
        for name in names:
            bar.set(bar.done, note=name)
            bar.advance()
    frames = _frames(out.getvalue())
    # each task's name is drawn as soon as it starts, even when the tasks are instant
    for i, name in enumerate(names):
        assert any(f.startswith("fetching") and f"{i}/4" in f and name in f for f in frames), name
    assert "4/4" in frames[-1]
    assert out.getvalue().endswith("\n")


@pytest.mark.parametrize(("env", "drawn"), [("1", True), ("0", False)])
def test_env_forces_or_silences(monkeypatch: pytest.MonkeyPatch, env: str, drawn: bool) -> None:
    monkeypatch.setenv("DAXA_PROGRESS", env)
    out = _Tty() if not drawn else io.StringIO()
    with Progress(None, "matching", stream=out) as bar:
        bar.advance(5)
    assert bool(out.getvalue()) is drawn
    if drawn:
        assert "matching" in out.getvalue() and "5" in _frames(out.getvalue())[-1]


def test_fetch_counts_missions_and_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAXA_PROGRESS", raising=False)
    out = _Tty()
    with TransferProgress(2, label="fetching", unit="mission", stream=out) as bar:
        bar.set_note("chandra")
        for _ in range(3):
            bar.advance_bytes(2**20)
        bar.file_done()
        bar.set_note("swift")
        bar.advance_bytes(2**19)
        bar.file_done(ok=False)
    assert (bar.files_done, bar.files_failed, bar.bytes_done) == (2, 1, 3 * 2**20 + 2**19)
    frames = _frames(out.getvalue())
    assert any("fetching missions" in f and "2/2" in f and "failed=1" in f for f in frames)
    assert any("fetching bytes" in f and "3.50M" in f for f in frames)  # bytes, binary units


def test_fetching_a_table_shows_its_bytes(emulator, cache_dir, monkeypatch, capsys) -> None:
    from daxa.cli.missions import fetch_missions
    from daxa.config import mirror

    monkeypatch.setenv("DAXA_PROGRESS", "1")
    with mirror(emulator.url):
        result = fetch_missions(["chandra"], cache_dir=cache_dir, progress=True)
    assert result["status"].to_list() == ["fetched"]
    frames = _frames(capsys.readouterr().err)
    byte_frames = [f for f in frames if f.startswith("fetching bytes")]
    # the answer's bytes are counted as they arrive (in kB/MB, not only one mission done)
    assert byte_frames and any(unit in byte_frames[-1] for unit in ("kB", "MB", "B/s"))
    assert any("fetching missions" in f and "1/1" in f for f in frames)
