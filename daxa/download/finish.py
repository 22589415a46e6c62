"""Put a transferred file in place: check it, unpack or extract it, then rename it in.

The engine (:mod:`daxa.download.engine`) hands over a complete, size- and digest-checked
temporary file. Here it is checked by content (:mod:`daxa.download.content`), unpacked into
another temporary or extracted into a staging folder whose members are checked in turn, and
only then renamed over the destination (flushed first). A check that fails raises
:class:`~daxa.download.transport.CorruptFileError` before anything in place is touched, so a
finished file is never replaced by a bad one.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from daxa.atomic import temporary_sibling
from daxa.download.content import check_compressed_head, check_content, content_kind
from daxa.download.layout import inside, staging_dir
from daxa.download.manifest import FileRecord, file_record
from daxa.download.plan import RemoteFile, TarExtract
from daxa.download.transport import CorruptFileError
from daxa.download.unpack import extract_tar, gunzip_file, lzw_decompress_file
from daxa.errors import DownloadError

__all__ = ["finish_plain", "finish_tar", "tar_name"]


def _choose_members(extract: TarExtract) -> Callable[[PurePosixPath], PurePosixPath | None]:
    keep = [re.compile(p) for p in extract.keep]
    drop = [re.compile(p) for p in extract.drop]
    into = PurePosixPath(extract.into)

    def choose(member: PurePosixPath) -> PurePosixPath | None:
        name = member.name
        if name.startswith("."):
            return None
        if keep and not any(p.search(name) for p in keep):
            return None
        if any(p.search(name) for p in drop):
            return None
        return into / name

    return choose


def _commit(temp: Path, target: Path) -> None:
    """Move a finished, checked temporary file over ``target`` (flushed first: a crash after
    the rename never leaves an empty file under a name the manifest vouches for)."""
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(temp, target)


def _unpack_to(source: Path, kind: str, target: Path) -> None:
    if kind == "gzip":
        gunzip_file(source, target, remove=False)
    elif kind == "lzw":
        lzw_decompress_file(source, target, remove=False)
    else:
        raise DownloadError(f"unknown unpack kind {kind!r}; use 'gzip' or 'lzw'")


def finish_plain(
    remote: RemoteFile, temp: Path, mission_root: Path, digest: str, check: bool
) -> list[FileRecord]:
    """Check the transfer ``temp`` (unpacked first if asked) and only then move the result
    into place; return the records of what is now on disk. Nothing in place is touched when
    a check fails."""
    if remote.unpack is None:
        path = inside(mission_root, remote.dest_relpath)
        if check:
            check_content(temp, name=path.name, source=remote.url)
        _commit(temp, path)
    else:
        path = inside(mission_root, remote.output_relpath)
        if check:
            check_compressed_head(temp, remote.unpack, source=remote.url)
        unpacked = temporary_sibling(path)
        try:
            try:
                _unpack_to(temp, remote.unpack, unpacked)
            except DownloadError as exc:
                if "decompression bomb" in str(exc):  # refused: fetching it again won't help
                    raise DownloadError(f"{remote.url}: {exc}") from None
                raise CorruptFileError(f"{remote.url}: {exc}") from None
            if check:
                check_content(unpacked, name=path.name, source=remote.url)
            _commit(unpacked, path)
        finally:
            unpacked.unlink(missing_ok=True)
        digest = ""
    rel = path.relative_to(mission_root).as_posix()
    records = [file_record(mission_root, rel, digest or None)]
    if remote.cut_tms:
        records += _cut(remote, [path], mission_root)
    return records


def _cut(remote: RemoteFile, paths: list[Path], mission_root: Path) -> list[FileRecord]:
    from daxa.download.erosita import cut_event_list

    records = []
    for path in paths:
        if "EventList" in path.name and remote.cut_tms:
            cut = cut_event_list(path, remote.cut_tms)
            records.append(file_record(mission_root, cut.relative_to(mission_root).as_posix()))
    return records


def finish_tar(
    remote: RemoteFile, archive: Path, mission_root: Path, check: bool
) -> list[FileRecord]:
    """Extract the members of ``archive`` this ObsID keeps into a staging folder, check
    each, and only then move them into place (so a bad member never replaces a good file)."""
    assert remote.extract is not None
    nested = re.compile(remote.extract.nested) if remote.extract.nested else None
    stage = staging_dir(inside(mission_root, remote.obs_id))
    try:
        try:
            staged = extract_tar(
                archive,
                stage,
                _choose_members(remote.extract),
                nested_tar=(lambda p: bool(nested.search(p.name))) if nested else None,
            )
        except DownloadError as exc:
            if "not a readable tar" in str(exc):
                raise CorruptFileError(f"{remote.url}: {exc}") from None
            raise
        if not staged:
            raise DownloadError(
                f"{remote.url} holds no files for ObsID {remote.obs_id} "
                f"(looked for {', '.join(remote.extract.keep) or 'any file'})"
            )
        rels = [p.relative_to(stage).as_posix() for p in staged]
        if check:
            for path, rel in zip(staged, rels, strict=True):
                check_content(path, source=f"{remote.url} (member {PurePosixPath(rel).name})")
        written = []
        for path, rel in zip(staged, rels, strict=True):
            target = inside(mission_root, rel)
            _commit(path, target)
            written.append(target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    records = [file_record(mission_root, p.relative_to(mission_root).as_posix()) for p in written]
    if remote.cut_tms:
        records += _cut(remote, written, mission_root)
    return records


def tar_name(final: Path) -> str:
    """The name a tarball is checked under (the XSA's AIO answers are plain tar files)."""
    name = final.name
    return name if content_kind(name) == "tar" else name + ".tar"
