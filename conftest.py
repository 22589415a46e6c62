"""Test collection and hypothesis profiles.

Modules that import numba (``daxa/sky/_cap_walk.py`` and ``_probe_kernel.py``) are skipped on a
platform where it is not installed (a plain install includes it).

Hypothesis: with ``CI=true`` in the environment the ``ci`` profile runs derandomized (the same
examples on every run and every machine, no example database, no deadline), so a correct change
cannot fail to land at random; a failure prints the blob that reproduces it. Locally the ``dev``
profile keeps exploring new random examples each run. ``HYPOTHESIS_PROFILE`` picks one
explicitly.
"""

import importlib.util
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes") else "dev")
)

collect_ignore = (
    []
    if importlib.util.find_spec("numba")
    else ["daxa/sky/_cap_walk.py", "daxa/sky/_probe_kernel.py"]
)
