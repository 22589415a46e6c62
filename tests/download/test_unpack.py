"""Unpacking: LZW (.Z) against gzip's own decoder, gzip CRCs, and tar safety."""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daxa.download.unpack import (
    check_member_name,
    extract_tar,
    gunzip_file,
    lzw_decompress,
    lzw_decompress_file,
)
from daxa.errors import DownloadError
from daxa.testing.files.lzw import lzw_compress

GZIP = shutil.which("gzip")


def gzip_d(data: bytes) -> bytes:
    """Decode with the system's gzip, which implements the original uncompress."""
    answer = subprocess.run([GZIP or "gzip", "-dc"], input=data, capture_output=True, check=True)
    return answer.stdout


@pytest.mark.skipif(GZIP is None, reason="gzip is not installed")
@pytest.mark.parametrize("max_bits", [10, 12, 16])
@pytest.mark.parametrize("clear", [False, True])
@pytest.mark.parametrize("kind", ["random", "repetitive", "fits-like"])
def test_lzw_matches_gzip(max_bits: int, clear: bool, kind: str) -> None:
    rng = np.random.default_rng(max_bits)
    if kind == "random":
        data = rng.integers(0, 256, 150_000, dtype=np.uint8).tobytes()
    elif kind == "repetitive":
        data = b"TOBEORNOTTOBEORTOBEORNOT#" * 4000
    else:  # mostly zeros with sparse values, as FITS images are
        arr = np.zeros(200_000, dtype=np.uint8)
        arr[rng.integers(0, arr.size, 20_000)] = rng.integers(1, 9, 20_000)
        data = arr.tobytes()
    packed = lzw_compress(data, max_bits, clear_when_full=clear)
    assert gzip_d(packed) == data  # the encoder writes what uncompress reads
    assert lzw_decompress(packed) == data  # and daxa reads what uncompress reads


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.integers(10, 16), st.booleans())
def test_lzw_round_trip(data: bytes, max_bits: int, clear: bool) -> None:
    assert lzw_decompress(lzw_compress(data, max_bits, clear_when_full=clear)) == data


def test_lzw_rejects_damage(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="magic"):
        lzw_decompress(b"\x1f\x8b\x08rest")
    with pytest.raises(DownloadError, match="code width"):
        lzw_decompress(b"\x1f\x9d\x88")
    # A code far beyond the table: impossible in a valid stream.
    bad = b"\x1f\x9d\x90" + (65).to_bytes(2, "little") + b"\xff\xff\xff\xff"
    with pytest.raises(DownloadError, match="corrupt"):
        lzw_decompress(bad)
    path = tmp_path / "x_bas.fits.Z"
    path.write_bytes(lzw_compress(b"SIMPLE  =" * 100))
    out = lzw_decompress_file(path)
    assert out.name == "x_bas.fits" and out.read_bytes() == b"SIMPLE  =" * 100
    assert not path.exists()


def test_gunzip_checks_crc(tmp_path: Path) -> None:
    good = tmp_path / "a.evt.gz"
    good.write_bytes(gzip.compress(b"events" * 1000))
    assert gunzip_file(good).read_bytes() == b"events" * 1000
    damaged = bytearray(gzip.compress(b"events" * 1000))
    damaged[-6] ^= 0xFF  # inside the CRC-32 trailer
    bad = tmp_path / "b.evt.gz"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(DownloadError, match="not a valid gzip"):
        gunzip_file(bad)
    assert not (tmp_path / "b.evt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.evt", "b.evt.gz"]


def make_tar(path: Path, members: dict[str, bytes], special: tarfile.TarInfo | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if special is not None:
            archive.addfile(special, io.BytesIO(b"x" * special.size) if special.size else None)
    return path


def test_extract_flattens_and_filters(tmp_path: Path) -> None:
    archive = make_tar(
        tmp_path / "f.tar.gz",
        {"F/F/fm00_300007_020_EventList_c001.fits": b"a", "F/F/eRO_summary.fits": b"b"},
    )
    dest = tmp_path / "out"
    written = extract_tar(
        archive,
        dest,
        lambda p: PurePosixPath("300007") / p.name if "300007" in p.name else None,
    )
    assert [p.relative_to(dest).as_posix() for p in written] == [
        "300007/fm00_300007_020_EventList_c001.fits"
    ]


def test_extract_nested_tar(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w") as archive:
        for name in ("0123_0201903501_PNS00300IME.FIT", "0123_0201903501_M1S00100IME.FIT"):
            info = tarfile.TarInfo(name)
            info.size = 3
            archive.addfile(info, io.BytesIO(b"fit"))
    outer = make_tar(tmp_path / "aio.tar", {"0123_0201903501.TAR": inner.getvalue()})
    written = extract_tar(
        outer,
        tmp_path / "odf",
        lambda p: p if "_PN" in p.name else None,
        nested_tar=lambda p: p.name.upper().endswith(".TAR"),
    )
    assert [p.name for p in written] == ["0123_0201903501_PNS00300IME.FIT"]
    assert not list((tmp_path / "odf").glob(".nested-*"))


@pytest.mark.parametrize(
    "member, message",
    [
        ("../../etc/passwd", "'..'"),
        ("/etc/passwd", "absolute"),
        ("a/../../b", "'..'"),
        ("C:/windows/x", "absolute"),
    ],
)
def test_hostile_names_refused(tmp_path: Path, member: str, message: str) -> None:
    archive = make_tar(tmp_path / "h.tar.gz", {"good.fits": b"ok", member: b"evil"})
    with pytest.raises(DownloadError, match=message):
        extract_tar(archive, tmp_path / "out")
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))  # nothing written at all
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize(
    "kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE]
)
def test_links_and_devices_refused(tmp_path: Path, kind: bytes) -> None:
    special = tarfile.TarInfo("innocent.fits")
    special.type = kind
    special.linkname = "/etc/passwd"
    archive = make_tar(tmp_path / "l.tar.gz", {"good.fits": b"ok"}, special)
    with pytest.raises(DownloadError, match="refused tar member 'innocent.fits'"):
        extract_tar(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "good.fits").exists()


def test_check_member_name_accepts_plain_paths() -> None:
    assert check_member_name("./a/b.fits") == PurePosixPath("a/b.fits")
    with pytest.raises(DownloadError):
        check_member_name("a\x00b")


def test_unreadable_tar_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.tar.gz"
    path.write_bytes(gzip.compress(b"not a tar at all" * 100)[:50])
    with pytest.raises(DownloadError, match="not a readable tar"):
        extract_tar(path, tmp_path / "out")
