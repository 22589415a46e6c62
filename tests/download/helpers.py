"""Helpers for the download tests."""

from __future__ import annotations

from pathlib import Path


def leftovers(root: Path) -> list[Path]:
    """Partial or temporary files anywhere under ``root`` (none may survive a run)."""
    return [
        p
        for p in root.rglob("*")
        if p.is_file()
        and (
            p.name.endswith(".part")
            or ".unpack-" in p.name
            or p.name.startswith(".nested-")
            or ".tmp" in p.name
        )
    ]
