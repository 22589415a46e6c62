"""Where downloads go: ``<dest>/<mission>/<obs_id>/...``, and the checks that keep them there.

Every path that comes from outside (a listing entry, a tar member, a plan built from either)
is checked with :func:`safe_relpath` before it touches the disk: absolute paths, ``..``
segments, drive letters, back-slashes and NUL bytes are refused with
:class:`~daxa.errors.DownloadError`.

>>> str(obs_dir("daxa_downloads", "chandra", "1234"))
'daxa_downloads/chandra/1234'
>>> str(safe_relpath("1234/primary/evt2.fits"))
'1234/primary/evt2.fits'
>>> safe_relpath("../../etc/passwd")
Traceback (most recent call last):
...
daxa.errors.DownloadError: refused path '../../etc/passwd': '..' would leave the download folder
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from daxa.atomic import TEMP_PREFIX
from daxa.errors import DownloadError

#: Default download root (relative to the working directory).
DEFAULT_DEST = "daxa_downloads"
#: Name of the per-ObsID manifest that defines "downloaded".
MANIFEST_NAME = ".daxa-manifest.json"
#: Suffix of temporary files (transfers in progress, daxa.atomic's temporaries): a file with it
#: is never complete, and a run holding the ObsID lock removes it.
PART_SUFFIX = ".part"

PathLike = str | os.PathLike[str]


def mission_dir(dest: PathLike, mission: str) -> Path:
    """The folder holding every ObsID of ``mission`` under the download root ``dest``."""
    return Path(dest) / mission


def obs_dir(dest: PathLike, mission: str, obs_id: str) -> Path:
    """The folder of one ObsID."""
    return mission_dir(dest, mission) / check_component(obs_id, what="ObsID")


def manifest_path(dest: PathLike, mission: str, obs_id: str) -> Path:
    """Where the manifest of one ObsID lives."""
    return obs_dir(dest, mission, obs_id) / MANIFEST_NAME


def _problem(rel: str) -> str | None:
    if not rel:
        return "empty path"
    if "\x00" in rel:
        return "NUL byte in the name"
    if "\\" in rel:
        return "back-slash in the name"
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return "absolute path"
    if any(part == ".." for part in rel.split("/")):
        return "'..' would leave the download folder"
    return None


def safe_relpath(rel: str) -> PurePosixPath:
    """``rel`` as a relative POSIX path that cannot leave the folder it is joined to."""
    problem = _problem(str(rel))
    if problem:
        raise DownloadError(f"refused path {rel!r}: {problem}")
    parts = [p for p in str(rel).split("/") if p not in ("", ".")]
    if not parts:
        raise DownloadError(f"refused path {rel!r}: it names no file")
    return PurePosixPath(*parts)


def check_component(name: str, *, what: str = "name") -> str:
    """``name`` if it is one plain path component (no slash, no ``..``, not empty).

    >>> check_component("acisf01234N002_evt2.fits.gz")
    'acisf01234N002_evt2.fits.gz'
    """
    name = str(name)
    if not name or name in (".", "..") or "/" in name or _problem(name):
        raise DownloadError(f"refused {what} {name!r}: not a plain file or folder name")
    return name


def inside(root: Path, rel: str | PurePosixPath) -> Path:
    """``root / rel`` after checking ``rel``; the result is guaranteed to lie under ``root``."""
    checked = safe_relpath(str(rel))
    path = Path(root).joinpath(*checked.parts)
    root_abs = Path(os.path.abspath(root))
    if os.path.commonpath([root_abs, os.path.abspath(path)]) != str(root_abs):
        raise DownloadError(f"refused path {rel!r}: it resolves outside {root}")
    return path


def is_partial(path: Path) -> bool:
    """True for the leftovers of an interrupted transfer or unpack (``.part``, temporaries).

    >>> is_partial(Path("a.fits.gz.part")), is_partial(Path(".a.fits.unpack-12-34"))
    (True, True)
    >>> is_partial(Path(".daxa-tmp.stage.x1y2")), is_partial(Path("a.fits"))
    (True, False)
    """
    name = path.name
    return (
        name.endswith(PART_SUFFIX)
        or name.startswith(TEMP_PREFIX)
        or (name.startswith(".") and ".unpack-" in name)
        or (name.startswith(".nested-") and name.endswith(".tar"))
        or (name.startswith(".") and ".tmp-" in name)
    )


def staging_dir(folder: Path) -> Path:
    """A new, empty temporary folder inside ``folder`` (same file system: its files can be
    renamed into place); :func:`sweep_partials` removes it if the run is killed."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}stage.", dir=folder))


def sweep_partials(folder: Path) -> list[Path]:
    """Remove what a killed run left half-written under ``folder``; return what was removed.

    Call it only while holding the folder's ObsID lock (:mod:`daxa.download.locking`): another
    process's transfer in progress looks exactly like a leftover.
    """
    if not folder.is_dir():
        return []
    found = [p for p in folder.rglob("*") if is_partial(p)]
    removed = []
    for path in sorted(found, key=lambda p: len(p.parts)):
        if any(parent in removed for parent in path.parents):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed
