"""Test collection: modules that need an optional extra are skipped
when it is not installed (``daxa/sky/_cap_walk.py`` and ``_probe_kernel.py`` import numba, the ``fast`` extra)."""

import importlib.util

collect_ignore = (
    []
    if importlib.util.find_spec("numba")
    else ["daxa/sky/_cap_walk.py", "daxa/sky/_probe_kernel.py"]
)
