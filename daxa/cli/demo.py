"""``daxa demo``: the offline tour (see :mod:`daxa.demo`)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from daxa.cli import add_subcommand

    p = add_subcommand(
        sub,
        "demo",
        common,
        help="offline tour: emulated archives, searches, SQL, cross-match, download, plots",
        description="Start the local archive emulator, fetch every mission into a fresh cache "
        "and run a realistic session against it, printing short tables and writing plots. "
        "Nothing goes to the internet; the data are generated stand-ins, not real observations.",
        example="daxa demo\ndaxa demo --output-dir /tmp/daxa_demo --no-plots",
    )
    p.add_argument(
        "--output-dir",
        default="demo_output",
        metavar="DIR",
        help="where plots, result tables and the demo's cache go (default demo_output/)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of the emulated archives")
    p.add_argument(
        "--sizes",
        choices=("real", "small"),
        default="real",
        help="emulated table sizes: the archives' real row counts (default) or small (quick)",
    )
    p.add_argument("--no-plots", action="store_true", help="skip the plots")
    p.set_defaults(func=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    from daxa.demo import run_demo

    run_demo(args.output_dir, seed=args.seed, sizes=args.sizes, plots=not args.no_plots)
    return 0
