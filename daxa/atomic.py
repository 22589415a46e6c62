"""Write files so that a reader only ever sees the old file or the complete new one.

Every file daxa writes (cache tables, saved selections, CLI outputs, plots, manifests) goes
through here: the data go to a hidden temporary file in the target's own folder (same file
system, so the final ``os.replace`` is atomic), are flushed to disk, and only then renamed over
the target. On any error the temporary file is removed and the target is left as it was.

>>> import pathlib, tempfile
>>> target = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
>>> with atomic_open(target, "w") as handle:
...     _ = handle.write("complete")
>>> target.read_text()
'complete'
>>> try:
...     with atomic_open(target, "w") as handle:
...         _ = handle.write("half")
...         raise RuntimeError("crash mid-write")
... except RuntimeError:
...     pass
>>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
('complete', ['hello.txt'])
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: Prefix and suffix of every temporary file daxa writes; ``stale_temporaries`` finds them.
TEMP_PREFIX = ".daxa-tmp."
TEMP_SUFFIX = ".part"


def temporary_sibling(target: str | os.PathLike[str]) -> Path:
    """Create an empty, uniquely named temporary file beside ``target`` and return its path."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent
    )
    os.close(fd)
    return Path(name)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; rename it over ``target`` when the block succeeds.

    Use this for writers that want a path (pyarrow, astropy, matplotlib). The writer may
    replace the temporary file; whatever is at the path when the block ends is moved into place.
    """
    target = Path(target)
    temp = temporary_sibling(target)
    try:
        yield temp
        _fsync(temp)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(
    target: str | os.PathLike[str], mode: str = "wb", **kwargs: Any
) -> Iterator[IO[Any]]:
    """Open a temporary file for writing; it replaces ``target`` only if the block succeeds."""
    if not mode.startswith("w"):
        raise ValueError(f"atomic_open writes a new file; mode {mode!r} must start with 'w'")
    with atomic_path(target) as temp, open(temp, mode, **kwargs) as handle:
        yield handle


def stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Temporary files left in ``folder`` by writes that were killed before they finished."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"))


def _fsync(path: Path) -> None:
    """Flush a finished file to disk so a crash after the rename cannot leave it empty."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
