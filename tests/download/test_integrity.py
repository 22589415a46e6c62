"""Integrity of downloads through real HTTP: bad bodies, concurrent runs, later corruption.

Faults the emulator's own fault kinds cannot make (a ``text/plain`` or HTML body under a data
content type, a FITS or tarball cut short and sent without ``Content-Length``, a listing that
leaves a file out) come from a small wrapper around the emulator's file-tree route: it answers
the first ``times`` requests for one path itself and passes everything else through.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from daxa.download import download, locking, verify_downloads
from daxa.download.locking import ObsLocks
from daxa.download.manifest import Manifest, sha256_file
from daxa.testing.server import Request, Response

from .helpers import leftovers

FAST = {"progress": False, "backoff": 0.01}


class Override:
    """Answer the first ``times`` requests for ``path`` with ``answer(real_response)``."""

    def __init__(
        self,
        handler: Callable[[Request], Response],
        path: str,
        answer: Callable[[Response], Response],
        times: int | None = 1,
    ) -> None:
        self.handler, self.path, self.answer, self.times = handler, path, answer, times
        self.served = 0

    def __call__(self, request: Request) -> Response:
        real = self.handler(request)
        if request.path != self.path or (self.times is not None and self.served >= self.times):
            return real
        self.served += 1
        return self.answer(real)


@contextmanager
def overriding(
    emu, prefix: str, handler, path: str, answer, times: int | None = 1
) -> Iterator[Override]:  # type: ignore[no-untyped-def]
    override = Override(handler, path, answer, times)
    emu.mount(prefix, override)
    try:
        yield override
    finally:
        emu.mount(prefix, handler)


def chandra_obs(emu) -> str:  # type: ignore[no-untyped-def]
    return str(emu.table("chanmaster")["obsid"][0])


def obs_path(obs_id: str, rel: str = "") -> str:
    return f"/heasarc_ftp/chandra/data/byobsid/{obs_id[-1]}/{obs_id}/{rel}"


def unchunked(body: bytes) -> Response:
    """``body`` as a 200 with no Content-Length (chunked): the client cannot see it is short."""
    return Response(200, iter([body]), "application/octet-stream")


def served(real: Response) -> bytes:
    """The bytes of a real answer (the file trees stream a list of chunks)."""
    return real.body if isinstance(real.body, bytes) else b"".join(real.body)


# -- bodies that are not what their name says -------------------------------------------------


BAD_BODIES = {
    "text/plain": lambda real: Response.text("Service temporarily unavailable; try later.\n"),
    "html as octets": lambda real: Response(
        200, b"<!DOCTYPE html><html><body>Quota exceeded</body></html>", "application/octet-stream"
    ),
    "fits cut, no length": lambda real: unchunked(served(real)[: len(served(real)) - 2880]),
    "fits cut mid-block": lambda real: unchunked(served(real)[: len(served(real)) - 1000]),
}


@pytest.mark.parametrize("fault", list(BAD_BODIES))
def test_bad_fits_body_is_retried_then_kept(archive, tmp_path: Path, fault: str) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_obs(emu)
    path = obs_path(obs_id, "oif.fits")
    expected = requests.get(emu.url + path, timeout=10).content
    with overriding(emu, "/heasarc_ftp", tree.heasarc, path, BAD_BODIES[fault], times=2) as o:
        report = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert o.served == 2 and report.ok == [obs_id]
    assert (tmp_path / "chandra" / obs_id / "oif.fits").read_bytes() == expected
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("text/plain", "expected FITS data but the archive sent text ('Service temporarily"),
        ("html as octets", "expected FITS data but the archive sent an HTML page"),
        # without a length the transfer itself sees the FITS file end early (and retries)
        ("fits cut, no length", "before its data do"),
        ("fits cut mid-block", "2880-byte"),
    ],
)
def test_bad_fits_body_that_persists_is_reported(
    archive, tmp_path: Path, fault: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_obs(emu)
    path = obs_path(obs_id, "oif.fits")
    with overriding(emu, "/heasarc_ftp", tree.heasarc, path, BAD_BODIES[fault], times=None):
        report = download("chandra", [obs_id], dest=tmp_path, **FAST)
    why = report.failed[obs_id]
    assert emu.url + path in why and message in why
    assert not (tmp_path / "chandra" / obs_id / "oif.fits").exists()
    manifest = Manifest.load(tmp_path / "chandra" / obs_id / ".daxa-manifest.json")
    assert manifest is not None and not manifest.complete
    assert list(manifest.failed) == [emu.url + path]
    assert leftovers(tmp_path) == []


def test_gzip_cut_without_length_is_fetched_again(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    scw = str(emu.table("intscwpub")["scw_id"][0])
    name = "isgri_events.fits.gz"  # kept as served: the gzip check itself must catch the cut
    path = f"/heasarc_ftp/integral/data/scw/{scw[:4]}/{scw}.001/{name}"
    expected = requests.get(emu.url + path, timeout=10).content
    cut = lambda real: unchunked(served(real)[: len(served(real)) // 2])  # noqa: E731
    with overriding(emu, "/heasarc_ftp", tree.heasarc, path, cut, times=1) as o:
        report = download("integral_pointed", [scw], dest=tmp_path, **FAST)
    assert o.served == 1 and report.ok == [scw]
    assert (tmp_path / "integral_pointed" / scw / name).read_bytes() == expected
    with overriding(emu, "/heasarc_ftp", tree.heasarc, path, cut, times=None):
        again = download("integral_pointed", [scw], dest=tmp_path / "b", **FAST)
    assert "not a valid gzip file" in again.failed[scw] and emu.url + path in again.failed[scw]


def test_tarball_cut_without_length_is_fetched_again(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    path = "/erosita_edr/CalPvObs/eFEDS.tar.gz"
    cut = lambda real: unchunked(served(real)[: len(served(real)) * 2 // 3])  # noqa: E731
    with overriding(emu, "/erosita_edr/CalPvObs", tree.calpv, path, cut, times=1) as o:
        report = download("erosita_calpv", ["300007"], dest=tmp_path, **FAST)
    assert o.served == 1 and report.ok == ["300007"]
    assert emu.requests(path) == 2
    assert list((tmp_path / "erosita_calpv" / "300007").glob("*EventList*.fits"))
    assert leftovers(tmp_path) == []


# -- a failed run never deletes a finished file -----------------------------------------------


@pytest.mark.parametrize("fault", ["503", "corrupt", "text/plain"])
def test_failed_refetch_keeps_the_finished_file(archive, tmp_path: Path, fault: str) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_obs(emu)
    download("chandra", [obs_id], dest=tmp_path, **FAST).raise_for_failures()
    folder = tmp_path / "chandra" / obs_id
    oif = folder / "oif.fits"
    good = oif.read_bytes()
    (folder / ".daxa-manifest.json").unlink()  # e.g. a run killed before it wrote it
    path = obs_path(obs_id, "oif.fits")
    if fault == "503":
        emu.faults.fail(path, times=None, status=503)
    elif fault == "corrupt":
        tree.corrupt(path, times=None)
    with overriding(
        emu, "/heasarc_ftp", tree.heasarc, path, BAD_BODIES["text/plain"],
        times=None if fault == "text/plain" else 0,
    ):  # fmt: skip
        report = download("chandra", [obs_id], dest=tmp_path, retries=1, **FAST)
    assert list(report.failed) == [obs_id]
    assert oif.read_bytes() == good
    assert leftovers(tmp_path) == []


# -- concurrent runs --------------------------------------------------------------------------


def child(obs_id: str, dest: str, answer: str, mission: str = "chandra", **options) -> None:  # type: ignore[no-untyped-def]
    """One daxa run in its own process (forked: daxa is already imported, the emulator known).

    Nothing here may use polars: its thread pool does not survive a fork (CalPV runs get their
    field from ``fields=`` instead of the CalPV table).
    """
    report = download(mission, [obs_id], dest=dest, progress=False, backoff=0.01, **options)
    Path(answer).write_text(json.dumps({"ok": report.ok, "failed": report.failed}))


def finished(process) -> int | None:  # type: ignore[no-untyped-def]
    """Wait (bounded) for a child; kill it if it hangs, so a failure never hangs the suite."""
    process.join(timeout=60)
    if process.is_alive():
        process.kill()
        process.join(timeout=10)
        return None
    return int(process.exitcode)


def test_two_processes_download_one_obs_id_into_one_folder(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_obs(emu)
    emu.faults.delay(obs_path(obs_id), seconds=0.1)  # transfers long enough to overlap
    fork = multiprocessing.get_context("fork")
    answers_at = [tmp_path / f"answer{i}.json" for i in range(2)]
    dest = tmp_path / "data"
    children = [fork.Process(target=child, args=(obs_id, str(dest), str(at))) for at in answers_at]
    for process in children:
        process.start()
    for process in children:
        assert finished(process) == 0
    answers = [json.loads(at.read_text()) for at in answers_at]
    assert answers == [{"ok": [obs_id], "failed": {}}] * 2
    folder = dest / "chandra" / obs_id
    manifest = Manifest.load(folder / ".daxa-manifest.json")
    assert manifest is not None and manifest.complete and len(manifest.files) >= 5
    assert manifest.verify(dest / "chandra", deep=True) == []
    on_disk = sorted(
        p.relative_to(dest / "chandra").as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != ".daxa-manifest.json"
    )
    assert on_disk == sorted(r.path for r in manifest.files)
    # One process fetched each file once; the other waited for the lock and found it complete.
    for url in manifest.entries:
        assert emu.requests(url[len(emu.url) :]) == 1, url
    assert leftovers(tmp_path) == []


def test_a_locked_obs_id_is_not_touched(archive, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_obs(emu)
    root = tmp_path / "chandra"
    in_progress = root / obs_id / ".daxa-tmp.oif.fits.abc123.part"  # another run's transfer
    in_progress.parent.mkdir(parents=True)
    in_progress.write_bytes(b"SIMPLE  = half")
    staging = root / obs_id / ".daxa-tmp.stage.q1w2e3" / obs_id  # another run's tar staging
    staging.mkdir(parents=True)
    (staging / "member.fits").write_bytes(b"SIMPLE")
    monkeypatch.setattr(locking, "LOCK_WAIT_S", 0.2)
    with ObsLocks(root) as other:
        assert other.try_acquire([obs_id]) == [obs_id]
        report = download("chandra", [obs_id], dest=tmp_path, **FAST)
        assert "another daxa process is still downloading" in report.failed[obs_id]
        assert in_progress.read_bytes() == b"SIMPLE  = half"
        assert (staging / "member.fits").is_file()
        assert emu.requests(obs_path(obs_id)) == 0
    report = download("chandra", [obs_id], dest=tmp_path, **FAST)  # free now: stale temp swept
    assert report.ok == [obs_id] and not in_progress.exists() and not staging.parent.exists()
    assert leftovers(tmp_path) == []


# -- later corruption, found and repaired -----------------------------------------------------


def test_corruption_on_disk_is_found_and_only_those_files_fetched(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_obs(emu)
    download("chandra", [obs_id], dest=tmp_path, **FAST).raise_for_failures()
    root = tmp_path / "chandra"
    manifest = Manifest.load(root / obs_id / ".daxa-manifest.json")
    assert manifest is not None
    assert verify_downloads("chandra", dest=tmp_path) == {obs_id: []}
    digests = {r.path: r.sha256 for r in manifest.files}
    assert all(sha256_file(root / p) == d for p, d in digests.items())
    flipped, cut, gone = sorted(digests)[:3]
    data = bytearray((root / flipped).read_bytes())
    data[len(data) // 2] ^= 0x01
    (root / flipped).write_bytes(bytes(data))
    with open(root / cut, "r+b") as handle:
        handle.truncate(100)
    (root / gone).unlink()
    problems = verify_downloads("chandra", [obs_id], dest=tmp_path)[obs_id]
    assert problems == sorted(
        [
            f"{flipped} does not match its SHA-256 (corrupted)",
            f"{cut} has 100 bytes, expected {manifest.files[[r.path for r in manifest.files].index(cut)].size}",
            f"{gone} is missing",
        ],
        key=lambda text: [r.path for r in manifest.files].index(text.split(" ")[0]),
    )
    before = emu.requests()
    repaired = download("chandra", [obs_id], dest=tmp_path, verify="sha256", **FAST)
    assert repaired.ok == [obs_id] and repaired.results[obs_id].fetched_files == 3
    assert all(sha256_file(root / p) == d for p, d in digests.items())
    assert verify_downloads("chandra", dest=tmp_path) == {obs_id: []}
    listings = 2  # the ObsID folder and secondary/ are listed again
    assert emu.requests() - before == 3 + listings


def test_a_listing_that_left_a_file_out_is_repaired_by_verify(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_obs(emu)
    folder_path = obs_path(obs_id)

    def without_oif(real: Response) -> Response:
        page = served(real).decode()
        kept = "\n".join(line for line in page.splitlines() if 'href="oif.fits"' not in line)
        return Response(200, kept.encode(), real.content_type)

    with overriding(emu, "/heasarc_ftp", tree.heasarc, folder_path, without_oif) as o:
        first = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert o.served == 1 and first.ok == [obs_id]
    folder = tmp_path / "chandra" / obs_id
    manifest = Manifest.load(folder / ".daxa-manifest.json")
    assert manifest is not None and manifest.listed_at is not None
    oif_url = emu.url + folder_path + "oif.fits"
    assert oif_url not in manifest.expected and not (folder / "oif.fits").exists()
    repaired = download("chandra", [obs_id], dest=tmp_path, verify="sha256", **FAST)
    assert repaired.ok == [obs_id] and repaired.results[obs_id].fetched_files == 1
    manifest = Manifest.load(folder / ".daxa-manifest.json")
    assert manifest is not None and oif_url in manifest.expected and manifest.complete
    assert (folder / "oif.fits").read_bytes() == requests.get(oif_url, timeout=10).content


def test_an_expected_file_without_entry_is_never_complete(tmp_path: Path) -> None:
    manifest = Manifest("chandra", "0123", request={"kind": "raw", "instruments": ["ACIS"]})
    manifest.expect(["https://h/a.fits", "https://h/b.fits"])
    manifest.record("https://h/a.fits", [])
    manifest.finish(complete=True)
    assert not manifest.complete and manifest.missing == ["https://h/b.fits"]
    manifest.complete = True  # a tampered or hand-edited manifest
    assert not manifest.covers("raw", ("ACIS",), None)
    again = Manifest.from_json(json.loads(json.dumps(manifest.to_json())))
    assert again.expected == manifest.expected and again.missing == ["https://h/b.fits"]
    assert not again.complete  # the stored flag said complete: the expected set wins


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["files"][0].update(sha256="not-a-digest"),
        lambda d: d["files"][0].update(size=-5),
        lambda d: d.update(files="oops"),
        lambda d: d.update(expected=None),
    ],
)
def test_a_tampered_manifest_is_redone(archive, tmp_path: Path, tamper) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_obs(emu)
    download("chandra", [obs_id], dest=tmp_path, **FAST).raise_for_failures()
    path = tmp_path / "chandra" / obs_id / ".daxa-manifest.json"
    data = json.loads(path.read_text())
    tamper(data)
    path.write_text(json.dumps(data))
    assert Manifest.load(path) is None
    report = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert report.ok == [obs_id] and Manifest.load(path) is not None


def test_unpacked_gzip_matches_the_served_stream(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_obs(emu)
    download("chandra", [obs_id], dest=tmp_path, **FAST).raise_for_failures()
    manifest = Manifest.load(tmp_path / "chandra" / obs_id / ".daxa-manifest.json")
    assert manifest is not None
    gz = [url for url in manifest.entries if url.endswith(".gz")]
    assert gz
    for url in gz:
        (record,) = manifest.entries[url].outputs
        body = requests.get(url, timeout=10).content
        assert (tmp_path / "chandra" / record.path).read_bytes() == gzip.decompress(body)


def test_cli_verify_repairs_a_flipped_byte(archive, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from daxa.cli import main

    emu, _tree = archive
    obs_id = chandra_obs(emu)
    args = ["download", "chandra", obs_id, "--dest", str(tmp_path), "--cache-dir", str(tmp_path)]
    assert main(args) == 0
    oif = tmp_path / "chandra" / obs_id / "oif.fits"
    good = oif.read_bytes()
    damaged = bytearray(good)
    damaged[3000] ^= 0x01
    oif.write_bytes(bytes(damaged))
    assert main(args) == 0 and oif.read_bytes() == bytes(damaged)  # sizes agree: trusted
    assert main([*args, "--verify"]) == 0
    assert oif.read_bytes() == good
    assert "1 ObsID(s) complete, 0 failed" in capsys.readouterr().out


def test_a_shared_file_sweeps_only_its_own_leftovers(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    scw = str(emu.table("intscwpub")["scw_id"][0])
    shared = tmp_path / "integral_pointed" / "aux" / "adp" / f"{scw[:4]}.001"
    shared.mkdir(parents=True)
    killed = shared / ".daxa-tmp.orbit_historic.fits.gz.k1ll3d00.part"  # a killed run's
    killed.write_bytes(b"\x1f\x8b half")
    unrelated = shared / ".daxa-tmp.orbit_historic.fits.gz.old.x1y2z3w4.part"  # not this file's
    unrelated.write_bytes(b"someone else's")
    report = download("integral_pointed", [scw], dest=tmp_path, **FAST)
    assert report.ok == [scw]
    assert not killed.exists() and unrelated.read_bytes() == b"someone else's"
    assert (shared / "orbit_historic.fits.gz").is_file()
    assert (tmp_path / ".daxa-locks" / "integral_pointed" / "shared").is_dir()
    assert sorted(p.name for p in (tmp_path / "integral_pointed").iterdir()) == [scw, "aux"]


def test_a_bad_tarball_never_replaces_extracted_files(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    download("erosita_calpv", ["300007"], dest=tmp_path, **FAST).raise_for_failures()
    folder = tmp_path / "erosita_calpv" / "300007"
    before = {p: p.read_bytes() for p in folder.glob("*.fits")}
    assert before
    (folder / ".daxa-manifest.json").unlink()
    tree.corrupt("/erosita_edr/CalPvObs/eFEDS.tar.gz", times=None)
    report = download("erosita_calpv", ["300007"], dest=tmp_path, retries=1, **FAST)
    assert "not a valid gzip file" in report.failed["300007"]
    assert {p: p.read_bytes() for p in folder.glob("*.fits")} == before
    assert leftovers(tmp_path) == [] and not list(folder.glob(".daxa-tmp*"))


def test_a_killed_run_leaves_nothing_that_blocks_or_survives_the_next(
    archive, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    obs_id = chandra_obs(emu)
    folder = tmp_path / "data" / "chandra" / obs_id
    emu.faults.delay(obs_path(obs_id, "oif.fits"), seconds=10, times=1)  # hold it mid-transfer
    fork = multiprocessing.get_context("fork")
    run = fork.Process(target=child, args=(obs_id, str(tmp_path / "data"), str(tmp_path / "a")))
    run.start()
    for _ in range(600):  # until its temporary file for oif.fits exists (bounded: 60 s)
        if list(folder.glob(".daxa-tmp.oif.fits.*")) or not run.is_alive():
            break
        run.join(timeout=0.1)
    assert run.is_alive(), "the run ended before it could be killed"
    os.kill(run.pid, signal.SIGKILL)  # type: ignore[arg-type]
    run.join(timeout=30)
    assert list(folder.glob(".daxa-tmp.oif.fits.*"))  # what a killed run leaves behind
    report = download("chandra", [obs_id], dest=tmp_path / "data", **FAST)  # the lock is free
    assert report.ok == [obs_id]
    assert leftovers(tmp_path) == [] and not list(folder.rglob(".daxa-tmp*"))


def test_a_cut_listing_on_a_rerun_never_completes_without_the_failed_file(
    archive, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    emu, tree = archive
    obs_id = chandra_obs(emu)
    path = obs_path(obs_id, "oif.fits")
    emu.faults.fail(path, times=None, status=503)
    first = download("chandra", [obs_id], dest=tmp_path, retries=1, **FAST)
    assert "HTTP 503" in first.failed[obs_id]
    emu.faults.reset()

    def without_oif(real: Response) -> Response:
        page = served(real).decode()
        kept = "\n".join(line for line in page.splitlines() if 'href="oif.fits"' not in line)
        return Response(200, kept.encode(), real.content_type)

    with overriding(emu, "/heasarc_ftp", tree.heasarc, obs_path(obs_id), without_oif):
        second = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert second.failed[obs_id].startswith("an earlier listing of this ObsID showed it")
    assert second.results[obs_id].failures == {emu.url + path: second.failed[obs_id]}
    third = download("chandra", [obs_id], dest=tmp_path, **FAST)
    assert third.ok == [obs_id] and third.results[obs_id].fetched_files == 1
    assert (tmp_path / "chandra" / obs_id / "oif.fits").is_file()


def test_two_processes_sharing_one_tarball(archive, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emu, _tree = archive
    path = "/erosita_edr/CalPvObs/eFEDS.tar.gz"
    emu.faults.delay(path, seconds=0.2)
    fork = multiprocessing.get_context("fork")
    runs = {
        obs_id: fork.Process(
            target=child,
            args=(obs_id, str(tmp_path / "d"), str(tmp_path / obs_id), "erosita_calpv"),
            kwargs={"fields": {obs_id: "eFEDS"}},
        )
        for obs_id in ("300007", "300008")
    }
    for run in runs.values():
        run.start()
    for run in runs.values():
        assert finished(run) == 0
    for obs_id in runs:
        assert json.loads((tmp_path / obs_id).read_text()) == {"ok": [obs_id], "failed": {}}
        manifest = Manifest.load(tmp_path / "d" / "erosita_calpv" / obs_id / ".daxa-manifest.json")
        assert manifest is not None and manifest.complete
        assert manifest.verify(tmp_path / "d" / "erosita_calpv", deep=True) == []
    assert emu.requests(path) == 2  # one each, one after the other (the tarball is not kept)
    assert leftovers(tmp_path) == [] and not list((tmp_path / "d").rglob(".daxa-tmp*"))
