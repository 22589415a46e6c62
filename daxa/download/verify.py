"""Checks a transferred file must pass before it counts: size and SHA-256.

The size must match ``Content-Length``/``Content-Range`` and the plan's size when the archive
states one; the SHA-256 must match the plan's or a ``Repr-Digest``/``Digest`` header when the
archive gives one. What the bytes are (FITS structure and checksums, gzip, tar, no error page)
is checked by :mod:`daxa.download.content`. A failure raises
:class:`~daxa.download.transport.CorruptFileError`: the file is fetched again.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path

from daxa.download.layout import DEFAULT_DEST, MANIFEST_NAME, PathLike, manifest_path, mission_dir
from daxa.download.manifest import Manifest, sha256_file
from daxa.download.plan import RemoteFile
from daxa.download.transport import CorruptFileError, Fetched


def _announced_sha256(headers: dict[str, str]) -> str | None:
    """A SHA-256 of the whole file from ``Repr-Digest`` (RFC 9530) or ``Digest`` (RFC 3230)."""
    for name in ("repr-digest", "digest"):
        value = headers.get(name)
        if not value:
            continue
        for item in value.split(","):
            key, _, encoded = item.strip().partition("=")
            if key.strip().lower() == "sha-256":
                encoded = encoded.strip().strip(":")
                try:
                    return base64.b64decode(encoded).hex()
                except ValueError:
                    return None
    return None


def verify_transfer(part: Path, remote: RemoteFile, fetched: Fetched) -> str:
    """The SHA-256 of a complete ``.part`` after checking it; CorruptFileError if it fails."""
    size = part.stat().st_size
    if fetched.total is not None and size != fetched.total:
        raise CorruptFileError(f"{remote.url}: {size} bytes on disk, server said {fetched.total}")
    if remote.size is not None and size != remote.size:
        raise CorruptFileError(f"{remote.url}: {size} bytes, the archive lists {remote.size}")
    digest = fetched.sha256 if fetched.sha256 and fetched.size == size else sha256_file(part)
    wanted = remote.sha256 or (None if fetched.resumed else _announced_sha256(fetched.headers))
    if wanted is not None and digest != wanted.lower():
        raise CorruptFileError(f"{remote.url}: SHA-256 does not match the archive's")
    return digest


def verify_downloads(
    mission: str, obs_ids: Iterable[str] | None = None, *, dest: PathLike = DEFAULT_DEST
) -> dict[str, list[str]]:
    """Re-hash the downloaded files of ``obs_ids`` against their manifests, offline.

    Returns, per ObsID (every ObsID folder with a manifest when ``obs_ids`` is ``None``), the
    problems found: files missing, of the wrong size or with the wrong SHA-256, files the
    listing showed but nobody fetched, or no readable manifest at all; an empty list means
    intact. ``download(..., verify="sha256")`` (``daxa download --verify``) repairs them,
    fetching only those files.
    """
    from daxa.missions import check_obs_ids, get_mission

    spec = get_mission(mission)
    root = mission_dir(dest, spec.name)
    if obs_ids is None:
        ids = sorted(p.parent.name for p in root.glob(f"*/{MANIFEST_NAME}"))
    else:
        ids = list(dict.fromkeys(check_obs_ids(spec, obs_ids)))
    problems: dict[str, list[str]] = {}
    for obs_id in ids:
        manifest = Manifest.load(manifest_path(dest, spec.name, obs_id))
        if manifest is None:
            problems[obs_id] = ["no readable manifest: not downloaded"]
            continue
        found = manifest.verify(root, deep=True)
        found += [f"{url} was listed but not fetched" for url in manifest.missing]
        found += [f"{url} failed: {why}" for url, why in manifest.failed.items()]
        problems[obs_id] = found
    return problems
