"""DAXA's own test files, run against ``daxa.mission``.

Set ``DAXA_UPSTREAM`` to a checkout of DAXA (the folder holding its ``tests/``); nothing is
fetched at run time and no DAXA code lives in this repository. The test copies DAXA's
``tests/`` folder to a temporary place (its tests write under ``test_data/``), runs the listed
files in a child pytest with :mod:`_daxa_upstream_plugin` (the archive emulator and a filled
cache), and checks every test named in ``daxa_upstream_expected.txt`` as ``pass`` passed. Tests
listed as ``skip`` are DAXA tests that cannot pass against a different implementation (they
patch or call DAXA's private helpers, or need DAXA's real table contents); the file says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).parent
EXPECTED = HERE / "daxa_upstream_expected.txt"


def expected_outcomes() -> dict[str, tuple[str, str]]:
    """``file::Class::test`` → (``pass`` or ``skip``, reason) from the expectations file."""
    outcomes: dict[str, tuple[str, str]] = {}
    for line in EXPECTED.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        verdict, _, rest = line.partition(" ")
        test_id, _, reason = rest.strip().partition(" ")
        outcomes[test_id] = (verdict, reason.strip())
    return outcomes


def test_expectations_file_is_well_formed() -> None:
    outcomes = expected_outcomes()
    assert outcomes, "no DAXA tests listed"
    for test_id, (verdict, reason) in outcomes.items():
        assert verdict in ("pass", "skip"), test_id
        assert test_id.count("::") >= 1 and test_id.split("::")[0].endswith(".py"), test_id
        assert verdict == "pass" or reason, f"{test_id}: a skipped DAXA test needs a reason"


def _junit_outcomes(report: Path) -> dict[str, str]:
    results: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        module = case.get("classname", "").split(".")
        file_name = module[0] + ".py"
        test_id = "::".join([file_name, *module[1:], case.get("name", "")])
        failed = any(child.tag in ("failure", "error") for child in case)
        skipped = any(child.tag == "skipped" for child in case)
        results[test_id] = "failed" if failed else "skipped" if skipped else "passed"
    return results


@pytest.mark.slow
def test_daxa_upstream_tests_pass(tmp_path: Path) -> None:
    checkout = os.environ.get("DAXA_UPSTREAM")
    if not checkout:
        pytest.skip("DAXA_UPSTREAM is not set (a checkout of DAXA whose tests/ to run)")
    tests = Path(checkout) / "tests"
    if not tests.is_dir():
        pytest.skip(f"DAXA_UPSTREAM={checkout} has no tests/ folder")
    outcomes = expected_outcomes()
    files = sorted({test_id.split("::")[0] for test_id in outcomes})
    work = tmp_path / "tests"
    shutil.copytree(tests, work)
    report = tmp_path / "report.xml"
    repo = HERE.parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(repo), str(HERE)]))
    env.pop("DAXA_CACHE_DIR", None)
    subprocess.run(
        [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
         "-p", "_daxa_upstream_plugin", f"--junitxml={report}", "-o", "addopts="],
        cwd=work, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    results = _junit_outcomes(report)
    should_pass = [t for t, (verdict, _) in outcomes.items() if verdict == "pass"]
    not_run = [t for t in should_pass if t not in results]
    failed = [t for t in should_pass if results.get(t) not in (None, "passed")]
    assert not not_run, f"DAXA tests that did not run: {not_run}"
    assert not failed, f"DAXA tests that should pass and did not: {failed}"
    unlisted = sorted(set(results) - set(outcomes))
    assert not unlisted, f"DAXA tests not in {EXPECTED.name}: {unlisted}"
