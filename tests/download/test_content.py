"""Content checks on real bytes: FITS written by astropy, gzip and tar by the standard library."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from daxa.download.content import (
    FITS_BLOCK,
    check_content,
    check_fits,
    check_gzip,
    check_tar,
    content_kind,
)
from daxa.download.transport import CorruptFileError
from daxa.errors import DownloadError

URL = "https://archive.example/obs/evt2.fits"


def fits_bytes(*, checksum: bool, tables: int = 1, nextend: bool = False) -> bytes:
    """An event-list-like FITS file: an empty primary header and ``tables`` binary tables."""
    rng = np.random.default_rng(7)
    primary = fits.PrimaryHDU()
    if nextend:
        primary.header["NEXTEND"] = tables
    hdus = [primary]
    for i in range(tables):
        n = 300 + 50 * i
        hdus.append(
            fits.BinTableHDU.from_columns(
                [
                    fits.Column("TIME", "D", array=np.sort(rng.uniform(0, 1e4, n))),
                    fits.Column("PI", "J", array=rng.integers(0, 1024, n, dtype=np.int32)),
                ],
                name=f"EVENTS{i}",
            )
        )
    out = io.BytesIO()
    fits.HDUList(hdus).writeto(out, checksum=checksum)
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_whole_fits_passes_and_counts_the_hdus_astropy_sees(tmp_path: Path) -> None:
    for checksum in (False, True):
        path = write(tmp_path, "evt.fits", fits_bytes(checksum=checksum, tables=2))
        with fits.open(path) as hdus:
            assert check_fits(path) == len(hdus) == 3


def test_every_cut_of_a_fits_file_without_checksums_is_caught(tmp_path: Path) -> None:
    data = fits_bytes(checksum=False)
    with fits.open(io.BytesIO(data)) as hdus:
        assert "CHECKSUM" not in hdus[1].header and "DATASUM" not in hdus[1].header
    cuts = sorted({*range(FITS_BLOCK, len(data), FITS_BLOCK), *range(1, len(data), 97)})
    path = tmp_path / "evt.fits"
    for cut in cuts:
        path.write_bytes(data[:cut])
        with pytest.raises(CorruptFileError) as caught:
            check_fits(path, source=URL)
        assert str(caught.value).startswith(URL + ": ")
    assert len(cuts) > 60
    path.write_bytes(data[: 2 * FITS_BLOCK])  # primary + the table's header: data missing
    with pytest.raises(CorruptFileError, match=r"HDU 1 announces \d+ bytes of data.*cut short"):
        check_fits(path)
    path.write_bytes(data[:FITS_BLOCK])  # cut exactly after the (empty) primary HDU
    with pytest.raises(CorruptFileError, match="only an empty primary header"):
        check_fits(path)
    path.write_bytes(data[:-1])
    with pytest.raises(CorruptFileError, match="not a whole number of 2880-byte FITS blocks"):
        check_fits(path)


def test_header_without_end_is_caught(tmp_path: Path) -> None:
    primary = fits.PrimaryHDU(np.arange(12, dtype=np.int16).reshape(3, 4))
    for i in range(60):  # a header of two blocks: cut after the first, END is gone
        primary.header[f"KEY{i}"] = i
    data = io.BytesIO()
    primary.writeto(data)
    path = write(tmp_path, "img.fits", data.getvalue()[:FITS_BLOCK])
    with pytest.raises(CorruptFileError, match="HDU 0 has no END card"):
        check_fits(path)


def test_cut_between_extensions_caught_by_nextend(tmp_path: Path) -> None:
    data = fits_bytes(checksum=False, tables=2, nextend=True)
    with fits.open(io.BytesIO(data)) as hdus:
        end_of_first_table = sum(h.filebytes() for h in hdus[:2])
    path = write(tmp_path, "evt.fits", data[:end_of_first_table])
    with pytest.raises(CorruptFileError, match="NEXTEND says 2 extension.*holds 1"):
        check_fits(path)


def test_checksum_is_verified_when_present(tmp_path: Path) -> None:
    data = bytearray(fits_bytes(checksum=True))
    data[-FITS_BLOCK - 100] ^= 0x01  # inside the table's data: structure intact, DATASUM wrong
    path = write(tmp_path, "evt.fits", bytes(data))
    with pytest.raises(CorruptFileError, match="fails its FITS checksum"):
        check_fits(path, source=URL)


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"<!DOCTYPE HTML PUBLIC><html><title>503 Service Unavailable</title>", "an HTML page"),
        (b"\n  <html><body>Proxy error</body></html>", "an HTML page"),
        (b"Service temporarily unavailable, try again later.\n", "text"),
        (b"", "an empty body"),
    ],
)
@pytest.mark.parametrize("name", ["evt2.fits", "evt2.fits.gz", "f.tar", "f.tar.gz", "x.Z"])
def test_a_page_where_data_was_expected(tmp_path: Path, body: bytes, what: str, name: str) -> None:
    path = write(tmp_path, name, body)
    with pytest.raises(CorruptFileError) as caught:
        check_content(path, source="https://archive.example/" + name)
    text = str(caught.value)
    assert text.startswith(f"https://archive.example/{name}: expected ")
    assert f"the archive sent {what}" in text


def test_binary_junk_is_not_called_a_page(tmp_path: Path) -> None:
    path = write(tmp_path, "evt2.fits", bytes(range(256)))
    with pytest.raises(CorruptFileError, match=r"not FITS data \(it starts with 00 01 02"):
        check_fits(path)


def test_gzip_integrity(tmp_path: Path) -> None:
    inner = fits_bytes(checksum=False)
    packed = gzip.compress(inner)
    assert check_gzip(write(tmp_path, "a.fits.gz", packed)) == len(inner)
    padded = packed + bytes(500)  # archives pad gzip files with zeros: gzip readers accept
    assert check_gzip(write(tmp_path, "b.fits.gz", padded)) == len(inner)
    for cut in (len(packed) - 4, len(packed) // 2, 20):
        with pytest.raises(CorruptFileError, match="not a valid gzip file"):
            check_gzip(write(tmp_path, "c.fits.gz", packed[:cut]))
    damaged = bytearray(packed)
    damaged[-6] ^= 0xFF  # the CRC-32 in the trailer
    with pytest.raises(CorruptFileError, match="CRC"):
        check_gzip(write(tmp_path, "d.fits.gz", bytes(damaged)))
    bomb = write(tmp_path, "e.fits.gz", gzip.compress(bytes(10_000_000)))
    with pytest.raises(DownloadError, match="decompression bomb") as caught:
        check_gzip(bomb, limit=1_000_000)
    assert not isinstance(caught.value, CorruptFileError)  # refused, not fetched again


def tar_bytes(members: dict[str, bytes], *, compress: bool = False) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz" if compress else "w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_tar_integrity(tmp_path: Path) -> None:
    members = {"obs/a.fits": fits_bytes(checksum=False), "obs/b.txt": b"x" * 700}
    data = tar_bytes(members)
    assert check_tar(write(tmp_path, "f.tar", data)) == 2
    assert check_tar(write(tmp_path, "g.tar.gz", tar_bytes(members, compress=True))) == 2
    first_end = 512 + -(-len(members["obs/a.fits"]) // 512) * 512
    cuts = {
        first_end: "without its end-of-archive block",  # exactly between the two members
        first_end + 100: "end-of-archive block|not a readable tar",  # inside the next header
        first_end + 512 + 300: "not a readable tar|has 300 of 700 bytes",  # inside member data
        700: "not a readable tar",  # inside the first member
    }
    for cut, message in cuts.items():
        with pytest.raises(CorruptFileError, match=message):
            check_tar(write(tmp_path, "h.tar", data[:cut]))
    packed = tar_bytes(members, compress=True)
    with pytest.raises(CorruptFileError, match="not a valid gzip file"):
        check_tar(write(tmp_path, "i.tar.gz", packed[: len(packed) - 10]))


def test_content_kind_follows_the_name() -> None:
    assert content_kind("acisf01234N004_evt2.fits") == "fits"
    assert content_kind("P0123456789PNS003PIEVLI0000.FTZ") == "gzip"
    assert content_kind("eFEDS.tar.gz") == "tar"
    assert content_kind("0123_ODF.TAR") == "tar"
    assert content_kind("README") is None
