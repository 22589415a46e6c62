"""Saved selections on disk: written atomically, read back as untrusted input.

A saved selection may have been edited by hand, cut short or damaged. Reading one checks every
field's type before anything is built from it, and any failure while rebuilding its filters is a
:class:`~daxa.errors.SelectionError` naming the field (``steps[2].params.radius``) — never an
``AttributeError`` or ``KeyError`` from deep inside. A saved name step must carry the positions
it resolved, so loading never asks Sesame.

>>> parse({"format_version": 1, "mission": "swift", "steps": "none"}, "sel.json")
Traceback (most recent call last):
...
daxa.errors.SelectionError: sel.json: field 'steps' must be a list of steps, not a str ('none'); ...
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from daxa.atomic import atomic_open
from daxa.errors import DaxaError, SelectionError
from daxa.filters import Filter, filter_from_step
from daxa.filters._params import decode

#: Version of the saved-selection JSON layout; files from a newer layout are refused.
FORMAT_VERSION = 1

#: The snapshot fields and the types each may have.
SNAPSHOT_FIELDS: dict[str, tuple[type, ...]] = {
    "rows": (int,),
    "fetched_at": (str, type(None)),
    "source_url": (str, type(None)),
    "service": (str, type(None)),
    "service_url": (str, type(None)),
    "synthetic": (bool,),
}


@dataclass(frozen=True)
class Saved:
    """A checked saved selection: every field has its type, every filter is rebuilt."""

    mission: str
    instruments: list[str] | None
    locked: bool
    filters: list[Filter]
    result: pl.DataFrame | None
    snapshot: dict[str, Any] | None


def write(path: str | os.PathLike[str], data: dict[str, Any]) -> Path:
    """Write ``data`` as JSON to ``path`` atomically (the old file stays on any error)."""
    target = Path(path)
    text = json.dumps(data, indent=1)  # fails before anything is written
    try:
        with atomic_open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise SelectionError(
            f"could not save the selection to {target}: {exc.strerror or exc}; the previous "
            "file (if any) is unchanged"
        ) from None
    return target


def read(path: str | os.PathLike[str]) -> Any:
    """The JSON in ``path``; SelectionError when it cannot be read or is not JSON."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
        raise SelectionError(
            f"cannot read a saved selection from {path}: {reason:.200}; save it again with "
            "Selection.save"
        ) from None


def _bad(source: str, field: str, what: str) -> SelectionError:
    return SelectionError(
        f"{source}: field {field!r} {what}; the file is damaged or was not written by "
        "Selection.save"
    )


def _typed(data: dict[str, Any], key: str, kinds: tuple[type, ...], what: str, source: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise _bad(
            source, key, f"must be {what}, not a {type(value).__name__} ({str(value)[:40]!r})"
        )
    return value


def parse(data: Any, source: str) -> Saved:
    """Check every field of a saved selection and rebuild its filters."""
    if not isinstance(data, dict):
        raise SelectionError(
            f"{source} holds a JSON {type(data).__name__}, not a saved selection (an object)"
        )
    version = data.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise SelectionError(
            f"{source} has format_version {str(version)[:40]!r}; this daxa reads up to "
            f"{FORMAT_VERSION} (upgrade daxa, or save the selection again)"
        )
    mission = _typed(data, "mission", (str,), "a mission name", source)
    steps = _typed(data, "steps", (list,), "a list of steps", source)
    instruments = data.get("instruments")
    if instruments is not None and (
        not isinstance(instruments, list) or not all(isinstance(i, str) for i in instruments)
    ):
        raise _bad(source, "instruments", "must be a list of instrument names")
    locked = data.get("locked", False)
    if not isinstance(locked, bool):
        raise _bad(source, "locked", "must be true or false")
    filters = [_step(step, i, source) for i, step in enumerate(steps)]
    result = _result(data, source) if "result" in data else None
    snapshot = _snapshot(data, source) if "result" in data else None
    return Saved(mission, instruments, locked, filters, result, snapshot)


def _step(step: Any, i: int, source: str) -> Filter:
    field = f"steps[{i}]"
    if not isinstance(step, dict):
        raise _bad(source, field, "must be an object with 'name' and 'params'")
    name = _typed(step, "name", (str,), "a filter name", f"{source}: {field}")
    params = _typed(step, "params", (dict,), "an object of parameters", f"{source}: {field}")
    if name == "name" and not isinstance(params.get("resolved"), dict):
        raise _bad(
            source,
            f"{field}.params.resolved",
            "must hold the positions the names resolved to (loading never asks Sesame)",
        )
    for key, value in params.items():  # find the parameter a decoding failure comes from
        try:
            decode(value)
        except Exception as exc:  # untrusted input: any failure is this field's fault
            raise _bad(
                source, f"{field}.params.{key}", f"cannot be rebuilt ({_why(exc)})"
            ) from None
    try:
        return filter_from_step(name, params)
    except Exception as exc:
        raise _bad(
            source, f"{field}.params", f"do not make a {name!r} filter ({_why(exc)})"
        ) from None


def _result(data: dict[str, Any], source: str) -> pl.DataFrame:
    try:
        result = decode(data["result"])
    except Exception as exc:
        raise _bad(source, "result", f"cannot be rebuilt ({_why(exc)})") from None
    if not isinstance(result, pl.DataFrame) or "obs_id" not in result.columns:
        raise _bad(source, "result", "must be the table of selected observations with 'obs_id'")
    if result.schema["obs_id"] != pl.String:
        raise _bad(source, "result", "must have text ObsIDs")
    return result


def _snapshot(data: dict[str, Any], source: str) -> dict[str, Any]:
    snap = data.get("snapshot")
    if snap is None:
        return {"rows": 0}
    if not isinstance(snap, dict):
        raise _bad(source, "snapshot", "must be an object")
    out: dict[str, Any] = {}
    for key, kinds in SNAPSHOT_FIELDS.items():
        if key not in snap:
            continue
        value: Any = snap[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise _bad(source, f"snapshot.{key}", f"has the wrong type ({type(value).__name__})")
        if key == "rows" and snap[key] < 0:
            raise _bad(source, "snapshot.rows", "must not be negative")
        out[key] = value
    out.setdefault("rows", 0)
    return out


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}" if not isinstance(exc, DaxaError) else text[:200]
