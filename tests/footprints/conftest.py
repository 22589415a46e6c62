"""Hypothesis is deterministic under CI (``CI=true``): the ``ci`` profile derandomizes."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("footprints-ci", derandomize=True, deadline=None, max_examples=200)
settings.register_profile("footprints-dev", deadline=None, max_examples=200)
settings.load_profile("footprints-ci" if os.environ.get("CI") == "true" else "footprints-dev")
