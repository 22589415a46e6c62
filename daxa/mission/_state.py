"""The state of the mission classes: locking, the processed flag, and saving and restoring it.

Saving writes the Selection's JSON (every filter parameter with its type) plus DAXA's state
(class, processed flag, filtering operations); loading re-runs the saved steps on today's
table. Mixed into :class:`daxa.mission.base.BaseMission`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daxa.errors import InputError, SelectionError
from daxa.filters._params import decode, encode
from daxa.mission._compat import archive_ordered
from daxa.missions import Mission
from daxa.selection import Selection


class StateMixin:
    """``locked``, ``processed``, ``save`` and the restoring of a saved state."""

    _sel: Selection
    _spec: Mission
    _ops: list[dict[str, Any]]
    _processed: bool

    if TYPE_CHECKING:

        @property
        def name(self) -> str: ...

        @property
        def pretty_name(self) -> str: ...

    @property
    def locked(self) -> bool:
        """True once the selection may no longer change."""
        return self._sel.locked

    @locked.setter
    def locked(self, new_val: bool) -> None:
        if not isinstance(new_val, bool):
            raise InputError(f"locked must be True or False, got {new_val!r}")
        if new_val:
            self._sel = self._sel.lock()
        elif self.locked:
            raise SelectionError(f"this {self.pretty_name} mission is locked for good")

    @property
    def processed(self) -> bool:
        """True once the data have been processed (which also locks the mission)."""
        return self._processed

    @processed.setter
    def processed(self, new_val: bool) -> None:
        if not isinstance(new_val, bool):
            raise InputError(f"processed must be True or False, got {new_val!r}")
        if self._processed and not new_val:
            raise SelectionError("processed was already set to True; it cannot be undone")
        if new_val:
            self.locked = True
        self._processed = new_val

    def save(
        self, save_root_path: str | os.PathLike[str], state_file_name: str | None = None
    ) -> Path:
        """Write the mission's state to ``save_root_path/<name>_state.json`` (or
        ``state_file_name``, which must end in ``.json``); returns the path. Pass the path as
        ``save_file_path`` to the mission's class to restore it."""
        file_name = state_file_name or f"{self.name}_state.json"
        if not file_name.endswith(".json"):
            raise InputError(f"state_file_name must end in '.json', got {file_name!r}")
        target = Path(save_root_path) / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self._sel.to_dict()
        data["daxa_mission"] = {
            "class": type(self).__name__,
            "processed": self._processed,
            "filtering_operations": encode(self._ops),
        }
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, target)
        return target

    def _load_state(
        self,
        save_file_path: str | os.PathLike[str],
        table: Any,
        cache_dir: str | os.PathLike[str] | None,
    ) -> None:
        try:
            data = json.loads(Path(save_file_path).read_text())
        except (OSError, ValueError) as exc:
            raise SelectionError(
                f"cannot read a saved mission from {save_file_path}: {exc}"
            ) from None
        saved = data.get("mission") if isinstance(data, dict) else None
        if saved != self.name:
            raise SelectionError(
                f"{save_file_path} holds a {saved!r} mission, not {self.name!r}; load it with "
                "that mission's class"
            )
        self._sel = Selection.from_dict(
            data,
            archive_ordered(self._spec, table, cache_dir),
            cache_dir=cache_dir,
            source=str(save_file_path),
        )
        extra = data.get("daxa_mission") or {}
        self._ops = decode(extra.get("filtering_operations", []))
        self._processed = bool(extra.get("processed", False))
