"""``python -m daxa.testing serve``: run the archive emulator in the foreground.

It prints the URL and the ``DAXA_MIRROR`` setting that points daxa at it, then serves until
interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from daxa.errors import InputError
from daxa.testing.server import ArchiveEmulator, Sizes


def parse_sizes(text: str) -> Sizes:
    """``small``, ``real``, or ``table=rows,table=rows`` (other tables: the default size).

    >>> parse_sizes("swiftmastr=1000, chanmaster=50")
    {'swiftmastr': 1000, 'chanmaster': 50}
    """
    if text in ("small", "real"):
        return text  # type: ignore[return-value]
    sizes: dict[str, int | None] = {}
    for item in text.split(","):
        table, _, rows = item.strip().partition("=")
        if not table or not rows.strip().isdigit():
            raise InputError(
                f"--sizes takes small, real or table=rows[,table=rows...], not {text!r}"
            )
        sizes[table.strip()] = int(rows)
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m daxa.testing", description="daxa's local archive emulator"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulated archives until interrupted")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    serve.add_argument("--sizes", default="small", help="small, real or table=rows,...")
    serve.add_argument("--seed", type=int, default=0)
    serve.add_argument(
        "--serialization",
        choices=("binary", "binary2", "tabledata"),
        default=None,
        help="force one VOTable body on both TAP services (default: HEASARC BINARY, XSA BINARY2)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = parse_sizes(args.sizes)
    except InputError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    emulator = ArchiveEmulator(
        seed=args.seed,
        sizes=sizes,
        host=args.host,
        port=args.port,
        serialization=args.serialization,
    )
    with emulator:
        print(f"daxa archive emulator serving at {emulator.url}", flush=True)
        print(f"point daxa at it with:  export DAXA_MIRROR={emulator.url}", flush=True)
        print("stop it with Ctrl-C", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
