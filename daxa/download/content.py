"""Is this file what its name says? FITS structure, gzip and tar integrity, no error page.

A transfer can arrive with the right size and still be wrong: a proxy's HTML error page or a
``text/plain`` message saved under a ``.fits`` name, a FITS file cut at an HDU boundary by a
server that sent no ``Content-Length``, a gzip stream without its trailer, a tar archive that
stops between two members. These checks read the bytes on disk and raise
:class:`~daxa.download.transport.CorruptFileError` (a :class:`~daxa.errors.DownloadError`)
naming the file, where it came from and what is wrong; the engine then fetches it again, and
reports it once the retries are spent. Each check is a function of a path alone.

>>> import pathlib, tempfile
>>> page = pathlib.Path(tempfile.mkdtemp()) / "evt2.fits"
>>> _ = page.write_bytes(b"<!DOCTYPE html><html><body>Service unavailable</body></html>")
>>> check_content(page, source="https://archive/evt2.fits")
Traceback (most recent call last):
...
daxa.download.transport.CorruptFileError: https://archive/evt2.fits: expected FITS data but \
the archive sent an HTML page ('<!DOCTYPE html><html><body>Service unavailable</body></html>')
"""

from __future__ import annotations

import gzip
import math
import tarfile
import zlib
from pathlib import Path
from typing import BinaryIO

from daxa.download.transport import CorruptFileError
from daxa.errors import DownloadError
from daxa.services.inflate import max_inflated, too_big

__all__ = [
    "FITS_BLOCK",
    "check_content",
    "check_fits",
    "check_gzip",
    "check_tar",
    "content_kind",
    "text_body",
]

#: Every FITS file is a whole number of 2880-byte blocks (FITS standard 4.0, section 3.1).
FITS_BLOCK = 2880
_CARD = 80
#: Most bytes a gzip integrity check inflates before it calls the file a decompression bomb.
_CHUNK = 1 << 20
_FITS_SUFFIXES = (".fits", ".fit", ".fts", ".evt", ".img", ".lc", ".pha", ".hk", ".rmf", ".arf")
_GZIP_SUFFIXES = (".gz", ".ftz", ".tgz")
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz")


def content_kind(name: str) -> str | None:
    """What a file called ``name`` must hold: ``fits``, ``gzip``, ``tar``, ``lzw`` or ``None``.

    >>> [content_kind(n) for n in ("a.FIT", "a.fits.gz", "P0123M1.FTZ", "f.tar.gz", "x.Z", "r.pdf")]
    ['fits', 'gzip', 'gzip', 'tar', 'lzw', None]
    """
    lower = name.lower()
    if lower.endswith(_TAR_SUFFIXES):
        return "tar"
    if lower.endswith(_GZIP_SUFFIXES):
        return "gzip"
    if name.endswith(".Z"):
        return "lzw"
    if lower.endswith(_FITS_SUFFIXES):
        return "fits"
    return None


def _where(path: Path, source: str | None) -> str:
    return source or path.name


def _quote(head: bytes) -> str:
    text = head[:80].decode("utf-8", errors="replace").replace("\n", " ").replace("\r", " ")
    return repr(" ".join(text.split()))


def text_body(head: bytes) -> str | None:
    """What ``head`` (a file's first bytes) is when it is a page of text, not data; else None.

    >>> text_body(b"  <html><head>"), text_body(b"Not Found\\n"), text_body(b"\\x1f\\x8b\\x08")
    ('an HTML page', 'text', None)
    """
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not stripped:
        return "an empty body" if not head.strip(b"\x00") else None
    if stripped.startswith((b"<!doctype", b"<html", b"<head", b"<body")) or b"<html" in stripped:
        return "an HTML page"
    if stripped.startswith(b"<?xml"):
        return "an XML document"
    sample = head[:512]
    if b"\x00" in sample:
        return None
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the end of the sample
            return None
    if all(b >= 32 or b in (9, 10, 13) for b in sample):
        return "text"
    return None


def _not_data(path: Path, head: bytes, expected: str, source: str | None) -> CorruptFileError:
    """The error for a file whose first bytes are not ``expected`` data."""
    what = text_body(head)
    if what is not None:
        return CorruptFileError(
            f"{_where(path, source)}: expected {expected} data but the archive sent {what} "
            f"({_quote(head)})"
        )
    return CorruptFileError(
        f"{_where(path, source)}: not {expected} data (it starts with {head[:16].hex(' ')})"
    )


def _head(path: Path, n: int = 512) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(n)


# -- FITS ------------------------------------------------------------------------------------


