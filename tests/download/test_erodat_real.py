"""The emulator serves the real eRODat pages of tile 134135; the planner reads them over HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from daxa.config import service_url
from daxa.download.engine import run_plan
from daxa.download.plan import RemoteFile
from daxa.download.registry import DOWNLOADERS
from daxa.download.transport import Transport
from daxa.testing import shared_data_dir

pytestmark = pytest.mark.skipif(
    shared_data_dir() is None
    or not (shared_data_dir() / "responses" / "erodat" / "134135.html").is_file(),  # type: ignore[operator]
    reason="shared eRODat pages absent",
)
TMS = tuple(f"TM{i}" for i in range(1, 8))


def test_plan_from_the_real_pages(archive) -> None:  # type: ignore[no-untyped-def]
    with Transport() as transport:
        plan = DOWNLOADERS["erosita_all_sky_de_dr1"](["134135"], TMS, "products", None, transport)
    assert plan.failed == {}
    sizes = {f.dest_relpath.rsplit("/", 1)[-1]: f.size for f in plan.files}
    assert len(sizes) == 1 + 7 + 7 + 4
    assert sizes["em01_134135_020_EventList_c010.fits.gz"] == 53391851
    assert sizes["em01_134135_024_BackgrImage_c010.fits.gz"] == 37028712
    assert all(f.unpack == "gzip" and f.cut_tms is None for f in plan.files)
    assert plan.notes["134135"] == ["pipeline version 010"]
    assert not any("AreaTab" in name or "SensMap" in name for name in sizes)


def test_a_listed_file_arrives_with_its_listed_size(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    name = "em01_134135_020_AreaTab1Blik5_c010.fits.gz"
    remote = RemoteFile(
        f"{service_url('erosita_dr1')}/erodat/data/download/135/134/DET_010/{name}",
        f"134135/DET_010/{name}",
        "134135",
        "erosita_dr1",
        size=4321,
        unpack="gzip",
    )
    with Transport() as transport:
        (outcome,) = run_plan([remote], tmp_path, transport)
    assert outcome.ok, outcome.error
    assert outcome.remote_size == 4321
    assert (tmp_path / "134135" / "DET_010" / name[:-3]).read_bytes()[:9] == b"SIMPLE  ="
