"""CI runs hypothesis derandomized (conftest.py): the same examples on every run and machine."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]


def test_active_profile_follows_the_ci_variable():
    ci = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
    if os.environ.get("HYPOTHESIS_PROFILE"):
        return  # chosen explicitly
    assert settings.default.derandomize is ci
    assert settings.default.print_blob


def _drawn_examples(tmp_path: Path, ci: str) -> str:
    test = tmp_path / "test_draws.py"
    test.write_text(
        textwrap.dedent(
            """
            from hypothesis import given, strategies as st

            @given(st.floats(0, 1))
            def test_draws(x):
                print("DRAW", repr(x))
            """
        )
    )
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text())
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    env.pop("HYPOTHESIS_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return "\n".join(line for line in done.stdout.splitlines() if line.startswith("DRAW"))


def test_ci_profile_draws_the_same_examples_every_run(tmp_path):
    first = _drawn_examples(tmp_path, "true")
    assert first and first == _drawn_examples(tmp_path, "true")
