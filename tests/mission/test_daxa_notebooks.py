"""The mission cells of DAXA's documentation notebooks, run unchanged against the emulator.

Set ``DAXA_UPSTREAM`` to a checkout of DAXA; the notebooks are read from its
``docs/source/notebooks/tutorials``. Each listed cell runs in order in one namespace, in a
temporary folder (the case studies read their samples from ``samp_files/``, which gets the real
samples of the shared data folder). Only lines importing ``daxa.archive`` are dropped: daxa has
no ``Archive`` class (archives and processing are outside its scope). Cells not listed build
archives, download, process, or print ``help``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: notebook (under docs/source/notebooks/tutorials) → code cell indices that run.
CELLS: dict[str, list[int]] = {
    "missions.ipynb": [
        3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 47, 50, 52, 55, 58, 61, 64,
        70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 84, 85, 147, 149,
    ],
    "case_studies/cont_patch_of_sky.ipynb": [3, 8, 11, 13, 16, 17],
    "case_studies/obs_of_SNe_samp_after.ipynb": [3, 8, 10, 13],
    "case_studies/observations_of_cluster_sample.ipynb": [3, 8, 10, 13, 16, 19, 20, 21, 23, 24, 25],
    "case_studies/all_obs_of_object.ipynb": [3, 7, 9, 11, 16, 19, 22, 24, 27],
}  # fmt: skip

#: Mission cells left out, and why (besides archives, downloads, processing and ``help``).
LEFT_OUT: dict[str, str] = {
    "missions.ipynb[66]": "INTEGRAL's archive gives no pre-processed energy bands; daxa says so "
    "with ProductNotFoundError where DAXA returns its own list",
    "obs_of_SNe_samp_after.ipynb[16, 19-21]": "need DAXA's real tables: whether the emulator's "
    "XMM table holds a pointing at one of the 1,000 supernovae within 30 days of its discovery "
    "is chance (the real archive does)",
}

#: The missions the notebooks use, cached from the emulator at the archives' real sizes (a
#: few hundred rows would leave the case studies' sky patches and samples empty).
NOTEBOOK_MISSIONS = (
    "xmm_pointed", "chandra", "swift", "asca", "suzaku", "rosat_pointed", "rosat_all_sky",
    "erosita_calpv", "erosita_all_sky_de_dr1", "nustar_pointed", "xrism_pointed",
    "integral_pointed",
)  # fmt: skip


@pytest.fixture(scope="module")
def real_size_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The emulator at real table sizes (kept running for Sesame) and a cache filled from it."""
    from daxa import cache
    from daxa.testing import emulated_archives

    folder = tmp_path_factory.mktemp("notebook_cache")
    with emulated_archives(sizes="real"):
        for name in NOTEBOOK_MISSIONS:
            cache.refresh(name, cache_dir=folder)
        yield folder


def _code(notebook: Path, index: int) -> str:
    cell = json.loads(notebook.read_text())["cells"][index]
    assert cell["cell_type"] == "code", f"{notebook.name} cell {index} is not code"
    lines = "".join(cell["source"]).splitlines()
    return "\n".join(line for line in lines if not line.startswith("from daxa.archive"))


@pytest.fixture
def tutorials() -> Path:
    checkout = os.environ.get("DAXA_UPSTREAM")
    if not checkout:
        pytest.skip("DAXA_UPSTREAM is not set (a checkout of DAXA whose notebooks to run)")
    folder = Path(checkout) / "docs" / "source" / "notebooks" / "tutorials"
    if not folder.is_dir():
        pytest.skip(f"DAXA_UPSTREAM={checkout} has no docs/source/notebooks/tutorials")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("notebook", sorted(CELLS))
def test_daxa_notebook_mission_cells_run(
    notebook: str,
    tutorials: Path,
    real_size_archive: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from daxa.testing import shared_data_dir

    shared = shared_data_dir()
    if "samp" in notebook and shared is None:
        pytest.skip("the case study reads the real samples of ../shared/data")
    if shared is not None:
        (tmp_path / "samp_files").mkdir()
        for sample in (shared / "samples").glob("*.csv"):
            shutil.copy(sample, tmp_path / "samp_files" / sample.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAXA_CACHE_DIR", str(real_size_archive))
    namespace: dict[str, Any] = {"__name__": "__notebook__"}
    path = tutorials / notebook
    for index in CELLS[notebook]:
        code = _code(path, index)
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compile(code, f"{notebook}[{index}]", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"{notebook} cell {index} failed: {exc!r}\n{code}") from exc
