"""``daxa serve``: run the local archive emulator until interrupted."""

from __future__ import annotations

import argparse
import errno
import signal
import threading
from typing import Any

from daxa.errors import InputError

#: A fixed default port, so ``DAXA_MIRROR`` can be set once; ``--port 0`` takes any free one.
DEFAULT_PORT = 8765


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from daxa.cli import add_subcommand

    p = add_subcommand(
        sub,
        "serve",
        common,
        help="serve the local archive emulator (offline stand-in for the archives)",
        description="Serve emulated HEASARC/XSA TAP services, the eROSITA lists, Sesame and the "
        "archives' data files on one local port, with generated (realistic but not real) observation tables. Point "
        "daxa at it with DAXA_MIRROR or --mirror. Stop with Ctrl-C.",
        example="daxa serve\n# in another shell:\nDAXA_MIRROR=http://127.0.0.1:8765 daxa fetch all",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the generated tables")
    p.add_argument(
        "--sizes",
        default="small",
        help="table sizes: small (fast, default), real (the archives' row counts) or "
        "table=rows,... (e.g. swiftmastr=20000)",
    )
    p.add_argument(
        "--url-file",
        metavar="FILE",
        help="write the emulator's base URL to FILE once it is serving (for scripts)",
    )
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    from daxa.testing import ArchiveEmulator
    from daxa.testing.__main__ import parse_sizes

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: a port is a number from 0 to 65535")
    sizes = parse_sizes(args.sizes)
    emulator = ArchiveEmulator(seed=args.seed, sizes=sizes, host=args.host, port=args.port)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        emulator.start()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"port {args.port} on {args.host} is in use; choose another with --port "
                "(--port 0 takes any free one)"
            ) from None
        raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    try:
        print(f"archive emulator serving at {emulator.url} (generated tables, sizes={args.sizes})")
        print(f"point daxa at it:  export DAXA_MIRROR={emulator.url}")
        print("stop with Ctrl-C", flush=True)
        if args.url_file:
            from daxa.atomic import atomic_open

            with atomic_open(args.url_file, "w") as handle:  # a poller never reads it half-written
                handle.write(emulator.url + "\n")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        emulator.stop()
    return 0
