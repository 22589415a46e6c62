"""Running the ``daxa`` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    """What a ``daxa`` run printed and returned."""

    code: int
    out: str
    err: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error:")]


def daxa(
    *args: str,
    cache_dir: Path | None = None,
    mirror: str | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> Result:
    """Run ``python -m daxa *args`` and capture its output (never the developer's cache)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DAXA_")}
    full_env["DAXA_PROGRESS"] = "0"
    if cache_dir is not None:
        full_env["DAXA_CACHE_DIR"] = str(cache_dir)
    if mirror is not None:
        full_env["DAXA_MIRROR"] = mirror
    full_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "daxa", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or REPO,
        env=full_env,
    )
    return Result(done.returncode, done.stdout, done.stderr)
