"""Where cached tables came from, as the CLI shows it: emulator tables are SYNTHETIC, a table
from another service than the configured one warns with the fix, and a refresh that would
shrink a table sharply keeps it unless --force."""

from __future__ import annotations

import re
from pathlib import Path

from daxa.testing import ArchiveEmulator

from .helpers import daxa


def test_emulator_tables_are_marked_synthetic_and_warn_against_the_real_archives(
    emulator, cache_dir: Path
) -> None:
    assert daxa("fetch", "swift", cache_dir=cache_dir, mirror=emulator.url).code == 0

    same = daxa("info", "swift", cache_dir=cache_dir, mirror=emulator.url)
    assert same.code == 0, same.err
    assert "SYNTHETIC: daxa's emulator" in same.out
    assert "warning:" not in same.err

    real = daxa("info", "swift", cache_dir=cache_dir)  # the real archives are configured
    assert real.code == 0, real.err
    warning = [line for line in real.err.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1
    assert str(cache_dir / "swift.parquet") in warning[0]
    assert "synthetic emulator" in warning[0] and "daxa fetch swift --refresh" in warning[0]

    listed = daxa("missions", "--cached", cache_dir=cache_dir)
    assert listed.code == 0, listed.err
    assert re.search(r"^swift\s.*SYNTHETIC \(not configured\)$", listed.out, re.M)
    assert "SYNTHETIC: the table came from daxa's emulator" in listed.out


def test_refresh_that_shrinks_the_table_is_refused_unless_forced(emulator, cache_dir: Path) -> None:
    assert daxa("fetch", "asca", cache_dir=cache_dir, mirror=emulator.url).code == 0
    before = int(
        re.sub(
            r"\D",
            "",
            daxa("info", "asca", cache_dir=cache_dir, mirror=emulator.url)
            .out.split("rows", 1)[1]
            .split("\n", 1)[0],
        )
    )
    with ArchiveEmulator(seed=7, sizes={"ascamaster": 20}) as small:
        refused = daxa("fetch", "asca", "--refresh", cache_dir=cache_dir, mirror=small.url)
        assert refused.code == 1
        assert re.search(r"^asca\s+kept\s", refused.out, re.M)
        (line,) = refused.error_lines
        assert f"kept the cached asca table ({before:,} rows)" in line
        assert "daxa fetch asca --refresh --force" in line
        forced = daxa(
            "fetch", "asca", "--refresh", "--force", cache_dir=cache_dir, mirror=small.url
        )
        assert forced.code == 0, forced.err
        assert re.search(r"^asca\s+fetched\s+\d{1,2}\s", forced.out, re.M)
    lonely = daxa("fetch", "asca", "--force", cache_dir=cache_dir)
    assert lonely.code == 1 and "--force only applies with --refresh" in lonely.err
