"""Every notebook in ``notebooks/`` runs top to bottom against the emulator, and none is
committed with outputs.

The notebooks are executed here (with nbclient, the engine nbmake uses), so the ordinary
``pytest`` run covers them: a broken notebook fails CI. Each runs in a fresh kernel with the
notebook folder as its working directory and a temporary cache (``DAXA_CACHE_DIR``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
TIMEOUT_S = 240


def _ids() -> list[str]:
    return [p.stem for p in NOTEBOOKS]


def test_there_are_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS if p.name.startswith(("01_", "02_", "04_", "06_"))] == [
        "01_quick_start.ipynb",
        "02_sn_ia_positions_at_time.ipynb",
        "04_efeds_clusters_vs_calpv.ipynb",
        "06_footprints_not_circles.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids())
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} have outputs; strip them before committing"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids())
def test_notebook_executes(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    monkeypatch.setenv("DAXA_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("DAXA_MIRROR", raising=False)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
    # the notebooks end by showing a result, not silently
    assert any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code")
