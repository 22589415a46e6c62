"""Layout safety checks and the per-ObsID manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from daxa.download.layout import check_component, inside, manifest_path, obs_dir, safe_relpath
from daxa.download.manifest import MANIFEST_NAME, Manifest, file_record, sha256_file
from daxa.download.plan import RemoteFile, TarExtract
from daxa.errors import DownloadError


def test_layout_paths(tmp_path: Path) -> None:
    assert obs_dir(tmp_path, "swift", "00012345001") == tmp_path / "swift" / "00012345001"
    assert (
        manifest_path(tmp_path, "asca", "10000000").name == MANIFEST_NAME == ".daxa-manifest.json"
    )
    assert inside(tmp_path, "a/b.fits") == tmp_path / "a" / "b.fits"


@pytest.mark.parametrize(
    "bad", ["../x", "/etc/passwd", "a/../../x", "a\\..\\x", "", "C:/x", "a\x00b"]
)
def test_unsafe_relative_paths_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(DownloadError, match="refused"):
        safe_relpath(bad)
    with pytest.raises(DownloadError):
        inside(tmp_path, bad)


@pytest.mark.parametrize("bad", ["..", ".", "a/b", "", "../1234"])
def test_obs_id_must_be_one_component(bad: str) -> None:
    with pytest.raises(DownloadError):
        check_component(bad, what="ObsID")


def test_remote_file_checks_its_destinations() -> None:
    with pytest.raises(DownloadError):
        RemoteFile("https://h/x", "../x", "1", "heasarc_ftp")
    with pytest.raises(DownloadError):
        RemoteFile("https://h/x", "1/x.tar", "1", "xsa_aio", extract=TarExtract("/abs"))
    lzw = RemoteFile(
        "https://h/rp1_bas.fits.Z", "RP1/rp1_bas.fits.Z", "RP1", "heasarc_ftp", unpack="lzw"
    )
    assert lzw.output_relpath == "RP1/rp1_bas.fits"


def test_manifest_round_trip_and_verification(tmp_path: Path) -> None:
    (tmp_path / "0123" / "sub").mkdir(parents=True)
    a = tmp_path / "0123" / "a.fits"
    b = tmp_path / "0123" / "sub" / "b.fits"
    a.write_bytes(b"A" * 100)
    b.write_bytes(b"B" * 50)
    manifest = Manifest(
        "chandra", "0123", request={"kind": "raw", "instruments": ["ACIS"], "version": None}
    )
    manifest.record("https://h/a.fits.gz", [file_record(tmp_path, "0123/a.fits")], remote_size=70)
    manifest.record("https://h/b.fits", [file_record(tmp_path, "0123/sub/b.fits")], remote_size=50)
    manifest.finish(complete=True)
    path = manifest.save(tmp_path / "0123" / MANIFEST_NAME)
    data = json.loads(path.read_text())
    assert data["complete"] is True and data["completed_at"]
    assert [f["path"] for f in data["files"]] == ["0123/a.fits", "0123/sub/b.fits"]
    assert data["files"][0]["sha256"] == hashlib.sha256(b"A" * 100).hexdigest()
    assert data["files"][0]["size"] == 100 and data["files"][0]["remote_size"] == 70
    assert not list((tmp_path / "0123").glob(".manifest-*"))  # no temporary file left

    loaded = Manifest.load(path)
    assert loaded is not None and loaded.complete
    assert loaded.total_bytes == 150 and loaded.verify(tmp_path, deep=True) == []
    assert loaded.covers("raw", ("ACIS",), None)
    assert not loaded.covers("products", ("ACIS",), None)
    assert not loaded.covers("raw", ("ACIS", "HRC"), None)

    b.write_bytes(b"C" * 50)  # same size, different content: only a deep check sees it
    assert loaded.verify(tmp_path) == []
    assert loaded.verify(tmp_path, deep=True) == [
        "0123/sub/b.fits does not match its SHA-256 (corrupted)"
    ]
    assert loaded.good_entry("https://h/b.fits", tmp_path, deep=True) is None
    assert loaded.good_entry("https://h/a.fits.gz", tmp_path, deep=True) is not None
    b.write_bytes(b"C" * 49)
    assert loaded.verify(tmp_path) == ["0123/sub/b.fits has 49 bytes, expected 50"]
    a.unlink()
    assert "0123/a.fits is missing" in loaded.verify(tmp_path)


def test_failures_keep_a_manifest_incomplete(tmp_path: Path) -> None:
    manifest = Manifest("asca", "10000000")
    manifest.fail("https://h/x.gz", "HTTP 404")
    manifest.finish(complete=True)
    assert manifest.complete is False and manifest.completed_at is None
    manifest.save(tmp_path / MANIFEST_NAME)
    again = Manifest.load(tmp_path / MANIFEST_NAME)
    assert again is not None and again.failed == {"https://h/x.gz": "HTTP 404"}


def test_unreadable_manifest_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / MANIFEST_NAME
    path.write_text("{ not json")
    assert Manifest.load(path) is None
    assert Manifest.load(tmp_path / "absent.json") is None


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    data = bytes(range(256)) * 20_000  # more than one read chunk
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
