"""Transfer engine: concurrent vs sequential downloads of many files with per-request latency.

Run: ``python benchmarks/bench_download.py`` (``--files``, ``--size-mib``, ``--latency-ms``,
``--workers`` to change the set-up; ``--quick`` for 100 files). Goal (issue 7): 500 files of
1 MiB with 20 ms injected latency per request, concurrent at least 8x faster than sequential.
Sequential and every concurrent setting run the same number of times (``--repeat``, default
3); medians are compared, min and max shown beside them.

The emulator runs in a separate process (its own interpreter, as a remote archive would be)
and serves each file with ``Range`` support after the injected delay. Every transfer goes
through the real engine: ``.part`` file, size check against ``Content-Length``, SHA-256 for the
manifest, rename.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import shutil
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import goal, load_average, print_goals, table  # noqa: E402

from daxa.download.engine import run_plan  # noqa: E402
from daxa.download.plan import RemoteFile  # noqa: E402
from daxa.download.transport import Policy, Transport  # noqa: E402


def serve(queue: Any, size: int, latency: float) -> None:
    """Emulator process: ``/bench/<name>`` answers ``size`` bytes after ``latency`` seconds."""
    import numpy as np

    from daxa.testing import ArchiveEmulator, bytes_response

    payload = np.random.default_rng(0).integers(0, 256, size, dtype=np.uint8).tobytes()

    def handler(request: Any) -> Any:
        index = zlib.crc32(request.path.encode())
        return bytes_response(request, index.to_bytes(8, "little") + payload[8:])

    emulator = ArchiveEmulator().start()
    emulator.mount("/bench", handler)
    if latency > 0:
        emulator.faults.delay("/bench", seconds=latency)
    queue.put(emulator.url)
    while True:
        time.sleep(3600)


def plan(url: str, n_files: int, per_obs: int = 10) -> list[RemoteFile]:
    return [
        RemoteFile(
            f"{url}/bench/obs{i // per_obs:04d}/file{i:05d}.bin",
            f"obs{i // per_obs:04d}/file{i:05d}.bin",
            f"obs{i // per_obs:04d}",
            "heasarc_ftp",
        )
        for i in range(n_files)
    ]


def run(
    files: list[RemoteFile], workers: int, root: Path, repeat: int = 1
) -> tuple[float, int, int, list[float]]:
    """Median seconds of ``repeat`` runs, bytes and failures of the last, and every time."""
    times: list[float] = []
    total = failed = 0
    for _ in range(max(1, repeat)):
        seconds, total, failed = _run_once(files, workers, root)
        times.append(seconds)
    return statistics.median(times), total, failed, times


def _run_once(files: list[RemoteFile], workers: int, root: Path) -> tuple[float, int, int]:
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    policy = Policy(per_host=workers, retries=2, backoff=0.05)
    with Transport(policy) as transport:
        t0 = time.perf_counter()
        outcomes = run_plan(files, root, transport, max_workers=workers, check_fits=False)
        seconds = time.perf_counter() - t0
    failed = sum(not o.ok for o in outcomes)
    total = sum(o.fetched_bytes for o in outcomes)
    return seconds, total, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--size-mib", type=float, default=1.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--quick", action="store_true", help="100 files")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each setting (median)")
    args = parser.parse_args()
    n_files = 100 if args.quick else args.files
    size = int(args.size_mib * 2**20)

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    server = ctx.Process(target=serve, args=(queue, size, args.latency_ms / 1000), daemon=True)
    server.start()
    try:
        url = queue.get(timeout=60)
        files = plan(url, n_files)
        rows: list[dict[str, Any]] = []
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "dl"
            run(files[:20], 4, root)  # warm-up: imports, first connections
            sequential, total, failed, times = run(files, 1, root, args.repeat)
            rows.append(_row("sequential", 1, sequential, total, failed, sequential, n_files))
            rows[-1]["min-max s"] = f"{min(times):.2f}-{max(times):.2f}"
            for workers in args.workers:
                seconds, total, failed, times = run(files, workers, root, args.repeat)
                rows.append(
                    _row("concurrent", workers, seconds, total, failed, sequential, n_files)
                )
                rows[-1]["min-max s"] = f"{min(times):.2f}-{max(times):.2f}"
    finally:
        server.terminate()
        server.join(5)
    print(
        f"{n_files} files of {args.size_mib:g} MiB, {args.latency_ms:g} ms latency per request; "
        f"{load_average()}"
    )
    columns = ["mode", "workers", "seconds", "min-max s", "MiB/s", "files/s", "speed-up", "failed"]
    print(f"medians of {args.repeat} runs each")
    print(table(rows, columns))
    best = max(r["speed-up_value"] for r in rows)
    print_goals([goal("concurrent >= 8x sequential", f"{best:.1f}x", best >= 8)], args.quick)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))


def _row(
    mode: str,
    workers: int,
    seconds: float,
    total: int,
    failed: int,
    sequential: float,
    n_files: int,
) -> dict[str, Any]:
    return {
        "mode": mode,
        "workers": workers,
        "seconds": f"{seconds:.2f}",
        "MiB/s": f"{total / 2**20 / seconds:.0f}",
        "files/s": f"{n_files / seconds:.0f}",
        "speed-up": f"{sequential / seconds:.1f}x",
        "speed-up_value": sequential / seconds,
        "failed": failed,
    }


if __name__ == "__main__":
    main()