def _header(
    handle: BinaryIO, offset: int, size: int, index: int, where: str
) -> tuple[dict[str, str], int] | None:
    """The keyword values of the header at ``offset`` and its length in bytes.

    ``None`` when the rest of the file is zero padding after the last HDU (tolerated, as
    astropy does). A header without ``END`` before the end of the file is cut short.
    """
    handle.seek(offset)
    cards: dict[str, str] = {}
    length = 0
    while offset + length < size:
        block = handle.read(FITS_BLOCK)
        if length == 0 and index > 0:
            if not block.strip(b"\x00") and _zeros_to_end(handle):
                return None
            if not block.startswith(b"XTENSION="):
                raise CorruptFileError(
                    f"{where}: the bytes after HDU {index - 1} are not a FITS extension "
                    f"({_quote(block)}); the file is damaged"
                )
        length += FITS_BLOCK
        for start in range(0, FITS_BLOCK, _CARD):
            card = block[start : start + _CARD]
            keyword = card[:8].decode("ascii", errors="replace").strip()
            if keyword == "END":
                return cards, length
            if card[8:10] == b"= " and keyword not in cards:
                cards[keyword] = card[10:].decode("ascii", errors="replace").split("/")[0].strip()
    raise CorruptFileError(
        f"{where}: the header of HDU {index} has no END card before the end of the file "
        f"({size} bytes): cut short"
    )


def _zeros_to_end(handle: BinaryIO) -> bool:
    """True when nothing but zero bytes follows (read in chunks: the rest may be large)."""
    while chunk := handle.read(_CHUNK):
        if chunk.strip(b"\x00"):
            return False
    return True


def _integer(
    cards: dict[str, str], keyword: str, where: str, index: int, default: int | None
) -> int:
    value = cards.get(keyword)
    if value is None:
        if default is None:
            raise CorruptFileError(f"{where}: HDU {index} has no {keyword} keyword; not valid FITS")
        return default
    try:
        return int(value)
    except ValueError:
        raise CorruptFileError(
            f"{where}: HDU {index} has {keyword} = {value!r}, not a whole number"
        ) from None


def _data_bytes(cards: dict[str, str], where: str, index: int) -> int:
    """Bytes of data after a header: |BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn)."""
    bitpix = _integer(cards, "BITPIX", where, index, None)
    naxis = _integer(cards, "NAXIS", where, index, None)
    if bitpix not in (8, 16, 32, 64, -32, -64) or not 0 <= naxis <= 999:
        raise CorruptFileError(f"{where}: HDU {index} has BITPIX {bitpix}, NAXIS {naxis}")
    if naxis == 0:
        return 0
    axes = [_integer(cards, f"NAXIS{i}", where, index, None) for i in range(1, naxis + 1)]
    if any(a < 0 for a in axes):
        raise CorruptFileError(f"{where}: HDU {index} has a negative axis length {axes}")
    if index == 0 and axes[0] == 0 and cards.get("GROUPS") == "T":  # random groups
        axes = axes[1:]
    pcount = _integer(cards, "PCOUNT", where, index, 0)
    gcount = _integer(cards, "GCOUNT", where, index, 1)
    return abs(bitpix) // 8 * gcount * (pcount + math.prod(axes))


