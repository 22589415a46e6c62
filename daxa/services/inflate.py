"""How far a compressed body or file may inflate before daxa calls it a decompression bomb.

A gzip stream can grow about a thousand times; real archive data (FITS, listings, tables)
rarely grows more than a few tens of times. The limit is ``DAXA_MAX_INFLATE_RATIO`` times the
compressed size (default 200), and never less than 256 MiB, so small files that compress very
well (an all-zero exposure map) are always fine.

>>> max_inflated(1_000_000, ratio=200) == 256 * 2**20
True
>>> max_inflated(10 * 2**20, ratio=200) == 2000 * 2**20
True
"""

from __future__ import annotations

import os

from daxa.errors import InputError

DEFAULT_RATIO = 200
FLOOR = 256 * 2**20
ENV = "DAXA_MAX_INFLATE_RATIO"


def ratio_setting() -> int:
    """The ratio from ``DAXA_MAX_INFLATE_RATIO`` (default 200)."""
    text = os.environ.get(ENV)
    if not text:
        return DEFAULT_RATIO
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{ENV}={text!r} is not a whole number (e.g. {ENV}=1000)") from None
    if value < 1:
        raise InputError(f"{ENV}={text!r} must be at least 1")
    return value


def max_inflated(compressed: int, *, ratio: int | None = None) -> int:
    """Most bytes ``compressed`` bytes may inflate to."""
    return max(FLOOR, (ratio or ratio_setting()) * max(0, compressed))


def too_big(what: str, compressed: int, limit: int) -> str:
    """The sentence for a refused inflation: what, the limit, and how to raise it."""
    return (
        f"{what} inflates past {limit:,} bytes from {compressed:,} compressed bytes "
        f"(more than {ratio_setting()}x); refused as a possible decompression bomb. If the file "
        f"is genuine, raise the limit with {ENV}=<ratio> (now {ratio_setting()})"
    )
