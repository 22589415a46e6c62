"""Unpacking downloaded files: gzip, Unix ``compress`` (LZW ``.Z``, ROSAT) and tar archives.

Every function writes to a temporary name next to the target and renames it into place, so an
interrupted unpack never leaves a half-written file that looks complete. Tar extraction goes
through the standard library's ``data`` filter *and* daxa's own checks: member names that are
absolute, contain ``..``, or are links, devices or FIFOs are refused with
:class:`~daxa.errors.DownloadError` before anything is written.

>>> import gzip, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt.gz").write_bytes(gzip.compress(b"hello"))
>>> gunzip_file(folder / "a.txt.gz").read_bytes()
b'hello'
>>> lzw_decompress(bytes.fromhex("1f9d90") + bytes([104, 0]))  # 'h' in one 9-bit code
b'h'
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath

from daxa.errors import DownloadError
from daxa.services.inflate import max_inflated, too_big

#: Magic bytes of Unix ``compress`` (.Z) files.
LZW_MAGIC = b"\x1f\x9d"
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


def _temp_for(target: Path) -> Path:
    return target.with_name(f".{target.name}.unpack-{os.getpid()}-{threading.get_ident()}")


def _strip_suffix(path: Path, suffixes: tuple[str, ...]) -> Path:
    for suffix in suffixes:
        if path.name.lower().endswith(suffix.lower()) and len(path.name) > len(suffix):
            return path.with_name(path.name[: -len(suffix)])
    raise DownloadError(f"{path.name} does not end in any of {', '.join(suffixes)}")


def gunzip_file(source: Path, target: Path | None = None, *, remove: bool = True) -> Path:
    """Decompress ``source`` (gzip) to ``target`` (default: the name without ``.gz``).

    gzip's CRC-32 and length trailer are checked, so a corrupted download raises
    :class:`~daxa.errors.DownloadError` instead of producing a damaged file; so does a file
    that inflates past :func:`~daxa.services.inflate.max_inflated` (a decompression bomb).
    """
    source = Path(source)
    target = Path(target) if target is not None else _strip_suffix(source, (".gz",))
    temp = _temp_for(target)
    compressed = source.stat().st_size
    limit = max_inflated(compressed)
    try:
        with gzip.open(source, "rb") as packed, open(temp, "wb") as out:
            written = 0
            while chunk := packed.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise _TooBig(too_big(source.name, compressed, limit))
                out.write(chunk)
        os.replace(temp, target)
    except _TooBig as exc:
        temp.unlink(missing_ok=True)
        raise DownloadError(str(exc)) from None
    except (OSError, EOFError, zlib.error) as exc:
        temp.unlink(missing_ok=True)
        raise DownloadError(f"{source.name} is not a valid gzip file ({exc})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if remove:
        source.unlink()
    return target


class _TooBig(Exception):
    pass


def lzw_decompress(data: bytes, *, limit: int | None = None) -> bytes:
    """Decode Unix ``compress`` (LZW, ``.Z``) bytes, as ``uncompress`` would.

    Codes are 9 bits wide at first and grow up to the header's maximum (at most 16); in block
    mode code 256 clears the table. Codes come in groups of eight, and a width change or a
    clear skips the rest of the current group, as the original ``compress`` writes them.
    Raises :class:`~daxa.errors.DownloadError` for bad magic bytes or impossible codes, and
    for output beyond ``limit`` bytes (default: :func:`~daxa.services.inflate.max_inflated`).
    """
    limit = max_inflated(len(data)) if limit is None else limit
    produced = 0
    if len(data) < 3 or data[:2] != LZW_MAGIC:
        raise DownloadError("not a Unix compress (.Z) file: bad magic bytes")
    flags = data[2]
    max_bits = flags & 0x1F
    block_mode = bool(flags & 0x80)
    if not 9 <= max_bits <= 16:
        raise DownloadError(f"bad .Z header: maximum code width {max_bits} (allowed 9-16)")
    max_max_code = 1 << max_bits
    first = 257 if block_mode else 256

    table: list[bytes] = [bytes([i]) for i in range(256)]
    if block_mode:
        table.append(b"")  # code 256 is CLEAR
    out: list[bytes] = []
    previous: bytes | None = None
    n_bits = 9
    max_code = (1 << n_bits) - 1
    pos = 3  # byte where the current group starts
    end = len(data)
    while pos < end:
        if len(table) > max_code and n_bits < max_bits:  # at a group boundary: nothing to skip
            n_bits += 1
            max_code = max_max_code if n_bits == max_bits else (1 << n_bits) - 1
        group = data[pos : pos + n_bits]
        value = int.from_bytes(group, "little")
        available = (len(group) * 8) // n_bits
        mask = (1 << n_bits) - 1
        for i in range(available):
            if len(table) > max_code and n_bits < max_bits:
                n_bits += 1
                max_code = max_max_code if n_bits == max_bits else (1 << n_bits) - 1
                break
            code = (value >> (i * n_bits)) & mask
            if previous is None:
                if code > 255:
                    raise DownloadError(f"corrupt .Z data: first code {code} is not a byte")
                previous = table[code]
                out.append(previous)
                continue
            if block_mode and code == 256:
                del table[first:]
                n_bits = 9
                max_code = (1 << n_bits) - 1
                previous = None
                break
            if code < len(table):
                entry = table[code]
            elif code == len(table):
                entry = previous + previous[:1]
            else:
                raise DownloadError(f"corrupt .Z data: code {code} before it was defined")
            out.append(entry)
            produced += len(entry)
            if produced > limit:
                raise DownloadError(too_big("the .Z data", len(data), limit))
            if len(table) < max_max_code:
                table.append(previous + entry[:1])
            previous = entry
        # After a width change or a clear the rest of the group is padding: skip it.
        pos += len(group)
    return b"".join(out)


def lzw_decompress_file(source: Path, target: Path | None = None, *, remove: bool = True) -> Path:
    """Decompress a ``.Z`` file to ``target`` (default: the name without ``.Z``)."""
    source = Path(source)
    target = Path(target) if target is not None else _strip_suffix(source, (".Z",))
    try:
        data = lzw_decompress(source.read_bytes())
    except DownloadError as exc:
        raise DownloadError(f"{source.name}: {exc}") from None
    temp = _temp_for(target)
    try:
        temp.write_bytes(data)
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
    if remove:
        source.unlink()
    return target


def unpack_file(source: Path, kind: str, *, remove: bool = True) -> Path:
    """Decompress ``source`` with ``kind`` (``"gzip"`` or ``"lzw"``); return the new path."""
    if kind == "gzip":
        return gunzip_file(source, remove=remove)
    if kind == "lzw":
        return lzw_decompress_file(source, remove=remove)
    raise DownloadError(f"unknown unpack kind {kind!r}; use 'gzip' or 'lzw'")


# -- tar archives ----------------------------------------------------------------------------


def check_member_name(name: str) -> PurePosixPath:
    """The member's path if it stays inside the destination; raise DownloadError otherwise.

    >>> check_member_name("eFEDS/fm00_300007_020_EventList_c001.fits").name
    'fm00_300007_020_EventList_c001.fits'
    >>> check_member_name("../etc/passwd")
    Traceback (most recent call last):
    ...
    daxa.errors.DownloadError: refused tar member '../etc/passwd': ...
    """
    cleaned = name.replace("\\", "/")
    path = PurePosixPath(cleaned)
    problem = None
    if not cleaned or cleaned.startswith("/") or (len(cleaned) > 1 and cleaned[1] == ":"):
        problem = "absolute path"
    elif any(part == ".." for part in path.parts):
        problem = "'..' would leave the destination"
    elif "\x00" in cleaned:
        problem = "NUL byte in the name"
    if problem:
        raise DownloadError(f"refused tar member {name!r}: {problem}; the archive may be hostile")
    return PurePosixPath(*[p for p in path.parts if p not in ("", ".")])


def _check_member(member: tarfile.TarInfo) -> PurePosixPath:
    path = check_member_name(member.name)
    if member.issym() or member.islnk():
        raise DownloadError(
            f"refused tar member {member.name!r}: links are not extracted "
            f"(points to {member.linkname!r}); the archive may be hostile"
        )
    if not (member.isfile() or member.isdir()):
        raise DownloadError(
            f"refused tar member {member.name!r}: devices and FIFOs are not extracted"
        )
    return path


Chooser = Callable[[PurePosixPath], PurePosixPath | None]


def iter_members(archive: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, PurePosixPath]]:
    """Every member with its checked path; the first unsafe member stops with DownloadError."""
    for member in archive:
        yield member, _check_member(member)


def extract_tar(
    archive_path: Path,
    destination: Path,
    choose: Chooser | None = None,
    *,
    nested_tar: Callable[[PurePosixPath], bool] | None = None,
) -> list[Path]:
    """Extract regular files of ``archive_path`` under ``destination``; return what was written.

    ``choose(member_path)`` returns where (relative to ``destination``) a member goes, or
    ``None`` to skip it; by default members keep their own path. When ``nested_tar(member)``
    is true the member is itself a tar archive and its members are offered to ``choose`` in
    turn (the XSA's AIO tarball holds one ``.TAR`` of ODF files). Each archive is checked
    completely before any of its files is written, so a hostile member stops the extraction;
    a failure removes whatever this call had written.
    """
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    choose = choose or (lambda p: p)
    written: list[Path] = []
    temps: list[Path] = []
    try:
        with tarfile.open(archive_path, "r:*") as outer:
            plan: list[tuple[tarfile.TarInfo, PurePosixPath]] = []
            nested: list[tarfile.TarInfo] = []
            packed = Path(archive_path).stat().st_size
            limit = max_inflated(packed)
            unpacked = 0
            for member, path in iter_members(outer):
                if not member.isfile():
                    continue
                unpacked += member.size
                if unpacked > limit:
                    raise DownloadError(too_big(Path(archive_path).name, packed, limit))
                if nested_tar is not None and nested_tar(path):
                    nested.append(member)
                    continue
                target = choose(path)
                if target is not None:
                    plan.append((member, _safe_target(target)))
            for member in nested:
                handle = outer.extractfile(member)
                if handle is None:
                    continue
                fd, name = tempfile.mkstemp(
                    prefix=".nested-", suffix=".tar", dir=Path(archive_path).parent
                )
                temp = Path(name)
                temps.append(temp)
                with os.fdopen(fd, "wb") as out:
                    shutil.copyfileobj(handle, out, _CHUNK)
                written += extract_tar(temp, destination, choose)
            for member, target in plan:
                written.append(_write_member(outer, member, destination, target))
    except tarfile.FilterError as exc:
        _remove(written)
        raise DownloadError(f"refused a member of {Path(archive_path).name}: {exc}") from None
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        _remove(written)
        raise DownloadError(
            f"{Path(archive_path).name} is not a readable tar archive ({exc})"
        ) from None
    except BaseException:
        _remove(written)
        raise
    finally:
        _remove(temps)
    return written


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _safe_target(target: PurePosixPath) -> PurePosixPath:
    return check_member_name(str(target))


def _write_member(
    archive: tarfile.TarFile, member: tarfile.TarInfo, destination: Path, target: PurePosixPath
) -> Path:
    """Write one member through the standard library's ``data`` filter, then move it in place."""
    filtered = tarfile.data_filter(member, str(destination))
    handle = archive.extractfile(filtered)
    if handle is None:
        raise DownloadError(f"tar member {member.name!r} has no data")
    out_path = destination.joinpath(*target.parts)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_for(out_path)
    try:
        with open(temp, "wb") as out:
            shutil.copyfileobj(handle, out, _CHUNK)
        os.replace(temp, out_path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return out_path