def check_fits(path: Path, *, source: str | None = None) -> int:
    """Check a FITS file's structure, and its checksums where it has them; return its HDUs.

    The file must start with ``SIMPLE``, be a whole number of 2880-byte blocks, and hold
    HDUs whose headers end with ``END`` and whose data are as long as ``BITPIX``, ``NAXISn``,
    ``PCOUNT`` and ``GCOUNT`` say; so a file cut short is caught even without checksum
    keywords. A file that ends after a whole HDU is caught when ``NEXTEND`` counts more
    extensions, or when it is nothing but an empty primary header announcing extensions.
    ``CHECKSUM``/``DATASUM`` are then verified with astropy where present.
    """
    path = Path(path)
    where = _where(path, source)
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(FITS_BLOCK)
        if not head.startswith(b"SIMPLE  ="):
            raise _not_data(path, head, "FITS", source)
        if size % FITS_BLOCK:
            raise CorruptFileError(
                f"{where}: {size} bytes is not a whole number of 2880-byte FITS blocks: "
                "cut short or damaged"
            )
        offset, index, checksums = 0, 0, False
        primary: dict[str, str] = {}
        while offset < size:
            found = _header(handle, offset, size, index, where)
            if found is None:
                break
            cards, header_bytes = found
            primary = primary or cards
            checksums = checksums or "CHECKSUM" in cards or "DATASUM" in cards
            data = _data_bytes(cards, where, index)
            end = offset + header_bytes + -(-data // FITS_BLOCK) * FITS_BLOCK
            if end > size:
                raise CorruptFileError(
                    f"{where}: HDU {index} announces {data} bytes of data but the file ends "
                    f"{size - offset - header_bytes} bytes after its header: cut short"
                )
            offset, index = end, index + 1
    _check_extension_count(primary, index, where)
    if checksums:
        _verify_checksums(path, where)
    return index


def _check_extension_count(primary: dict[str, str], hdus: int, where: str) -> None:
    """A file cut exactly after an HDU is structurally valid: catch it when the primary says
    more should follow (``NEXTEND``), or when all it holds is an empty primary header that
    announces extensions (``EXTEND = T``, ``NAXIS = 0``): such a file carries no data at all."""
    nextend = primary.get("NEXTEND")
    if nextend is not None and nextend.isdigit() and int(nextend) > hdus - 1:
        raise CorruptFileError(
            f"{where}: NEXTEND says {nextend} extension(s) but the file holds {hdus - 1}: cut short"
        )
    if hdus == 1 and primary.get("EXTEND") == "T" and primary.get("NAXIS") == "0":
        raise CorruptFileError(
            f"{where}: holds only an empty primary header that announces extensions "
            "(EXTEND = T): cut short after its first HDU"
        )


def _verify_checksums(path: Path, where: str) -> None:
    """Verify ``CHECKSUM``/``DATASUM`` with astropy (its methods, not its warnings: catching
    warnings is not thread-safe, and files are checked in parallel)."""
    from astropy.io import fits

    try:
        with fits.open(path, memmap=False) as hdus:
            hdus.readall()
            for index, hdu in enumerate(hdus):
                # 1: valid, 0: wrong, 2: the keyword is absent (nothing to check)
                if hdu.verify_datasum() == 0 or hdu.verify_checksum() == 0:
                    raise CorruptFileError(
                        f"{where}: fails its FITS checksum (HDU {index}): corrupted"
                    )
    except CorruptFileError:
        raise
    except Exception as exc:  # astropy's errors (or warnings turned into errors) on bad bytes
        raise CorruptFileError(f"{where}: not a readable FITS file ({exc})") from None


# -- gzip and tar ----------------------------------------------------------------------------


def check_gzip(path: Path, *, source: str | None = None, limit: int | None = None) -> int:
    """Inflate a gzip file to nowhere, checking every member's CRC-32 and length; return the
    inflated size. More than ``limit`` bytes (default: the one inflation rule,
    :func:`daxa.services.inflate.max_inflated`) is refused as a decompression bomb."""
    path = Path(path)
    head = _head(path)
    if not head.startswith(b"\x1f\x8b"):
        raise _not_data(path, head, "gzip", source)
    size = path.stat().st_size
    limit = max_inflated(size) if limit is None else limit
    total = 0
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise DownloadError(f"{_where(path, source)}: {too_big('it', size, limit)}")
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptFileError(
            f"{_where(path, source)}: not a valid gzip file ({exc}): cut short or damaged"
        ) from None
    return total


def check_tar(path: Path, *, source: str | None = None) -> int:
    """Read every member of a tar archive (plain or compressed) to its end; return how many.

    A member cut short, a header cut short, or a plain archive that stops without its
    end-of-archive block (cut exactly between two members) is an error. A compressed archive
    has its gzip stream checked completely first.
    """
    path = Path(path)
    where = _where(path, source)
    head = _head(path)
    compressed = head.startswith(b"\x1f\x8b")
    if compressed:
        check_gzip(path, source=source)
    elif len(head) < 512 or (head[257:262] != b"ustar" and text_body(head) is not None):
        raise _not_data(path, head, "tar", source)
    members = 0
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                members += 1
                if not member.isfile():
                    continue
                handle = archive.extractfile(member)
                got = 0
                if handle is not None:
                    while chunk := handle.read(_CHUNK):
                        got += len(chunk)
                if got != member.size:
                    raise CorruptFileError(
                        f"{where}: tar member {member.name!r} has {got} of {member.size} bytes"
                    )
            end = archive.offset
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise CorruptFileError(f"{where}: not a readable tar archive ({exc})") from None
    if not compressed:
        with open(path, "rb") as handle:
            handle.seek(end)
            trailer = handle.read(512)
        if len(trailer) < 512 or trailer.strip(b"\x00"):
            raise CorruptFileError(
                f"{where}: the tar archive stops after {members} member(s) without its "
                "end-of-archive block: cut short"
            )
    return members


def check_content(path: Path, *, name: str | None = None, source: str | None = None) -> None:
    """Run the check that fits the file's name (``name``, default the path's): FITS, gzip,
    tar, or for ``.Z`` files their magic bytes; other files only must not be an error page
    where their name promises data. ``source`` (the URL) is named in errors."""
    path = Path(path)
    kind = content_kind(name or path.name)
    if kind == "fits":
        check_fits(path, source=source)
    elif kind == "gzip":
        check_gzip(path, source=source)
    elif kind == "tar":
        check_tar(path, source=source)
    elif kind == "lzw":
        head = _head(path)
        if not head.startswith(b"\x1f\x9d"):
            raise _not_data(path, head, "compress (.Z)", source)


def check_compressed_head(path: Path, kind: str, *, source: str | None = None) -> None:
    """Only the magic bytes of a file about to be decompressed (the decompressor checks the
    rest): ``kind`` is ``gzip`` or ``lzw``."""
    head = _head(Path(path))
    magic, label = (b"\x1f\x8b", "gzip") if kind == "gzip" else (b"\x1f\x9d", "compress (.Z)")
    if not head.startswith(magic):
        raise _not_data(Path(path), head, label, source)
