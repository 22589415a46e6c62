"""Where the shared real-data folder is (recorded answers, real tables, sample objects).

Its own small module so every part of the emulator can find the folder without importing the
package that assembles them.
"""

from __future__ import annotations

import os
from pathlib import Path


def shared_data_dir() -> Path | None:
    """The shared real-data folder: ``$DAXA_SHARED_DATA``, else ``<repo>/../shared/data``.

    None when neither exists, so tests that need the files can skip cleanly.
    """
    env = os.environ.get("DAXA_SHARED_DATA")
    if env:
        return Path(env) if Path(env).is_dir() else None
    import daxa

    candidate = Path(daxa.__file__).resolve().parents[2] / "shared" / "data"
    return candidate if candidate.is_dir() else None
