"""Faults: retries, Range resume, corruption, missing ObsIDs and files, hostile input, caps."""

from __future__ import annotations

import gzip
import json
import threading
import time
from pathlib import Path

import pytest
import requests
from astropy.io import fits

from daxa.download import download
from daxa.testing.files import FileTree
from daxa.testing.server import Request, Response

from .helpers import leftovers

FAST = {"progress": False, "backoff": 0.01}


def chandra_ids(emu) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(v) for v in emu.table("chanmaster")["obsid"].head(3).to_list()]


def chandra_url(emu, tree: FileTree, obs_id: str, rel: str = "") -> str:  # type: ignore[no-untyped-def]
    return f"{emu.url}/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/{rel}"


def test_5xx_bursts_are_retried(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    ids = chandra_ids(emu)[:2]
    emu.faults.fail("/heasarc_ftp/chandra", times=4, status=503)
    emu.faults.fail(
        f"/heasarc_ftp/chandra/data/byobsid/{ids[1][-1]}/{ids[1]}/oif.fits",
        times=2,
        status=429,
        retry_after=0.01,
    )
    report = download("chandra", ids, dest=tmp_path, **FAST)
    assert report.ok == ids
    assert report.retries >= 6
    assert leftovers(tmp_path) == []


def test_bursts_longer_than_the_retries_fail_cleanly(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    good, bad = chandra_ids(emu)[:2]
    path = f"/heasarc_ftp/chandra/data/byobsid/{bad[-1]}/{bad}/oif.fits"
    emu.faults.fail(path, times=None, status=502)
    report = download("chandra", [good, bad], dest=tmp_path, retries=2, **FAST)
    assert report.ok == [good]
    assert "gave up after 3 attempts (HTTP 502)" in report.failed[bad]
    assert emu.requests(path) == 3
    manifest = json.loads((tmp_path / "chandra" / bad / ".daxa-manifest.json").read_text())
    assert manifest["complete"] is False and list(manifest["failed"]) == [emu.url + path]
    assert leftovers(tmp_path) == [] and not (tmp_path / "chandra" / bad / "oif.fits").exists()


def test_cut_transfer_resumes_with_range(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    scw = str(emu.table("intscwpub")["scw_id"][0])
    name = "isgri_events.fits.gz"  # INTEGRAL files are kept as served: compare bytes
    path = f"/heasarc_ftp/integral/data/scw/{scw[:4]}/{scw}.001/{name}"
    expected = requests.get(emu.url + path, timeout=10).content
    emu.faults.truncate(path, times=1, fraction=0.6)
    report = download("integral_pointed", [scw], dest=tmp_path, **FAST)
    assert report.ok == [scw]
    assert (tmp_path / "integral_pointed" / scw / name).read_bytes() == expected
    ranges = [r for p, r in tree.range_requests if p == path]
    assert ranges == [f"bytes={int(len(expected) * 0.6)}-"]
    assert leftovers(tmp_path) == []


def test_cut_plain_fits_resumes_and_verifies(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_ids(emu)[0]
    url = chandra_url(emu, tree, obs_id, "oif.fits")
    expected = requests.get(url, timeout=10).content
    emu.faults.truncate(url, times=2, fraction=0.3)
    report = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert report.ok == [obs_id]
    assert (tmp_path / "chandra" / obs_id / "oif.fits").read_bytes() == expected
    assert len([1 for p, _ in tree.range_requests if url.endswith(p)]) == 2


@pytest.mark.filterwarnings("ignore::astropy.utils.exceptions.AstropyUserWarning")
def test_corrupted_transfer_is_fetched_again(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_ids(emu)[0]
    prefix = f"{tree.facts('chandra', obs_id).detector}f{obs_id.zfill(5)}"
    gz_path = f"/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/secondary/{prefix}_000N004_evt1.fits.gz"
    fits_path = f"/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/oif.fits"
    tree.corrupt(gz_path, times=1)  # caught by gzip's CRC
    tree.corrupt(fits_path, times=1)  # caught by the FITS CHECKSUM/DATASUM keywords
    report = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert report.ok == [obs_id]
    assert emu.requests(gz_path) == 2 and emu.requests(fits_path) == 2
    folder = tmp_path / "chandra" / obs_id
    evt1 = folder / "secondary" / f"{prefix}_000N004_evt1.fits"
    assert evt1.read_bytes() == gzip.decompress(requests.get(emu.url + gz_path, timeout=10).content)
    with fits.open(folder / "oif.fits", checksum=True) as hdus:
        hdus.readall()
    assert leftovers(tmp_path) == []


def test_corruption_on_disk_found_by_a_deep_check(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_ids(emu)[0]
    download("chandra", [obs_id], dest=tmp_path, **FAST).raise_for_failures()
    oif = tmp_path / "chandra" / obs_id / "oif.fits"
    good = oif.read_bytes()
    damaged = bytearray(good)
    damaged[100] ^= 1
    oif.write_bytes(bytes(damaged))
    before = emu.requests()
    shallow = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert shallow.ok == [obs_id] and emu.requests() == before  # sizes agree: trusted
    deep = download("chandra", [obs_id], dest=tmp_path, verify="sha256", **FAST)
    assert deep.ok == [obs_id]
    assert oif.read_bytes() == good
    assert deep.results[obs_id].fetched_files == 1  # only the damaged file, after the listings


def test_missing_obs_id_reported_while_others_complete(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    a, b, c = chandra_ids(emu)
    tree.make_missing("chandra", b)
    report = download("chandra", [a, b, c], dest=tmp_path, **FAST)
    assert report.ok == [a, c]
    assert list(report.failed) == [b]
    assert "not in the archive" in report.failed[b] and "HTTP 404" in report.failed[b]
    assert not (tmp_path / "chandra" / b).exists()
    frame = report.to_frame()
    assert frame.filter(frame["status"] == "failed")["obs_id"].to_list() == [b]
    with pytest.raises(Exception, match=f"{b}: ObsID {b} is not in the archive"):
        report.raise_for_failures()


def test_missing_file_fails_its_obs_id_and_a_rerun_fetches_only_it(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    a, b = chandra_ids(emu)[:2]
    path = f"/heasarc_ftp/chandra/data/byobsid/{b[-1]}/{b}/oif.fits"
    tree.make_file_missing(path)
    report = download("chandra", [a, b], dest=tmp_path, **FAST)
    assert report.ok == [a]
    assert report.failed[b] == f"file not found (HTTP 404): {emu.url}{path}"
    assert report.results[b].files > 0  # the rest of b is there, recorded in a partial manifest
    tree.reset()
    before = emu.requests()
    again = download("chandra", [a, b], dest=tmp_path, **FAST)
    assert again.ok == [a, b]
    assert again.results[b].fetched_files == 1
    # the listings of b (top, secondary) and the one missing file; nothing for a
    assert emu.requests() - before == 3


def test_hostile_listing_is_refused(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    a, b = chandra_ids(emu)[:2]
    tree.hostile_listing(
        f"/heasarc_ftp/chandra/data/byobsid/{b[-1]}/{b}/secondary", ["../../../../../../etc/passwd"]
    )
    report = download("chandra", [a, b], dest=tmp_path / "d", **FAST)
    assert report.ok == [a]
    assert (
        "refused the listing" in report.failed[b]
        and "'../../../../../../etc/passwd'" in report.failed[b]
    )
    assert not (tmp_path / "d" / "chandra" / b).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_hostile_erodat_listing_is_refused(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _emu, tree = archive
    tree.hostile_listing(
        "/erosita_dr1/erodat/data/download/048/121/EXP_010", ["/dr1/erodat/../../x.fits"]
    )
    report = download("erosita_all_sky_de_dr1", ["121048", "125048"], dest=tmp_path, **FAST)
    assert report.ok == ["125048"]
    assert "refused the listing" in report.failed["121048"]


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "hardlink"])
def test_hostile_calpv_tarball_is_refused(archive, tmp_path: Path, kind: str) -> None:  # type: ignore[no-untyped-def]
    _emu, tree = archive
    tree.hostile_tar("/erosita_edr/CalPvObs/eFEDS.tar.gz", kind)
    report = download("erosita_calpv", ["300007", "300008"], dest=tmp_path / "d", **FAST)
    assert report.ok == []
    assert all("refused" in why and "tar member" in why for why in report.failed.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
    assert not list((tmp_path / "d").rglob("*.fits")) and not list(
        (tmp_path / "d").rglob("*.tar.gz")
    )
    assert leftovers(tmp_path) == []


def test_hostile_aio_tarball_is_refused(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = str(emu.table("xmmmaster")["obsid"][0])
    tree.hostile_tar(f"/xsa_aio/data-action-aio?obsno={obs_id}", "dotdot")
    report = download("xmm_pointed", [obs_id], dest=tmp_path / "d", **FAST)
    assert "refused tar member '../../evil_0000000000_M1.fits'" in report.failed[obs_id]
    assert not list(tmp_path.rglob("evil*"))
    assert leftovers(tmp_path) == []


def test_html_page_instead_of_data_is_retried(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_ids(emu)[0]
    path = f"/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/oif.fits"
    emu.faults.html_error(path, times=2)
    report = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert report.ok == [obs_id]
    assert (tmp_path / "chandra" / obs_id / "oif.fits").read_bytes()[:9] == b"SIMPLE  ="


def test_read_timeout_is_retried(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_ids(emu)[0]
    path = f"/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/oif.fits"
    emu.faults.delay(path, seconds=1.5, times=1)
    started = time.perf_counter()
    report = download("chandra", [obs_id], dest=tmp_path, read_timeout=0.3, **FAST)
    assert report.ok == [obs_id] and report.retries >= 1
    assert time.perf_counter() - started < 10


def test_permanent_cuts_leave_no_partial_file(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_ids(emu)[0]
    path = f"/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/oif.fits"
    emu.faults.truncate(path, times=None, fraction=0.5)
    report = download("chandra", [obs_id], dest=tmp_path, retries=2, **FAST)
    assert "transfer cut" in report.failed[obs_id]
    assert leftovers(tmp_path) == []
    assert not (tmp_path / "chandra" / obs_id / "oif.fits").exists()


class Gauge:
    """Wraps a route handler and records the most requests under ``prefix`` it served at once
    (other paths pass through uncounted: a slow request of an earlier test may still arrive)."""

    def __init__(self, handler, hold: float, prefix: str) -> None:  # type: ignore[no-untyped-def]
        self.handler, self.hold, self.prefix = handler, hold, prefix
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        if not request.path.startswith(self.prefix):
            return self.handler(request)
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.hold)
            return self.handler(request)
        finally:
            with self.lock:
                self.now -= 1


def test_per_host_cap(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    gauge = Gauge(tree.heasarc, 0.05, "/heasarc_ftp/suzaku/")
    emu.mount("/heasarc_ftp", gauge)
    try:
        ids = [str(o) for o in emu.table("suzamaster")["obsid"].head(3).to_list()]
        report = download("suzaku", ids, dest=tmp_path, max_workers=8, per_host=2, **FAST)
    finally:
        emu.mount("/heasarc_ftp", tree.heasarc)
    assert report.ok == ids
    assert gauge.peak == 2


def test_xsa_never_gets_more_than_ten(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    gauge = Gauge(tree.aio, 0.2, "/xsa_aio/")
    emu.mount("/xsa_aio/data-action-aio", gauge)
    try:
        ids = [str(o) for o in emu.table("xmmmaster")["obsid"].head(14).to_list()]
        report = download("xmm_pointed", ids, dest=tmp_path, max_workers=16, per_host=16, **FAST)
    finally:
        emu.mount("/xsa_aio/data-action-aio", tree.aio)
    assert report.ok == ids, report.failed
    assert 2 <= gauge.peak <= 10


def test_leftovers_of_a_killed_run_are_swept(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_ids(emu)[0]
    folder = tmp_path / "chandra" / obs_id / "secondary"
    folder.mkdir(parents=True)
    stale = [
        folder / "x_evt1.fits.gz.part",
        folder / ".x_evt1.fits.unpack-1-2",
        tmp_path / "chandra" / obs_id / ".nested-abc.tar",
    ]
    for path in stale:
        path.write_bytes(b"half")
    report = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert report.ok == [obs_id]
    assert leftovers(tmp_path) == [] and not any(p.exists() for p in stale)
