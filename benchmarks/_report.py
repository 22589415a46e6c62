"""What every benchmark prints: tables of methods and of goals, each goal with the load average
at the moment it was measured (see :mod:`_common` for how the methods are timed)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def load_average() -> str:
    """The 1-minute load average and the core count, to judge how busy the machine was."""
    try:
        return f"load {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"
    except OSError:  # pragma: no cover
        return "load unknown"


def goal(name: str, value: str, met: bool | str | None) -> dict[str, str]:
    """A goals-table row; ``met`` True/False, or a word ("skipped", "not implemented")."""
    if isinstance(met, (bool, np.bool_)):
        word = "yes" if met else "NO"
    else:
        word = "-" if met is None else str(met)
    return {"goal": name, "value": value, "met": word, "load": load_average()}


def print_goals(goals: list[dict[str, str]], quick: bool) -> None:
    """The goals table (goal, value, met, load average when measured)."""
    print("\ngoals" + (" (set for the full size: --quick values are indicative)" if quick else ""))
    print(table(goals, ["goal", "value", "met", "load"]))


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain-text table (right-aligned cells)."""
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(v.rjust(w) for v, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


#: The columns of a method row, after the workload's own columns.
TIMING_COLUMNS = [
    "runs",
    "median_s",
    "min_s",
    "max_s",
    "cpu_s",
    "setup_s",
    "first_s",
    "peak_MiB",
    "above_inputs_MiB",
]


def mib(n: int) -> str:
    """Bytes as MiB."""
    return f"{n / 2**20:.0f}"
