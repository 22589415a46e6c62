"""Any table input — a path or an object in memory — as one :class:`~daxa.inputs.tables.Table`.

The entry point above the three ways in: objects in memory (:mod:`daxa.inputs.tables`), files
(:mod:`daxa.inputs.readers`) and Parquet or HATS folders, read through their
:class:`~daxa.inputs.sources.Source`. Sitting above all three, it lets none of them import
another upwards.

>>> to_table([[10, 1], [20, 2]]).frame.rows()
[(10.0, 1.0), (20.0, 2.0)]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from daxa.errors import InputError
from daxa.inputs.readers import PATH_FORMS, kind_of, read_file
from daxa.inputs.sources import open_source
from daxa.inputs.tables import Table, memory_table

__all__ = ["read_table", "to_table"]


def read_table(path: str | os.PathLike[str], *, what: str = "positions") -> Table:
    """The whole table at ``path`` (any kind :mod:`daxa.inputs.readers` names)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"the {what} file {str(p)!r} does not exist; give {PATH_FORMS}")
    kind = kind_of(p)
    if kind not in ("hats", "folder"):
        return read_file(p, kind, what)
    label = f"the {what} {p}"
    try:
        source = open_source(p, what=what)
        return Table(source.read(source.columns), label)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"cannot read {label}: {exc}") from None


def to_table(obj: Any, *, what: str = "positions") -> Table:
    """``obj`` — a path, or any kind :func:`~daxa.inputs.tables.memory_table` takes — as a
    :class:`Table`."""
    if isinstance(obj, (str, os.PathLike)):
        return read_table(obj, what=what)
    return memory_table(obj, what=what)
